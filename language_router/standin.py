"""A stand-in language identifier: the first candidate, with certainty, after an optional hold.

Not a model, and never in a shipped config (``lid.engine: first-candidate``).
Tests use it for a LID stage that holds each call (deterministic overload).
"""

from __future__ import annotations

import time

import numpy as np

from sunvai.language_router.lid import LidResult


class FirstCandidateIdentifier:
    name = "first-candidate"

    def __init__(self, hold_s: float = 0.0):
        self.hold_s = hold_s

    def identify_batch(self, audios: list[np.ndarray], candidates: list[list[str]]) -> list[LidResult]:
        if self.hold_s:
            time.sleep(self.hold_s)
        return [LidResult(codes[0], 1.0, {code: (1.0 if i == 0 else 0.0) for i, code in enumerate(codes)})
                for codes in candidates]
