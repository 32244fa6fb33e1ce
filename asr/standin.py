"""A stand-in ASR engine that returns a text it is given: for tests of the graph around ASR.

Not a model, and never in a shipped config. Tests use it where they need ASR
output they control (unpunctuated text, an amount for ITN) or an ASR stage that
holds each call for a set time (deterministic overload). ``engine: fixed-text``.
"""

from __future__ import annotations

import time

from sunvai.asr.types import AsrRequest, AsrResult, Segment


class FixedTextEngine:
    def __init__(self, name: str, text: str, hold_s: float = 0.0):
        self.name = name
        self.text = text
        self.hold_s = hold_s
        self.calls: list[AsrRequest] = []  # what reached the engine, for in-process tests

    def prepare_languages(self, languages: list[tuple[str, str]]) -> None:
        """Nothing per language."""

    def transcribe_batch(self, requests: list[AsrRequest]) -> list[AsrResult]:
        self.calls.extend(requests)
        if self.hold_s:
            time.sleep(self.hold_s)
        return [AsrResult(self.text, r.language, (Segment(0.0, round(r.duration_s, 3), self.text),), self.name)
                for r in requests]
