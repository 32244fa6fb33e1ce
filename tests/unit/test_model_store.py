"""The model store: packaged model joined and verified, conversions cached, hub failing clearly.

Offline by setting (HF_HUB_OFFLINE), not by circumstance: the same on a networked
machine. How long these take is measured in bench/model_store.py, not asserted here.
"""

from __future__ import annotations

import json

import pytest

from sunvai.asr import model_store as store_module
from sunvai.asr.ct2_format import read_ct2_model
from sunvai.asr.errors import ModelIntegrityError, ModelUnavailableError
from sunvai.asr.model_store import PACKAGED, ModelStore, sha256_file


def test_packaged_model_is_joined_and_matches_its_checksum(model_store):
    path = model_store.resolve("packaged:whisper-base", "ctranslate2")
    assert sha256_file(path / "model.bin") == PACKAGED["whisper-base"].sha256
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        assert (path / name).is_file()
    spec, variables = read_ct2_model(path / "model.bin")
    assert spec == "WhisperSpec" and variables["decoder/embeddings/weight"].shape == (51865, 512)


def test_conversion_is_a_loadable_transformers_checkpoint(model_store):
    path = model_store.resolve("packaged:whisper-base", "transformers")
    config = json.loads((path / "config.json").read_text())
    assert config["model_type"] == "whisper" and config["encoder_layers"] == 6


def test_conversion_is_cached(model_store, monkeypatch):
    path = model_store.resolve("packaged:whisper-base", "transformers")
    from sunvai.asr import ct2_to_hf

    def must_not_run(*_):
        raise AssertionError("converted again although the cached conversion is current")

    monkeypatch.setattr(ct2_to_hf, "convert_whisper_ct2_to_hf", must_not_run)
    assert model_store.resolve("packaged:whisper-base", "transformers") == path


def test_checksum_mismatch_is_refused(tmp_path, monkeypatch):
    wrong = PACKAGED["whisper-base"].__class__(**{**PACKAGED["whisper-base"].__dict__, "sha256": "0" * 64})
    monkeypatch.setitem(store_module.PACKAGED, "whisper-base", wrong)
    with pytest.raises(ModelIntegrityError, match="expected 0000"):
        ModelStore(tmp_path).resolve("packaged:whisper-base")
    assert not (tmp_path / "packaged" / "whisper-base" / "ctranslate2").exists(), "nothing half-written is kept"


def test_tampered_cache_entry_is_rebuilt(tmp_path):
    store = ModelStore(tmp_path)
    path = store.resolve("packaged:whisper-base")
    with open(path / "model.bin", "ab") as handle:
        handle.write(b"garbage")
    assert sha256_file(store.resolve("packaged:whisper-base") / "model.bin") == PACKAGED["whisper-base"].sha256


def test_unknown_packaged_model():
    with pytest.raises(ModelUnavailableError, match="unknown packaged model 'nope'; known: whisper-base"):
        ModelStore().resolve("packaged:nope")


def test_missing_local_path_is_not_mistaken_for_a_hub_id():
    with pytest.raises(ModelUnavailableError, match="neither a directory"):
        ModelStore().resolve("/no/such/model/dir")


def test_hub_id_fails_clearly_when_offline(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # nothing cached
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # offline by setting: no download even where a network exists
    with pytest.raises(ModelUnavailableError, match="not reachable") as info:
        ModelStore(tmp_path, hub_timeout_s=2).resolve("openai/whisper-small")
    assert "openai/whisper-small" in str(info.value) and "packaged:whisper-base" in str(info.value)


def test_unreachable_hub_is_detected_before_any_download(tmp_path, monkeypatch):
    """An endpoint on a closed loopback port stands in for an unreachable hub."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port}")
    store = ModelStore(tmp_path, hub_timeout_s=2)
    assert store.hub_reachable() is False
    with pytest.raises(ModelUnavailableError, match="not reachable"):
        store.resolve("openai/whisper-small")


def test_local_ct2_directory_is_used_as_is(model_store):
    path = model_store.resolve("packaged:whisper-base")
    assert model_store.resolve(str(path), "ctranslate2") == path
