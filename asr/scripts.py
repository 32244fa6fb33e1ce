"""Keep Whisper in the requested script: the tokens to suppress for each Indic language.

Whisper's vocabulary is byte-level BPE, so a token may hold part of a character. A token is
foreign to a script when it starts a character of another writing system: a UTF-8 lead byte
of Arabic, Cyrillic, CJK and so on, or a three-byte Indic lead (0xE0) whose second byte
belongs to another Indic block. ASCII (code-mixed English words), general punctuation
(0xE2..) and Latin-1 stay allowed. Measured: whisper-base wrote Hindi speech in Urdu script
with the Hindi token forced; with these tokens suppressed it writes Devanagari, at no cost.
"""

from __future__ import annotations

# Second UTF-8 byte after 0xE0 for each script's Unicode block (U+0900.. in steps of 0x80).
# Bengali and Gurmukhi text uses the Devanagari daṇḍa (U+0964), so they allow 0xA5 as well.
SCRIPT_SECOND_BYTES = {
    "hi": {0xA4, 0xA5}, "mr": {0xA4, 0xA5}, "bn": {0xA6, 0xA7, 0xA5}, "pa": {0xA8, 0xA9, 0xA5},
    "gu": {0xAA, 0xAB}, "ta": {0xAE, 0xAF}, "te": {0xB0, 0xB1}, "kn": {0xB2, 0xB3}, "ml": {0xB4, 0xB5},
}
_ALWAYS_ALLOWED_LEADS = {0xC2, 0xC3, 0xE2}  # Latin-1 supplement, general punctuation and symbols


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


def fits_script(raw: bytes, second_bytes: set[int]) -> bool:
    for i, byte in enumerate(raw):
        if byte < 0xC0 or byte in _ALWAYS_ALLOWED_LEADS:  # ASCII, continuation bytes
            continue
        if byte == 0xE0:
            if i + 1 < len(raw) and raw[i + 1] not in second_bytes:
                return False
            continue
        return False
    return True


def foreign_script_tokens(vocab: dict[str, int], iso: str) -> tuple[int, ...]:
    """Token ids that would start a character outside ``iso``'s script; empty for unlocked languages.

    Scans the whole vocabulary: callers compute it once per language and keep it.
    """
    if iso not in SCRIPT_SECOND_BYTES:
        return ()
    second = SCRIPT_SECOND_BYTES[iso]
    decoder = _byte_decoder()
    foreign = []
    for token, token_id in vocab.items():
        if token.startswith("<|") or not all(ch in decoder for ch in token):
            continue
        if not fits_script(bytes(decoder[ch] for ch in token), second):
            foreign.append(token_id)
    return tuple(sorted(foreign))
