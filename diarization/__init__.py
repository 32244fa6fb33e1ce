"""Speaker diarization: who spoke when, as an engine behind a small protocol (no Ray here)."""

from sunvai.diarization.types import Diarizer, DiarizationConfig, SpeakerTurn

__all__ = ["Diarizer", "DiarizationConfig", "SpeakerTurn"]
