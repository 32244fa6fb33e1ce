"""Audio language identification among caller-given candidates: the engine protocol."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from sunvai.language_router.codes import LANGUAGES


@dataclass(frozen=True)
class LidResult:
    language: str  # canonical code among the candidates, e.g. "hi-IN"
    confidence: float  # probability of ``language`` renormalised over the candidates
    ranking: dict[str, float]  # every candidate, best first

    @property
    def runner_up(self) -> str | None:
        codes = list(self.ranking)
        return codes[1] if len(codes) > 1 else None


class LanguageIdentifier(Protocol):
    name: str

    def identify_batch(self, audios: list[np.ndarray], candidates: list[list[str]]) -> list[LidResult]:
        """For each clip, the most likely of its candidate codes."""
        ...


def rank_candidates(probs_by_iso: dict[str, float], candidates: list[str]) -> LidResult:
    """Restrict an engine's ISO-code probabilities to the candidates and renormalise.

    Codes that share an ISO language (hi-IN and Hinglish) share its probability;
    the first listed of them takes it.
    """
    chosen: dict[str, float] = {}
    seen_iso: set[str] = set()
    for code in candidates:
        iso = LANGUAGES[code].iso
        if iso not in seen_iso:
            chosen[code] = max(probs_by_iso.get(iso, 0.0), 0.0)
            seen_iso.add(iso)
    total = sum(chosen.values())
    if total <= 0:
        chosen = {code: 1.0 / len(chosen) for code in chosen}
        total = 1.0
    ranking = dict(sorted(((c, round(p / total, 4)) for c, p in chosen.items()), key=lambda kv: -kv[1]))
    best = next(iter(ranking))
    return LidResult(best, ranking[best], ranking)
