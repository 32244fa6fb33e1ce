"""Replacing what a filter finds (identifiers, profanity): in a transcript, in timed words, in the model's tokens.

A filter finds spans and says what replaces each (:class:`TextFilter`): for identifiers a tag (``[CARD]``) or a
mask keeping the last four characters of the value (``************1111``). Timed words keep their times, the
replacement standing in for the words it covers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal, Protocol

from sunvai.asr.types import TokenLogprob, Word
from sunvai.errors import BadRequest
from sunvai.redaction.finder import Found, find
from sunvai.redaction.kinds import IDENTIFIERS, KINDS

Style = Literal["tag", "mask"]
STYLES = ("tag", "mask")


class TextFilter(Protocol):
    def find(self, text: str, language: str) -> list[Found]: ...

    def replacement(self, found: Found) -> str: ...


@dataclass(frozen=True)
class Redaction:
    """What to redact (entity kinds) and how (a tag, or a mask keeping the last four)."""

    kinds: frozenset[str]
    style: Style = "tag"

    @classmethod
    def parse(cls, kinds: str | list[str] | None, style: str | None = None) -> Redaction | None:
        """From a request: a comma list (or list) of kinds, ``pii`` for every identifier; None when empty.
        A 400 naming what was wrong and what is accepted."""
        names = kinds.split(",") if isinstance(kinds, str) else list(kinds or [])
        wanted = {name.strip().lower() for name in names if name and name.strip()}
        if not wanted:
            return None
        unknown = sorted(wanted - set(KINDS) - {"pii"})
        if unknown:
            raise BadRequest(f"redact: unknown entity kind {', '.join(map(repr, unknown))}; accepted: pii (every "
                             f"identifier) or a comma list of {', '.join(KINDS)}", code="invalid_redact")
        if "pii" in wanted:
            wanted = (wanted - {"pii"}) | set(IDENTIFIERS)
        chosen = (style or "tag").strip().lower()
        if chosen not in STYLES:
            raise BadRequest(f"redact_style must be one of {', '.join(STYLES)}, got {style!r}",
                             code="invalid_redact_style")
        return cls(frozenset(wanted), chosen)  # type: ignore[arg-type]

    def find(self, text: str, language: str) -> list[Found]:
        return find(text, self.kinds, language)

    def replacement(self, found: Found) -> str:
        if self.style == "mask":
            value = found.value
            return "*" * max(len(value) - 4, 0) + value[-4:]
        return f"[{found.kind.upper()}]"


@dataclass
class Redacted:
    """A text with its entities replaced, and how many of each kind."""

    text: str
    counts: Counter = field(default_factory=Counter)


def redact_text(text: str, redaction: TextFilter, language: str) -> Redacted:
    found = redaction.find(text, language)
    pieces, written_to = [], 0
    for hit in found:
        pieces += [text[written_to:hit.start], redaction.replacement(hit)]
        written_to = hit.end
    pieces.append(text[written_to:])
    return Redacted("".join(pieces), Counter(hit.kind for hit in found))


def redact_words(words: tuple[Word, ...], redaction: TextFilter, language: str) -> tuple[Word, ...]:
    """Words with each entity's words replaced by one word: the replacement, from the first's start to the
    last's end."""
    if not words:
        return words
    starts, position = [], 0
    for word in words:
        starts.append(position)
        position += len(word.text) + 1
    found = redaction.find(" ".join(w.text for w in words), language)
    if not found:
        return words
    out: list[Word] = []
    index = 0
    for hit in found:
        covered = [k for k in range(len(words)) if starts[k] < hit.end and starts[k] + len(words[k].text) > hit.start]
        out += words[index:covered[0]]
        first, last = words[covered[0]], words[covered[-1]]
        leading = " " if first.text.startswith(" ") else ""
        known = [words[k].probability for k in covered if words[k].probability is not None]
        out.append(Word(first.start, last.end, leading + redaction.replacement(hit), first.speaker,
                        min(known) if known else None))
        index = covered[-1] + 1
    out += words[index:]
    return tuple(out)


def redact_logprobs(tokens: tuple[TokenLogprob, ...], redaction: TextFilter,
                    language: str) -> tuple[TokenLogprob, ...]:
    """The model's tokens with each entity's tokens replaced by one token (the replacement, with their summed
    log-probability). Tokens that do not spell UTF-8 text are dropped whole rather than risk a leak."""
    if not tokens:
        return tokens
    raw = b"".join(bytes(t.bytes) for t in tokens)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return ()
    found = redaction.find(text, language)
    if not found:
        return tokens
    byte_spans = [(len(text[:hit.start].encode()), len(text[:hit.end].encode()), hit) for hit in found]
    out: list[TokenLogprob] = []
    offset, pending = 0, None
    for token in tokens:
        start, end = offset, offset + len(token.bytes)
        offset = end
        span = next((s for s in byte_spans if start < s[1] and end > s[0]), None)
        if span is None:
            if pending is not None:
                out.append(pending[1])
                pending = None
            out.append(token)
            continue
        if pending is not None and pending[0] is span:
            merged = pending[1]
            pending = (span, TokenLogprob(merged.token, merged.bytes, merged.logprob + token.logprob))
            continue
        if pending is not None:
            out.append(pending[1])
        replacement = (" " if token.token.startswith(" ") else "") + redaction.replacement(span[2])
        pending = (span, TokenLogprob(replacement, tuple(replacement.encode()), token.logprob))
    if pending is not None:
        out.append(pending[1])
    return tuple(out)
