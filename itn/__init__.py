"""Inverse text normalization: spoken numbers, money, dates and times to their written form.

    >>> normalize("पाँच लाख बीस हज़ार", "hi-IN")
    '5,20,000'

hi-IN and en-IN have grammars; every other language code returns the text as it is.
Pure Python, no Ray.
"""

from __future__ import annotations

from functools import lru_cache

from sunvai.itn.grammar import Grammar

SUPPORTED = ("hi-IN", "en-IN")


@lru_cache(maxsize=None)
def grammar_for(language: str) -> Grammar | None:
    code = language.strip().lower()
    if code in ("hi-in", "hi", "en-hi-in-cm"):
        from sunvai.itn.hindi import HindiGrammar

        return HindiGrammar()
    if code in ("en-in", "en", "en-hi-in-latn"):
        from sunvai.itn.english import EnglishGrammar

        return EnglishGrammar()
    return None


def normalize(text: str, language: str, native_numerals: bool = False) -> str:
    """Written form of ``text`` for ``language`` ("hi-IN", "en-IN"); other languages unchanged."""
    grammar = grammar_for(language)
    if grammar is None or not text:
        return text
    return grammar.normalize(text, native_numerals)


def build_grammars() -> None:
    """Build every grammar now (a fraction of a second), so no request pays for it."""
    for language in SUPPORTED:
        grammar_for(language)


__all__ = ["SUPPORTED", "build_grammars", "normalize"]
