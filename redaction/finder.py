"""Finding identifiers in a transcript, written or spoken, on the ITN grammars' tokens and number parsers.

At each token, in order: an address (email or UPI, written or said with "at"/"at the rate"/"dot"); a
spelled run of letters and digits (PAN, IFSC); a time, date or amount the ITN grammars recognise (never
an identifier); a run of digits, written or spoken one by one or in groups ("nine eight", "ninety eight",
"double five", "डबल पाँच", Hindi, English and English words in Devanagari alike), classified by
:mod:`sunvai.redaction.kinds`; any other number (for ``numbers``). The grammars' lexicons are the only
number vocabulary.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from sunvai.itn import grammar_for
from sunvai.itn.english import LEXICON as ENGLISH
from sunvai.itn.hindi import LEXICON as HINDI
from sunvai.itn.numbers import Number, keyed, keys, parse_number
from sunvai.itn.text import Token, tokenize
from sunvai.redaction.kinds import digit_kind, letters_kind, written_address_kind

DIGITS = HINDI.digits  # 0-9 in Hindi, English, and English in Devanagari
INNER_DIGITS = ENGLISH.inner_digits  # "oh" inside a run
REPEATERS = HINDI.repeaters  # double/triple, डबल/ट्रिपल
PLUS = keys("plus", "प्लस")
AT = keys("at", "एट", "ऐट", "@")
THE_RATE = (keys("the", "द"), keys("rate", "रेट"))
DOT = keys("dot", "डॉट", "डोट", ".")
LETTER_NAMES = keyed({
    "ए": 0, "बी": 1, "सी": 2, "डी": 3, "ई": 4, "एफ": 5, "जी": 6, "एच": 7, "आई": 8, "जे": 9, "के": 10, "एल": 11,
    "एम": 12, "एन": 13, "ओ": 14, "पी": 15, "क्यू": 16, "आर": 17, "एस": 18, "टी": 19, "यू": 20, "वी": 21,
    "डब्ल्यू": 22, "एक्स": 23, "वाई": 24, "ज़ेड": 25, "जेड": 25,
})
# the spoken parts of an address, as Hindi speakers write them in Devanagari
SPOKEN_ADDRESS_WORDS = keyed({"जीमेल": "gmail", "याहू": "yahoo", "हॉटमेल": "hotmail", "आउटलुक": "outlook",
                              "रेडिफमेल": "rediffmail", "कॉम": "com", "इन": "in", "पेटीएम": "paytm",
                              "ओकेएक्सिस": "okaxis", "ओकेएसबीआई": "oksbi", "वाईबीएल": "ybl", "यूपीआई": "upi"})
UPI_HANDLES = frozenset(
    "okaxis oksbi okhdfcbank okicici ybl ibl axl paytm upi apl ptyes ptaxis pthdfc ptsbi yapl fbl "
    "axisbank sbi hdfcbank icici kotak indus federal pnb barodampay airtel jio freecharge waicici "
    "waaxis wahdfcbank wasbi abfspay timecosmos postbank".split())
TLDS = frozenset("com in org net co edu gov io info biz ac".split())
AMOUNT_GROUPING = re.compile(r"\d{1,2}(?:,\d\d)*,\d{3}|\d{1,3}(?:,\d{3})+")  # Indian or Western
MAX_AMOUNT_DIGITS = 10  # 1,00,00,00,000 (a hundred crore) has eleven
JOINS = re.compile(r"[\s,\-–]*")  # what may stand between the parts of one number


@dataclass(frozen=True)
class Found:
    """An entity in the text: characters [start, end), its kind, and its value written compactly."""

    start: int
    end: int
    kind: str
    value: str


def find(text: str, kinds: frozenset[str] | set[str], language: str = "en-IN") -> list[Found]:
    """The entities of ``kinds`` in ``text``, in order, not overlapping."""
    tokens = tokenize(text)
    found: list[Found] = []
    i = 0
    while i < len(tokens):
        hit, end = _entity_at(text, tokens, i, kinds, language)
        if hit is not None:
            found.append(hit)
        i = max(end, i + 1)
    return found


def _entity_at(text: str, tokens: list[Token], i: int, kinds, language: str) -> tuple[Found | None, int]:
    """(the entity starting at token ``i`` or None, the token to go on from)."""
    address = _address(text, tokens, i)
    if address is not None:
        return _kept(address[0], kinds, text, tokens, i, address[1], address[2]), address[1]
    spelled = _spelled(text, tokens, i)
    if spelled is not None:
        return _kept(spelled[0], kinds, text, tokens, i, spelled[1], spelled[2]), spelled[1]
    protected = _time_date_or_amount(tokens, i, language)
    if protected is not None:
        end, written = protected
        if not written or "numbers" not in kinds:
            return None, end
        start = next((k for k in range(i, end) if _is_numeric(tokens[k])), i)
        return _found("numbers", text, tokens, start, end, ""), end
    run = digit_run(text, tokens, i)
    if run is not None:
        digits, end = run
        after = _spoken_address_after(text, tokens, end)  # 9876543210 at paytm
        if after is not None and after[0] == "upi":
            return _kept("upi", kinds, text, tokens, i, after[1], f"{digits}@{after[2]}"), after[1]
        kind = digit_kind(digits)
        if kind is None or kind not in kinds:
            kind = "numbers"
        return _kept(kind, kinds, text, tokens, i, end, digits), end
    number = _number(tokens, i)
    if number is not None and "numbers" in kinds and (number.has_multiplier or number.words > 1):
        return _found("numbers", text, tokens, i, number.end, str(number.value)), number.end
    if "numbers" in kinds and any(c.isdigit() for c in tokens[i].text):
        return _found("numbers", text, tokens, i, i + 1, tokens[i].text), i + 1
    return None, i + 1


def _is_numeric(token: Token) -> bool:
    return (any(c.isdigit() for c in token.text) or HINDI.is_number_word(token.key) or ENGLISH.is_number_word(token.key)
            or token.key in DIGITS)


def _kept(kind: str, kinds, text: str, tokens: list[Token], i: int, end: int, value: str = "") -> Found | None:
    return _found(kind, text, tokens, i, end, value) if kind in kinds else None


def _found(kind: str, text: str, tokens: list[Token], i: int, end: int, value: str) -> Found:
    last = tokens[end - 1]
    return Found(tokens[i].start, last.end + (1 if last.abbreviation_dot else 0), kind,
                 value or _compact(text[tokens[i].start:last.end]))


def _compact(written: str) -> str:
    return "".join(c for c in written if c.isalnum() or c in "@.")


# --- digits --------------------------------------------------------------------------------------------
def _joined(text: str, tokens: list[Token], j: int) -> bool:
    """Tokens j-1 and j may be parts of one number: nothing but spaces, commas or dashes between them."""
    return JOINS.fullmatch(text, tokens[j - 1].end, tokens[j].start) is not None


def _written_digits(word: str) -> str | None:
    """The digits of a token written in digits of any script ("98765", "+91", "९८७६"), else None. Commas
    inside count only where they do not group an amount ("98,76543,210" is a phone, "5,00,000" an amount; a
    grouped run of more than ten digits is no amount: Whisper writes a card as "4,111,111,111,111,111")."""
    core = word.removeprefix("+")
    if "," in core:
        if AMOUNT_GROUPING.fullmatch(core) and sum(c.isdigit() for c in core) <= MAX_AMOUNT_DIGITS:
            return None
        core = core.replace(",", "")
    if core and all(unicodedata.category(c) == "Nd" for c in core):
        return "".join(str(unicodedata.digit(c)) for c in core)
    return None


def _digit_piece(tokens: list[Token], j: int, started: bool) -> tuple[str, int] | None:
    """One piece of a digit run at token ``j``: written digits, a digit word, a repeat, or a two-digit group."""
    token = tokens[j]
    written = _written_digits(token.text)
    if written is not None:
        return written, j + 1
    key = token.key
    if key in REPEATERS and j + 1 < len(tokens) and not token.closes:
        following = _digit_piece(tokens, j + 1, True)
        if following is not None and len(following[0]) == 1:
            return following[0] * REPEATERS[key], following[1]
        return None
    if key in DIGITS and not _starts_a_group(tokens, j):
        return str(DIGITS[key]), j + 1
    if started and key in INNER_DIGITS:
        return "0", j + 1
    number = _number(tokens, j)
    if number is not None and number.is_integer and not number.has_multiplier and not number.fractional_prefix:
        return str(int(number.value)), number.end
    return None


def _number(tokens: list[Token], j: int) -> Number | None:
    """The longer of the Hindi and the English reading ("ninety eight" is one number in English only)."""
    readings = [n for n in (parse_number(tokens, j, HINDI), parse_number(tokens, j, ENGLISH)) if n is not None]
    return max(readings, key=lambda n: n.end, default=None)


def _starts_a_group(tokens: list[Token], j: int) -> bool:
    """A digit word that begins a larger number ("five hundred"): not a digit of a run."""
    if j + 1 >= len(tokens) or tokens[j].closes:
        return False
    following = tokens[j + 1].key
    return following in HINDI.hundred or following in HINDI.scales


def digit_run(text: str, tokens: list[Token], i: int) -> tuple[str, int] | None:
    """(the digits, the token after) of a run of digits starting at token ``i``; "plus" may lead it."""
    j, digits = i, ""
    if tokens[i].key in PLUS and i + 1 < len(tokens) and _joined(text, tokens, i + 1):
        j = i + 1
    while j < len(tokens) and (not digits or _joined(text, tokens, j)):
        piece = _digit_piece(tokens, j, bool(digits))
        if piece is None:
            break
        digits += piece[0]
        j = piece[1]
    return (digits, j) if digits else None


def _time_date_or_amount(tokens: list[Token], i: int, language: str) -> tuple[int, bool] | None:
    """(end, written in digits) of a time, date or amount the ITN grammars find at token ``i``."""
    for grammar in _grammars(language):
        for parse in (grammar.parse_time, grammar.parse_date, grammar.parse_money, grammar.parse_decimal_percent):
            match = parse(tokens, i)
            if match is not None:
                return match.end, match.text is not None
    return None


@lru_cache(maxsize=None)
def _grammars(language: str):
    """The language's grammar first, then the other (code-mixed speech)."""
    first = grammar_for(language)
    both = [grammar_for("hi-IN"), grammar_for("en-IN")]
    ordered = [first] if first is not None else []
    return tuple(ordered + [g for g in both if g is not first])


# --- letters and digits spelled out: PAN, IFSC --------------------------------------------------------------
def _letters_piece(tokens: list[Token], j: int) -> tuple[str, int] | None:
    """A letter said or written alone, a written code ("SBIN", "ABCPE1234F"), or a digit piece."""
    word = tokens[j].text
    if word.isascii() and word.isalnum() and (len(word) == 1 or word.isupper() or not word.isalpha()):
        return word.upper(), j + 1
    if tokens[j].key in LETTER_NAMES:
        return chr(ord("A") + LETTER_NAMES[tokens[j].key]), j + 1
    return _digit_piece(tokens, j, True)


def _spelled(text: str, tokens: list[Token], i: int) -> tuple[str, int, str] | None:
    """(pan or ifsc, the token after, the code) for a PAN or IFSC starting at token ``i``, written or spelled."""
    pieces: list[tuple[str, int]] = []
    j = i
    while j < len(tokens) and len(pieces) < 14 and (j == i or _joined(text, tokens, j)):
        piece = _letters_piece(tokens, j)
        if piece is None:
            break
        pieces.append(piece)
        j = piece[1]
    written = ""
    best = None
    for value, end in pieces:
        written += value
        kind = letters_kind(written)
        if kind is not None:
            best = (kind, end, written)
        if len(written) >= 11:
            break
    return best


# --- addresses: email and UPI ----------------------------------------------------------------------------
def _address(text: str, tokens: list[Token], i: int) -> tuple[str, int, str] | None:
    """(email or upi, the token after, the address) for an address starting at token ``i``: written, or a
    name (words joined by "dot") followed by "at"."""
    written = written_address_kind(tokens[i].text)
    if written is not None:
        return written, i + 1, tokens[i].text
    name, k = [tokens[i].key], i + 1
    while k + 1 < len(tokens) and tokens[k].key in DOT:
        name.append(tokens[k + 1].key)
        k += 2
    after = _spoken_address_after(text, tokens, k)
    return (after[0], after[1], ".".join(name) + "@" + after[2]) if after else None


def _spoken_address_after(text: str, tokens: list[Token], j: int) -> tuple[str, int, str] | None:
    """("email" or "upi", end, the domain or handle) where tokens from ``j`` say "at [the rate] handle" or
    "at domain dot tld"."""
    n = len(tokens)
    if j >= n or tokens[j].key not in AT:
        return None
    j += 1
    if j + 1 < n and tokens[j].key in THE_RATE[0] and tokens[j + 1].key in THE_RATE[1]:
        j += 2
    if j >= n:
        return None
    first = _address_word(tokens[j])
    k = j + 1
    parts = [first]
    while k + 1 < n and tokens[k].key in DOT:
        parts.append(_address_word(tokens[k + 1]))
        k += 2
    if len(parts) >= 2 and parts[-1] in TLDS:
        return "email", k, ".".join(parts)
    if len(parts) == 1 and first in UPI_HANDLES:
        return "upi", k, first
    return None


def _address_word(token: Token) -> str:
    return SPOKEN_ADDRESS_WORDS.get(token.key, token.key)
