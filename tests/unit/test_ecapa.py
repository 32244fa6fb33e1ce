"""VoxLingua107 ECAPA in plain torch (language_router/ecapa.py) against SpeechBrain's own implementation.

The checkpoint is built and scored by SpeechBrain's modules (tests/ecapa_checkpoint.py); ours
loads the same files by their key names and must give the same log-probabilities.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sunvai.asr.errors import ModelUnavailableError
from sunvai.asr.model_store import ModelStore
from sunvai.language_router.ecapa import EcapaLanguageIdentifier, EcapaModel, fbank
from sunvai.language_router.factory import build_identifier
from tests.ecapa_checkpoint import labels, speechbrain_log_probs, speechbrain_modules, write_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return write_checkpoint(tmp_path_factory.mktemp("ecapa") / "lang-id-voxlingua107-ecapa")


def clip(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * 16000)) / 16000
    return (0.1 * np.sin(2 * np.pi * (180 + 40 * seed) * t) + rng.normal(0, 0.05, len(t))).astype(np.float32)


def test_features_equal_speechbrains():
    _, _, Fbank, InputNormalization = speechbrain_modules()
    audio = clip(1.7, 1)
    with torch.inference_mode():
        expected = InputNormalization(norm_type="sentence", std_norm=False)(
            Fbank(n_mels=60)(torch.from_numpy(audio)[None]), torch.ones(1))
    ours = fbank(torch.from_numpy(audio), 60)
    assert ours.shape == expected.shape
    assert float((ours - expected).abs().max()) < 1e-3  # dB values in the tens: 1e-3 dB


@pytest.mark.parametrize("seconds, seed", [(2.0, 1), (0.9, 2), (4.3, 3)])
def test_log_probabilities_equal_speechbrains(checkpoint, seconds, seed):
    audio = clip(seconds, seed)
    expected = speechbrain_log_probs(checkpoint, audio)
    ours = EcapaModel(checkpoint).log_probs(audio)
    assert ours.shape == (107,)
    assert float((ours - expected).abs().max()) < 1e-4
    assert int(ours.argmax()) == int(expected.argmax())


def test_identification_among_the_candidates(checkpoint):
    identifier = build_identifier("ecapa", str(checkpoint))
    audio = clip(2.0, 4)
    (result,) = identifier.identify_batch([audio], [["hi-IN", "ta-IN", "en-IN"]])
    log_probs = EcapaModel(checkpoint).log_probs(audio)
    by_iso = {label.split(":")[0]: float(log_probs[i]) for i, label in enumerate(labels())}
    assert result.language == max(["hi-IN", "ta-IN", "en-IN"], key=lambda c: by_iso[c[:2]])
    assert set(result.ranking) == {"hi-IN", "ta-IN", "en-IN"} and abs(sum(result.ranking.values()) - 1) < 1e-3


def test_a_short_clip_is_padded_not_refused(checkpoint):
    identifier = EcapaLanguageIdentifier(checkpoint)
    (result,) = identifier.identify_batch([clip(0.05, 5)], [["hi-IN", "te-IN"]])
    assert result.language in ("hi-IN", "te-IN")


def test_broken_checkpoints_name_the_file(checkpoint, tmp_path):
    import shutil

    lacking = tmp_path / "lacking"
    shutil.copytree(checkpoint, lacking)
    (lacking / "classifier.ckpt").unlink()
    with pytest.raises(ModelUnavailableError, match="lacks classifier.ckpt"):
        EcapaModel(lacking)
    foreign = tmp_path / "foreign"
    shutil.copytree(checkpoint, foreign)
    torch.save({"encoder.weight": torch.zeros(3)}, foreign / "embedding_model.ckpt")
    with pytest.raises(ModelUnavailableError, match="lack ECAPA's weight"):
        EcapaModel(foreign)
    truncated = tmp_path / "truncated"
    shutil.copytree(checkpoint, truncated)
    data = (truncated / "classifier.ckpt").read_bytes()
    (truncated / "classifier.ckpt").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelUnavailableError, match="cannot read .*classifier.ckpt"):
        EcapaModel(truncated)


def test_imported_into_the_library_and_resolved_by_name(checkpoint, tmp_path):
    from sunvai.model_library.operations import import_model, verify

    store = ModelStore(tmp_path / "cache")
    manifest = import_model(store, checkpoint)
    assert manifest.engine == "ecapa" and {"hi", "ta", "en"} <= set(manifest.languages)
    assert verify(store, manifest.name).ok
    identifier = build_identifier("ecapa", manifest.name, store=store)
    assert identifier.identify_batch([clip(1.0, 6)], [["hi-IN", "bn-IN"]])[0].language in ("hi-IN", "bn-IN")
