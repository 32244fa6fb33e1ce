"""Tokens that remember where they came from, and lookup keys tolerant of spelling variants."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_WORD = re.compile(r"\S+")
_EDGE_PUNCT = "\"'“”‘’()[]{}<>,.!?;:।॥…"
_NUKTA = "\u093c"
_CHANDRABINDU = "\u0901"
_ANUSVARA = "\u0902"


def lookup_key(word: str) -> str:
    """Fold case and Devanagari spelling variants: nukta dropped, chandrabindu as anusvara.

    So हज़ार/हजार, पाँच/पांच and करोड़/करोड share one key.
    """
    folded = unicodedata.normalize("NFD", word.lower()).replace(_NUKTA, "").replace(_CHANDRABINDU, _ANUSVARA)
    return unicodedata.normalize("NFC", folded)


@dataclass(frozen=True)
class Token:
    start: int  # of the core word in the text
    end: int
    key: str  # lookup key of the core word
    text: str  # the core word as written
    closes: bool  # trailing punctuation: no entity continues past this token
    abbreviation_dot: bool = False  # "a.m." / "p.m.": the final dot belongs to the word


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    for match in _WORD.finditer(text):
        raw = match.group()
        core = raw.strip(_EDGE_PUNCT)
        if not core:
            continue
        offset = match.start() + raw.index(core)
        trailing = raw[raw.index(core) + len(core):]
        abbreviation = "." in core and trailing == "."
        if abbreviation:
            trailing = ""
        # "twenty-five": split hyphenated words so each part can be a number word
        parts = core.split("-") if "-" in core.strip("-") else [core]
        position = offset
        for n, part in enumerate(parts):
            if part:
                last = n == len(parts) - 1
                tokens.append(Token(position, position + len(part), lookup_key(part), part, bool(trailing) and last,
                                    abbreviation and last))
            position += len(part) + 1
    return tokens
