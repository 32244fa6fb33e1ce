"""The profanity filter: listed words and phrases masked, the first letter kept (``f***``, ``चू****``).

Word lists are data files in ``redaction/wordlists/`` (each says where it comes from and its licence):
English (``en.txt``), Hindi in Latin letters (``hi-latn.txt``) and in Devanagari (``hi.txt``). Whole words
only, after the ITN tokenizer's normalisation (case, nukta and chandrabindu folded; edge punctuation off), so
"Shit!" is masked and "shitake" is not. Every language gets the English and Hinglish lists (code-mixed calls);
Hindi and Hinglish transcripts the Devanagari list too.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sunvai.itn.text import lookup_key, tokenize
from sunvai.redaction.finder import Found

LISTS = Path(__file__).parent / "wordlists"
DEVANAGARI_LANGUAGES = {"hi-in", "en-hi-in-cm", "mr-in"}


@lru_cache(maxsize=None)
def phrases(name: str) -> dict[str, tuple[tuple[str, ...], ...]]:
    """A word list as phrases of lookup keys, indexed by their first key, longest first."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for line in (LISTS / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keys = tuple(lookup_key(word) for word in line.split())
            index.setdefault(keys[0], []).append(keys)
    return {first: tuple(sorted(set(found), key=len, reverse=True)) for first, found in index.items()}


def lists_for(language: str) -> tuple[str, ...]:
    return ("en", "hi-latn", "hi") if language.strip().lower() in DEVANAGARI_LANGUAGES else ("en", "hi-latn")


@dataclass(frozen=True)
class ProfanityFilter:
    """A :class:`redaction.apply.TextFilter` for listed profanity."""

    def find(self, text: str, language: str) -> list[Found]:
        tokens = tokenize(text)
        indexes = [phrases(name) for name in lists_for(language)]
        found: list[Found] = []
        i = 0
        while i < len(tokens):
            length = next((len(p) for index in indexes for p in index.get(tokens[i].key, ())
                           if tuple(t.key for t in tokens[i:i + len(p)]) == p
                           and not any(t.closes for t in tokens[i:i + len(p) - 1])), 0)
            if length:
                start, end = tokens[i].start, tokens[i + length - 1].end
                found.append(Found(start, end, "profanity", text[start:end]))
                i += length
            else:
                i += 1
        return found

    def replacement(self, found: Found) -> str:
        return " ".join(mask(word) for word in found.value.split())


MARKS = ("Mn", "Mc", "Cf")  # vowel signs, virama, nukta, joiners: part of the letter before them


def mask(word: str) -> str:
    """The first letter (with its marks) kept, one ``*`` for each letter after it (a conjunct counts as its
    letters)."""
    letters = sum(unicodedata.category(char) not in MARKS for char in word)
    first = 1
    while first < len(word) and unicodedata.category(word[first]) in MARKS:
        first += 1
    return word[:first] + "*" * max(letters - 1, 0)


PROFANITY = ProfanityFilter()
