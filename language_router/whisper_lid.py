"""Whisper's language detection, restricted to the candidates (works with the packaged model)."""

from __future__ import annotations

import numpy as np

from asr.whisper_decoding import WINDOW_SAMPLES, WhisperEngine
from language_router.lid import LidResult, rank_candidates


class WhisperLanguageIdentifier:
    def __init__(self, engine: WhisperEngine):
        self.engine = engine
        self.name = f"whisper:{engine.name}"

    def identify_batch(self, audios: list[np.ndarray], candidates: list[list[str]]) -> list[LidResult]:
        features = self.engine.features([audio[:WINDOW_SAMPLES] for audio in audios])
        results = []
        for probs, codes in zip(self.engine.backend.language_probs(features), candidates):
            results.append(rank_candidates({token[2:-2]: p for token, p in probs.items()}, codes))
        return results
