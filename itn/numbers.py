"""Language-neutral number parsing over tokens, driven by a lexicon.

Cardinals follow the Indian scale system (hundred, thousand, lakh, crore) as well
as million/billion, Hindi fractional prefixes (साढ़े, सवा, पौने, डेढ़, ढाई), and
English tens+ones compounds ("twenty five").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from sunvai.itn.text import Token, lookup_key


def keys(*words: str) -> set[str]:
    return {lookup_key(w) for w in words}


def keyed(mapping: dict[str, int]) -> dict[str, int]:
    return {lookup_key(word): value for word, value in mapping.items()}


@dataclass(frozen=True)
class Lexicon:
    units: dict[str, int]  # single words 0..99
    hundred: set[str]
    scales: dict[str, int]  # thousand, lakh, crore, million, billion...
    tens_take_ones: bool = False  # English: "twenty" + "five"
    connectors: set[str] = field(default_factory=set)  # "and" inside a number
    articles: set[str] = field(default_factory=set)  # "a" hundred/thousand
    add_fractions: dict[str, Fraction] = field(default_factory=dict)  # साढ़े +1/2, सवा +1/4, पौने -1/4
    fraction_values: dict[str, Fraction] = field(default_factory=dict)  # डेढ़ 3/2, ढाई 5/2
    digits: dict[str, int] = field(default_factory=dict)  # single digits for streams
    inner_digits: dict[str, int] = field(default_factory=dict)  # only inside a stream ("oh")
    repeaters: dict[str, int] = field(default_factory=dict)  # double 2, triple 3
    point: set[str] = field(default_factory=set)  # decimal point word

    def is_number_word(self, key: str) -> bool:
        return (key in self.units or key in self.hundred or key in self.scales or key in self.add_fractions
                or key in self.fraction_values)


@dataclass(frozen=True)
class Number:
    value: Fraction
    end: int  # index after the last token used
    words: int
    has_multiplier: bool  # used hundred or a scale word
    bare: bool  # began with a bare multiplier ("हज़ार रुपये", "hundred")
    fractional_prefix: bool  # began with साढ़े/सवा/पौने/डेढ़/ढाई

    @property
    def is_integer(self) -> bool:
        return self.value.denominator == 1


def parse_number(tokens: list[Token], i: int, lex: Lexicon) -> Number | None:
    """The longest well-formed number starting at ``tokens[i]``, or None."""
    n = len(tokens)
    total = Fraction(0)
    group = Fraction(0)
    last: str | None = None  # unit | tens | hundred | scale | and
    last_scale: int | None = None
    bare = fractional = has_multiplier = False
    j = and_at = i

    first = tokens[i].key if i < n else ""
    if first in lex.add_fractions and i + 1 < n and tokens[i + 1].key in lex.units and not tokens[i].closes:
        group = lex.units[tokens[i + 1].key] + lex.add_fractions[first]
        fractional, last, j = True, "unit", i + 2
    elif first in lex.add_fractions and i + 1 < n and not tokens[i].closes and (
            tokens[i + 1].key in lex.hundred or tokens[i + 1].key in lex.scales):
        group = 1 + lex.add_fractions[first]  # सवा सौ = 125, पौने लाख = 75,000
        fractional, last, j = True, "unit", i + 1
    elif first in lex.fraction_values:
        group = lex.fraction_values[first]
        fractional, last, j = True, "unit", i + 1
    elif first in lex.articles and i + 1 < n and (tokens[i + 1].key in lex.hundred or tokens[i + 1].key in lex.scales):
        group, last, j = Fraction(1), "unit", i + 1

    while j < n:
        if j > i and tokens[j - 1].closes:
            break
        key = tokens[j].key
        if key in lex.units:
            value = lex.units[key]
            if last == "tens" and 1 <= value <= 9:
                group += value
                last = "unit"
            elif last in (None, "hundred", "scale", "and"):
                if last == "hundred" and group % 100:
                    break
                group += value
                last = "tens" if lex.tens_take_ones and value % 10 == 0 and 20 <= value <= 90 else "unit"
            else:
                break
        elif key in lex.hundred:
            if last is None:
                group, bare = Fraction(1), True
            elif last not in ("unit", "tens") or group >= 100 or group == 0:
                break
            group *= 100
            last, has_multiplier = "hundred", True
        elif key in lex.scales:
            scale = lex.scales[key]
            if last is None:
                group, bare = Fraction(1), True
            elif last == "and" or (last_scale is not None and scale == last_scale):
                break
            if last_scale is not None and scale > last_scale:
                total = (total + group) * scale
            elif group == 0:
                break
            else:
                total += group * scale
            group = Fraction(0)
            last, last_scale, has_multiplier = "scale", scale, True
        elif key in lex.connectors and last in ("hundred", "scale") and j + 1 < n and tokens[j + 1].key in lex.units:
            last, and_at = "and", j
        else:
            break
        j += 1
    if last is None:
        return None
    if last == "and":  # a trailing "and" belongs to the sentence, not the number
        j = and_at
    # A lone multiplier word (सौ, hundred, लाख) is idiomatic as often as numeric;
    # with more words (सौ करोड़) it is a number.
    return Number(total + group, j, j - i, has_multiplier, bare and j - i == 1, fractional)


def parse_digit_stream(tokens: list[Token], i: int, lex: Lexicon, min_digits: int = 4) -> tuple[str, int] | None:
    """Digits spoken one by one ("nine eight seven ..."), with double/triple repeats."""
    digits: list[str] = []
    j, n = i, len(tokens)
    while j < n:
        key = tokens[j].key
        if key in lex.repeaters and j + 1 < n and tokens[j + 1].key in lex.digits and not tokens[j].closes:
            digits.append(str(lex.digits[tokens[j + 1].key]) * lex.repeaters[key])
            j += 2
        elif key in lex.digits or (digits and key in lex.inner_digits):
            digits.append(str(lex.digits.get(key, lex.inner_digits.get(key))))
            j += 1
        else:
            break
        if tokens[j - 1].closes:
            break
    text = "".join(digits)
    if len(text) < min_digits:
        return None
    if j < n and not tokens[j - 1].closes and (tokens[j].key in lex.hundred or tokens[j].key in lex.scales):
        return None  # "... four thousand": not a digit stream
    return text, j


def parse_year(tokens: list[Token], i: int, lex: Lexicon) -> tuple[int, int] | None:
    """A year: a plain number 1000-2999, or the paired form ("nineteen ninety four")."""
    number = parse_number(tokens, i, lex)
    if number and number.is_integer and 1000 <= number.value <= 2999 and not number.bare:
        return int(number.value), number.end
    first = _two_digit(tokens, i, lex)
    if first and 10 <= first[0] <= 29 and not tokens[first[1] - 1].closes:
        second = _two_digit(tokens, first[1], lex)
        if second and 10 <= second[0] <= 99:
            return first[0] * 100 + second[0], second[1]
        j = first[1]
        if j + 1 < len(tokens) and tokens[j].key in lex.inner_digits and tokens[j + 1].key in lex.digits:
            return first[0] * 100 + lex.digits[tokens[j + 1].key], j + 2  # nineteen oh five
        if j < len(tokens) and tokens[j].key in lex.hundred:
            return first[0] * 100, j + 1  # nineteen hundred
    return None


def _two_digit(tokens: list[Token], i: int, lex: Lexicon) -> tuple[int, int] | None:
    if i >= len(tokens) or tokens[i].key not in lex.units:
        return None
    value = lex.units[tokens[i].key]
    j = i + 1
    if (lex.tens_take_ones and value % 10 == 0 and 20 <= value <= 90 and j < len(tokens)
            and not tokens[i].closes and tokens[j].key in lex.units and 1 <= lex.units[tokens[j].key] <= 9):
        value += lex.units[tokens[j].key]
        j += 1
    return value, j
