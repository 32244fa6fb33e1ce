"""Build the configured diarizer (``args.diarization``)."""

from __future__ import annotations

import importlib.util

from sunvai.diarization.types import DiarizationConfig, Diarizer


def diarization_available(config: DiarizationConfig) -> bool:
    """Whether the configured engine's packages are installed (checked without importing them)."""
    needed = ("resemblyzer", "librosa", "sklearn") if config.engine == "resemblyzer" else ("pyannote",)
    return all(importlib.util.find_spec(name) is not None for name in needed)


def build_diarizer(config: DiarizationConfig, device: str = "cpu") -> Diarizer:
    if config.engine == "resemblyzer":
        from sunvai.diarization.resemblyzer_engine import ResemblyzerDiarizer

        return ResemblyzerDiarizer(config, device)
    from sunvai.diarization.pyannote_engine import PyannoteDiarizer

    return PyannoteDiarizer(config, device)
