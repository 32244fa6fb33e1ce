"""The model store: packaged model joined and verified, conversions cached, hub failing fast."""

from __future__ import annotations

import json
import time

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
    again = time.perf_counter()
    assert model_store.resolve("packaged:whisper-base", "transformers") == path
    assert time.perf_counter() - again < 1.0, "the conversion is cached"


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


def test_hub_id_fails_fast_and_clearly_without_a_network(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # nothing cached
    started = time.perf_counter()
    with pytest.raises(ModelUnavailableError, match="not reachable|download failed") as info:
        ModelStore(tmp_path, hub_timeout_s=2).resolve("openai/whisper-small")
    assert time.perf_counter() - started < 15
    assert "packaged:whisper-base" in str(info.value)


def test_local_ct2_directory_is_used_as_is(model_store):
    path = model_store.resolve("packaged:whisper-base")
    assert model_store.resolve(str(path), "ctranslate2") == path
