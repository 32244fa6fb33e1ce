"""Each engine's own check of a library model: load it as serving would, and compare with the release's reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np

FEATURE_TOLERANCE = 1e-4


def check_indic_conformer(directory: Path) -> list[str]:
    """The graphs load with the release's names and widths; our features equal its scripted preprocessor's."""
    from sunvai.asr.indic_conformer import IndicConformerEngine

    engine = IndicConformerEngine("verify", str(directory))
    if engine.files.preprocessor is None:
        return []
    import torch

    from sunvai.asr.nemo_features import batch_log_mel

    clip = np.random.default_rng(0).normal(0, 0.1, 16_000 * 2).astype(np.float32)
    reference = torch.jit.load(str(engine.files.preprocessor), map_location="cpu")
    expected, _ = reference(input_signal=torch.from_numpy(clip)[None], length=torch.tensor([len(clip)]))
    ours, frames = batch_log_mel([clip])
    if expected.shape[-1] != int(frames[0]):
        return [f"{engine.files.preprocessor} makes {expected.shape[-1]} frames of 2 s; sunvai makes {int(frames[0])}"]
    difference = float((ours[0] - expected[0]).abs().max())
    if difference > FEATURE_TOLERANCE:
        return [f"features differ from {engine.files.preprocessor} by up to {difference:.2e} (allowed "
                f"{FEATURE_TOLERANCE:g}): this release computes its features differently from sunvai's"]
    return []


def check_whisper_ct2(directory: Path) -> list[str]:
    import ctranslate2

    if not (directory / "tokenizer.json").is_file():
        return [f"{directory / 'tokenizer.json'} is missing: faster-whisper would fetch one from the hub"]
    ctranslate2.models.Whisper(str(directory), device="cpu", compute_type="default")
    return []


def check_ecapa(directory: Path) -> list[str]:
    from sunvai.language_router.ecapa import EcapaModel

    EcapaModel(directory)
    return []


CHECKS = {"indic-conformer": check_indic_conformer, "whisper-ct2": check_whisper_ct2, "ecapa": check_ecapa}
