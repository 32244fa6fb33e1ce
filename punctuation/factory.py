"""Build the configured punctuation engine."""

from __future__ import annotations

from sunvai.punctuation.rules import RulePunctuator
from sunvai.punctuation.types import PunctuationEngine


def build_punctuator(engine: str = "rules", source: str | None = None, device: str = "cpu",
                     pause_s: float = 0.8, respect_existing: bool = True) -> PunctuationEngine:
    if engine == "rules":
        return RulePunctuator(pause_s=pause_s, respect_existing=respect_existing)
    if not source:
        raise ValueError("punctuation engine 'transformers' needs a source: a local checkpoint directory or HF id")
    from sunvai.asr.model_store import ModelStore
    from sunvai.punctuation.token_classifier import TokenClassifierPunctuator

    path = ModelStore().resolve(source, "transformers")
    return TokenClassifierPunctuator(str(path), device=device, respect_existing=respect_existing)
