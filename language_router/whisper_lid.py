"""Whisper's language detection, restricted to the candidates (works with the packaged model)."""

from __future__ import annotations

import numpy as np

from sunvai.asr.whisper_decoding import WhisperEngine
from sunvai.language_router.lid import LidResult, rank_candidates


class WhisperLanguageIdentifier:
    def __init__(self, engine: WhisperEngine):
        self.engine = engine
        self.name = f"whisper:{engine.name}"

    def identify_batch(self, audios: list[np.ndarray], candidates: list[list[str]]) -> list[LidResult]:
        probabilities = self.engine.language_probabilities(audios)
        return [rank_candidates(probs, codes) for probs, codes in zip(probabilities, candidates)]
