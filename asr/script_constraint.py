"""Byte-level script lock: which Whisper tokens may come next, given the unfinished UTF-8 character.

Whisper's tokens are byte-level BPE: one token may end in the middle of a character and the
next one finish it (``E0`` then ``A8 8D`` writes Gurmukhi ``੍``). A fixed list of suppressed
tokens cannot stop that, so decoding carries a state: the bytes of the character begun and
not finished. From each state only the tokens whose bytes continue into allowed characters
(and leave a state from which one can still be finished) are allowed; end of text and
timestamps only between characters.

Marks: a combining mark (a vowel sign, virama, nukta, anusvara) or a zero-width joiner may only follow a
letter of an Indic script or another mark (one cluster); after a space, punctuation, a digit, a Latin
letter or at the start it is not allowed (whisper-base once wrote a transcript of a lone nukta, a joiner and
a danda). The state between characters says whether a cluster is open.

Which characters: an Indic language is its own script's block, plus digits, ASCII
punctuation and space, the dandas, Latin-1 and general punctuation and currency signs
(``₹``); Latin letters only with ``script_lock: script+latin`` (under the default ``strict``
English loanwords come out in the script, as Vachana writes them). English is Latin; Hinglish is
Latin plus Devanagari.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import numpy as np

# Unicode blocks of the Indic scripts, by Whisper language code.
SCRIPT_BLOCKS = {
    "hi": (0x0900, 0x097F), "mr": (0x0900, 0x097F), "bn": (0x0980, 0x09FF), "pa": (0x0A00, 0x0A7F),
    "gu": (0x0A80, 0x0AFF), "ta": (0x0B80, 0x0BFF), "te": (0x0C00, 0x0C7F), "kn": (0x0C80, 0x0CFF),
    "ml": (0x0D00, 0x0D7F),
}
DEVANAGARI = (0x0900, 0x097F)
DANDAS = (0x0964, 0x0965)  # । ॥ : Bengali, Gurmukhi and others end sentences with the Devanagari danda
COMMON = [(0x09, 0x0A), (0x0D, 0x0D), (0x20, 0x40), (0x5B, 0x60), (0x7B, 0x7E),  # space, digits, punctuation
          (0xA0, 0xBF), (0xD7, 0xD7), (0xF7, 0xF7),  # Latin-1 punctuation and signs, × ÷
          (0x2000, 0x200D), (0x2010, 0x2027), (0x2030, 0x205E),  # spaces, ZWNJ/ZWJ, dashes, quotes, ellipsis
          (0x20A0, 0x20CF)]  # currency signs (₹); no bidi or invisible format controls
LATIN = [(0x41, 0x5A), (0x61, 0x7A), (0xC0, 0xD6), (0xD8, 0xF6), (0xF8, 0xFF)]
COMPLETE = b""  # the state between characters
CLUSTER = b"\x00"  # between characters, after an Indic letter or mark: a mark may follow (prefixes a partial state)
JOINERS = ("\u200c", "\u200d")  # zero-width non-joiner and joiner: inside a cluster only
INDIC_START = 0x0900


def between(state: bytes | None) -> bool:
    """The state lies between characters (no character begun)."""
    return state in (COMPLETE, CLUSTER)


def needs_base(ch: str) -> bool:
    """A combining mark or joiner: only after a letter of its script or another mark."""
    return unicodedata.category(ch).startswith("M") or ch in JOINERS


def keeps_cluster(ch: str) -> bool:
    """An Indic letter or mark: a mark may follow it."""
    return ord(ch) >= INDIC_START and unicodedata.category(ch)[0] in "LM" and ch not in JOINERS


def is_letter(ch: str) -> bool:
    """Content: a letter or digit of any script (not a mark, joiner, space or punctuation)."""
    return unicodedata.category(ch)[0] in "LN"


def allowed_ranges(language: str, mixed_with_latin: bool = False) -> list[tuple[int, int]] | None:
    """Code point ranges a transcript in ``language`` may use; None: unlocked (any script).

    ``mixed_with_latin``: a code-mixed route (Hinglish) adds Latin letters to the Indic script."""
    if language == "en":
        return COMMON + LATIN
    if language not in SCRIPT_BLOCKS:
        return None
    ranges = COMMON + [SCRIPT_BLOCKS[language], DANDAS]
    return ranges + LATIN if mixed_with_latin else ranges


def _utf8_prefixes(ranges: list[tuple[int, int]]) -> tuple[set[bytes], set[bytes]]:
    """(every allowed character's UTF-8 encoding, every proper prefix of one)."""
    characters, prefixes = set(), {COMPLETE}
    for low, high in ranges:
        for code in range(low, high + 1):
            if 0xD800 <= code <= 0xDFFF or unicodedata.category(chr(code)) == "Cn":
                continue  # surrogates and unassigned code points (whisper-base looped on U+0AD1 in Gujarati)
            encoded = chr(code).encode("utf-8")
            characters.add(encoded)
            prefixes.update(encoded[:n] for n in range(1, len(encoded)))
    return characters, prefixes


@dataclass
class ScriptConstraint:
    """The allowed tokens of a vocabulary in each state, for one set of allowed characters."""

    token_bytes: dict[int, bytes]  # text tokens; every other id is special (end of text, timestamps...)
    vocab_size: int
    ranges: list[tuple[int, int]]
    script: tuple[int, int] | None = None  # the language's own block, for :meth:`letter_starts`
    latin_letters: bool = False  # code-mixed: Latin letters count as letters too (has_letter, letter_starts)
    characters: set[bytes] = field(init=False)
    prefixes: set[bytes] = field(init=False)
    _masks: dict[tuple[bytes, int], np.ndarray] = field(init=False, default_factory=dict)
    _never: tuple[int, ...] | None = field(init=False, default=None)
    _next: dict[bytes, dict[int, bytes]] = field(init=False, default_factory=dict)
    _letter_starts: np.ndarray | None = field(init=False, default=None)

    def __post_init__(self):
        self.characters, self.prefixes = _utf8_prefixes(self.ranges)
        decoded = {raw: raw.decode("utf-8") for raw in self.characters}
        self._needs_base = {raw for raw, ch in decoded.items() if needs_base(ch)}
        self._keeps_cluster = {raw for raw, ch in decoded.items() if keeps_cluster(ch)}

    def advance(self, state: bytes, token: int) -> bytes | None:
        """The state after ``token``; None if the token is not allowed in ``state``."""
        table = self._table(state)
        if token in table:
            return table[token]
        if token not in self.token_bytes:  # special tokens: only between characters; a mark may not follow
            return COMPLETE if between(state) else None
        return None

    def mask(self, state: bytes, size: int | None = None) -> np.ndarray:
        """Boolean over the vocabulary: True where a token may come next in ``state`` (computed once; read-only).

        ``size``: the model's logits size; ids past the tokenizer's vocabulary are special tokens
        (Whisper's timestamps), allowed between characters only."""
        size = size or self.vocab_size
        if (state, size) not in self._masks:
            allowed = np.zeros(max(size, self.vocab_size), dtype=bool)
            allowed[list(self._table(state))] = True
            if between(state):  # special tokens: every id that is not a text token
                special = np.ones(len(allowed), dtype=bool)
                special[list(self.token_bytes)] = False
                allowed |= special
            allowed = allowed[:size]
            allowed.flags.writeable = False
            self._masks[(state, size)] = allowed
        return self._masks[(state, size)]

    def never_allowed(self) -> tuple[int, ...]:
        """Tokens allowed in no state: suppressing them up front leaves only state-dependent choices.
        Computed once (every window of a locked language passes it to generate)."""
        if self._never is None:
            anywhere = np.zeros(self.vocab_size, dtype=bool)
            for state in self.prefixes | {CLUSTER + prefix for prefix in self.prefixes}:
                anywhere |= self.mask(state)
            self._never = tuple(int(i) for i in np.flatnonzero(~anywhere))
        return self._never

    def letter_starts(self, size: int | None = None) -> np.ndarray | None:
        """Boolean over the vocabulary: tokens allowed between characters that begin (after an optional space) a
        letter of the language's own script (or, code-mixed, a Latin letter); None without a script block.
        Computed once."""
        if self.script is None:
            return None
        if self._letter_starts is None:
            low, high = self.script
            codes = [*range(low, high + 1), *(c for lo, hi in LATIN for c in range(lo, hi + 1))]
            starts = set()
            for code in filter(self._is_letter, codes):
                encoded = chr(code).encode("utf-8")
                starts.update(encoded[:n] for n in range(1, len(encoded) + 1))
            mask = np.zeros(self.vocab_size, dtype=bool)
            for token in self._table(COMPLETE):
                raw = self.token_bytes[token].lstrip(b" ")
                if raw and raw[:_utf8_length(raw[0])] in starts:
                    mask[token] = True
            self._letter_starts = mask
        size = size or self.vocab_size
        padded = np.zeros(max(size, self.vocab_size), dtype=bool)
        padded[: self.vocab_size] = self._letter_starts
        return padded[:size]

    def has_letter(self, text: str) -> bool:
        """Whether ``text`` holds a letter or digit of the language's own script (not a mark, a joiner or a
        danda); True without a script."""
        return self.script is None or any(self._is_letter(ord(ch)) for ch in text)

    def _is_letter(self, code: int) -> bool:
        """A letter or digit of the language's own block (marks and the dandas every Indic script shares are
        not)."""
        low, high = self.script
        if self.latin_letters and any(lo <= code <= hi for lo, hi in LATIN):
            return True
        return low <= code <= high and is_letter(chr(code))

    def state_after(self, tokens: list[int], state: bytes = COMPLETE) -> bytes | None:
        for token in tokens:
            state = self.advance(state, token)
            if state is None:
                return None
        return state

    def first_violation(self, tokens: list[int], end_token: int | None = None) -> tuple[int, bytes] | None:
        """(index, state before it) of the first token not allowed where it stands; a sequence that stops
        (or reaches ``end_token``) inside a character violates at its end."""
        state = COMPLETE
        for index, token in enumerate(tokens):
            if token == end_token:
                return (index, state) if not between(state) else None
            following = self.advance(state, token)
            if following is None:
                return index, state
            state = following
        return (len(tokens), state) if not between(state) else None

    def _table(self, state: bytes) -> dict[int, bytes]:
        if state not in self._next:
            table = {}
            for token, raw in self.token_bytes.items():
                if between(state) and raw and 0x80 <= raw[0] < 0xC0:
                    continue  # a continuation byte with no character begun
                if not between(state) and (not raw or not 0x80 <= raw[0] < 0xC0):
                    continue  # a character begun must be continued
                after = self._walk(state, raw)
                if after is not None:
                    table[token] = after
            self._next[state] = table
        return self._next[state]

    def _walk(self, state: bytes, raw: bytes) -> bytes | None:
        cluster = state.startswith(CLUSTER)
        pending = state[1:] if cluster else state
        for byte in raw:
            pending += bytes([byte])
            if pending in self.characters:
                if pending in self._needs_base and not cluster:
                    return None  # a mark or joiner with no letter before it
                cluster, pending = pending in self._keeps_cluster, COMPLETE
            elif pending not in self.prefixes:
                return None
        return (CLUSTER if cluster else COMPLETE) + pending


def _utf8_length(lead: int) -> int:
    """Bytes of the character a UTF-8 lead byte begins."""
    return 1 if lead < 0xC0 else 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4


def _byte_decoder() -> dict[str, int]:
    """GPT-2's byte <-> printable-character table, reversed."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return {chr(code): byte for byte, code in zip(printable, codes)}


def token_bytes(vocab: dict[str, int]) -> dict[int, bytes]:
    """Each text token's bytes, from a GPT-2 style byte-level vocabulary (special tokens left out)."""
    decoder = _byte_decoder()
    return {token_id: bytes(decoder[ch] for ch in token) for token, token_id in vocab.items()
            if not token.startswith("<|") and all(ch in decoder for ch in token)}
