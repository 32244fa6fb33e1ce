"""``sunvai models`` import, list, verify and pull, through the real command line, on checkpoints in the
releases' layouts; then the imported models load through the model store as a config names them."""

from __future__ import annotations

import json
import shutil
import tarfile

import numpy as np
import pytest
from typer.testing import CliRunner

from sunvai.asr.errors import ModelIntegrityError, ModelUnavailableError
from sunvai.asr.factory import ModelConfig, build_engine
from sunvai.asr.model_manifest import MANIFEST, ModelManifest
from sunvai.asr.model_store import ModelStore
from sunvai.asr.types import AsrRequest
from sunvai.cli.main import app
from tests.indic_conformer_checkpoint import write_checkpoint
from tests.whisper_finetune_checkpoint import write_finetune

runner = CliRunner()


def sunvai(*args: str, cache) -> tuple[int, str]:
    result = runner.invoke(app, ["models", *args, "--cache", str(cache)])
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """The IndicConformer release as downloaded: CTC files, a preprocessor, and RNNT files import leaves out."""
    root = write_checkpoint(tmp_path_factory.mktemp("hub") / "indic-conformer-600m-multilingual")
    (root / "assets" / "rnnt_decoder.onnx").write_bytes(b"not needed for CTC")
    (root / "assets" / "joint_post_net_hi.onnx").write_bytes(b"not needed for CTC")
    return root


@pytest.fixture(scope="module")
def finetune(tmp_path_factory):
    return write_finetune(tmp_path_factory.mktemp("hub") / "whisper-hindi-tiny")


def test_import_list_verify_then_serve_by_name(release, tmp_path):
    cache = tmp_path / "cache"
    code, output = sunvai("import", str(release), cache=cache)
    assert code == 0, output
    assert "indic-conformer-600m-multilingual: indic-conformer" in output
    entry = cache / "library" / "indic-conformer-600m-multilingual"
    assert not list(entry.rglob("*rnnt*")) and not list(entry.rglob("*joint*"))
    assert (entry / "assets" / "pre_encode.conv.weight").is_file()  # the encoder's external weights came along
    manifest = ModelManifest.read(entry)
    assert "hi" in manifest.languages and len(manifest.languages) == 22
    code, output = sunvai("list", "--json", cache=cache)
    (row,) = [json.loads(line) for line in output.splitlines()]
    assert row["engine"] == "indic-conformer" and row["state"] == "present" and row["source"].startswith("import:")
    code, output = sunvai("verify", cache=cache)
    assert code == 0 and "indic-conformer-600m-multilingual: verified" in output, output
    engine = build_engine(ModelConfig(name="ic", engine="indic-conformer", source="indic-conformer-600m-multilingual"),
                          ModelStore(cache))
    assert engine.transcribe_batch([AsrRequest(np.zeros(8000, np.float32), "hi")])[0].text == ""


def test_a_changed_file_fails_verify_and_a_truncated_one_fails_the_deploy(release, tmp_path):
    cache = tmp_path / "cache"
    assert sunvai("import", str(release), "--name", "ic", cache=cache)[0] == 0
    decoder = cache / "library" / "ic" / "assets" / "ctc_decoder.onnx"
    data = bytearray(decoder.read_bytes())
    data[-1] ^= 0xFF
    decoder.write_bytes(bytes(data))
    code, output = sunvai("verify", "ic", cache=cache)
    assert code == 1 and "assets/ctc_decoder.onnx differs from the manifest" in output
    decoder.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(ModelIntegrityError, match=r"ctc_decoder.onnx is \d+ bytes, the manifest says \d+"):
        build_engine(ModelConfig(name="ic", engine="indic-conformer", source="ic"), ModelStore(cache))


def test_verify_compares_our_features_with_the_release_preprocessor(release, tmp_path):
    """A release whose preprocessor computes differently (here: periodic Hann, no pre-emphasis) is caught."""
    import torch

    from tests.indic_conformer_checkpoint import scripted_preprocessor

    other = tmp_path / "other"
    shutil.copytree(release, other)

    class Drifted(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = scripted_preprocessor()

        def forward(self, input_signal: torch.Tensor, length: torch.Tensor):
            features, frames = self.inner(input_signal, length)
            return features * 1.01, frames

    torch.jit.script(Drifted()).save(str(other / "assets" / "preprocessor.ts"))
    cache = tmp_path / "cache"
    assert sunvai("import", str(other), "--name", "drifted", cache=cache)[0] == 0
    code, output = sunvai("verify", "drifted", cache=cache)
    assert code == 1 and "features differ from" in output and "preprocessor.ts" in output, output


def test_a_whisper_finetune_is_converted_with_its_tokenizer_and_traits(finetune, tmp_path):
    cache = tmp_path / "cache"
    code, output = sunvai("import", str(finetune), cache=cache)
    assert code == 0, output
    entry = cache / "library" / "whisper-hindi-tiny"
    assert {"model.bin", "tokenizer.json", "config.json", MANIFEST} <= {p.name for p in entry.iterdir()}
    manifest = ModelManifest.read(entry)
    assert manifest.engine == "whisper-ct2" and manifest.languages == ["hi"]
    assert manifest.whisper.timestamps is False and manifest.whisper.language_token is True
    assert sunvai("verify", "whisper-hindi-tiny", cache=cache) == (0, "whisper-hindi-tiny: verified\n")
    engine = build_engine(ModelConfig(name="ft", source="whisper-hindi-tiny", compute_type="float32"),
                          ModelStore(cache))
    assert engine.timestamps is False and engine.language_token is True
    audio = np.random.default_rng(0).normal(0, 0.1, 16000 * 3).astype(np.float32)
    (result,) = engine.transcribe_batch([AsrRequest(audio, "hi", word_timestamps=True)])
    # without timestamp tokens a window is one segment; its words are timed by alignment
    assert len(result.segments) <= 1
    for segment in result.segments:
        assert 0 <= segment.start <= segment.end <= 3.0
        assert all(segment.start <= w.start <= w.end <= 3.0 for w in segment.words)
    prompt = engine._prompt(engine._job(0, AsrRequest(audio, "hi")))
    tokens = engine.tokens
    assert prompt == [tokens.sot, tokens.languages["hi"], tokens.transcribe, tokens.no_timestamps]
    on_transformers = build_engine(ModelConfig(name="ft-hf", engine="whisper-hf", source="whisper-hindi-tiny"),
                                   ModelStore(cache))
    assert on_transformers.timestamps is False  # the manifest's traits follow the model to the converted copy


def test_a_finetune_without_a_language_token_is_prompted_without_one(tmp_path):
    source = write_finetune(tmp_path / "odia-tiny", language_token=False)
    cache = tmp_path / "cache"
    assert sunvai("import", str(source), cache=cache)[0] == 0
    assert ModelManifest.read(cache / "library" / "odia-tiny").whisper.language_token is False
    engine = build_engine(ModelConfig(name="or", source="odia-tiny", compute_type="float32"), ModelStore(cache))
    prompt = engine._prompt(engine._job(0, AsrRequest(np.zeros(16000, np.float32), "or")))
    assert prompt == [engine.tokens.sot, engine.tokens.transcribe, engine.tokens.no_timestamps]


def test_a_finetune_without_any_tokenizer_is_refused_clearly(tmp_path):
    source = write_finetune(tmp_path / "no-tokenizer", tokenizer=False)
    code, output = sunvai("import", str(source), cache=tmp_path / "cache")
    assert code == 1 and "has no tokenizer.json" in output and "copy the base model's tokenizer.json" in output


def test_an_archive_that_pull_made_elsewhere_imports_as_it_is(release, tmp_path):
    networked = tmp_path / "networked"
    assert sunvai("import", str(release), "--name", "ic", cache=networked)[0] == 0
    archive = tmp_path / "ic.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(networked / "library" / "ic", arcname="ic")
    air_gapped = tmp_path / "air-gapped"
    code, output = sunvai("import", str(archive), cache=air_gapped)
    assert code == 0, output
    original = ModelManifest.read(networked / "library" / "ic")
    assert ModelManifest.read(air_gapped / "library" / "ic").files == original.files
    # a copy whose file changed on the way is refused
    changed = tmp_path / "changed"
    shutil.copytree(networked / "library" / "ic", changed)
    (changed / "assets" / "vocab.json").write_text("{}")
    code, output = sunvai("import", str(changed), cache=tmp_path / "third")
    assert code == 1 and "assets/vocab.json differ from its manifest" in output


def test_an_archive_cannot_write_outside_its_folder(tmp_path):
    archive = tmp_path / "evil.tar"
    payload = tmp_path / "payload"
    payload.write_text("x")
    with tarfile.open(archive, "w") as bundle:
        bundle.add(payload, arcname="../../escaped")
    code, output = sunvai("import", str(archive), cache=tmp_path / "cache")
    assert code == 1 and not (tmp_path / "escaped").exists()


def test_pull_fails_fast_and_says_what_to_do_without_a_hub(tmp_path, monkeypatch):
    import time

    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens on the discard port
    started = time.monotonic()
    code, output = sunvai("pull", "ai4bharat/indic-conformer-600m-multilingual", cache=tmp_path / "cache")
    assert time.monotonic() - started < 10
    assert code == 1 and "not reachable from this machine" in output and "sunvai models import" in output


def test_a_model_not_in_the_library_names_the_library(tmp_path):
    with pytest.raises(ModelUnavailableError, match="sunvai models list"):
        ModelStore(tmp_path / "cache").resolve("../nowhere/at-all")
