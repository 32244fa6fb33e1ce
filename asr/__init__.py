"""ASR engines and the model store. Plain Python: no Ray import anywhere here."""

from sunvai.asr.types import AsrEngine, AsrRequest, AsrResult, Segment, Word

__all__ = ["AsrEngine", "AsrRequest", "AsrResult", "Segment", "Word"]
