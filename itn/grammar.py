"""The span engine and the entity parsers both languages share.

At each token the parsers are tried in order (time, date, money, digit stream,
ordinal, decimal/percent, cardinal); the first that matches rewrites its span,
every other token is left exactly as written. A parser may also claim a span
and leave it alone (approximate pairs such as दो तीन): when in doubt, words stay.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

from sunvai.itn import render
from sunvai.itn.numbers import Lexicon, Number, parse_digit_stream, parse_number
from sunvai.itn.text import Token, tokenize

DIGITS = re.compile(r"^\d{1,3}(?:,\d{2,3})+$|^\d+$")
CLOCK = re.compile(r"^(\d{1,2})[:.](\d{2})$")


@dataclass(frozen=True)
class Match:
    end: int
    text: str | None  # None: the span stays as written
    latin_digits: bool = False  # ordinals keep 1st/2nd: the suffix is Latin


@dataclass
class Grammar:
    """Shared parsers; a language provides its lexicon and its time and date parsers."""

    language: str
    lex: Lexicon
    ordinals: dict[str, int]
    currency: set[str]
    paise: set[str]
    percent: set[str]
    paise_connectors: set[str] = field(default_factory=set)
    currency_first: bool = False  # "rupees five hundred"
    small_ordinals_stay: bool = False  # English "first", "second" stay words
    single_word_limit: int = 10  # one-word cardinals up to this stay words

    # --- the engine -------------------------------------------------------
    def parsers(self) -> list[Callable[[list[Token], int], Match | None]]:
        return [self.parse_time, self.parse_date, self.parse_money, self.parse_digits, self.parse_ordinal,
                self.parse_decimal_percent, self.parse_cardinal]

    def normalize(self, text: str, native_numerals: bool = False) -> str:
        tokens = tokenize(text)
        pieces: list[str] = []
        written_to = 0
        i = 0
        parsers = self.parsers()
        while i < len(tokens):
            match = next((m for parse in parsers if (m := parse(tokens, i))), None)
            if match is None:
                i += 1
                continue
            if match.text is not None:
                native = native_numerals and not match.latin_digits
                replacement = render.to_native(match.text, self.language) if native else match.text
                pieces += [text[written_to:tokens[i].start], replacement]
                last = tokens[match.end - 1]
                # "10 a.m. tomorrow" -> "10:00 tomorrow": the abbreviation's dot goes with it,
                # unless the text ends there and the dot also ends the sentence.
                written_to = last.end + (1 if last.abbreviation_dot and match.end < len(tokens) else 0)
            i = match.end
        pieces.append(text[written_to:])
        return "".join(pieces)

    # --- helpers ----------------------------------------------------------
    def number(self, tokens: list[Token], i: int) -> Number | None:
        """A spoken number, or one the ASR already wrote in digits ("5000", "5,000")."""
        if i < len(tokens) and DIGITS.match(tokens[i].text):
            value = int(tokens[i].text.replace(",", ""))
            after = parse_number(tokens, i + 1, self.lex) if not tokens[i].closes else None
            if after and after.bare and after.is_integer:  # "5 lakh"
                scale_words = after.end - i - 1
                if scale_words == 1:
                    return Number(Fraction(value) * after.value, after.end, 2, True, False, False)
            return Number(Fraction(value), i + 1, 1, False, False, False)
        return parse_number(tokens, i, self.lex)

    def next_is(self, tokens: list[Token], j: int, words: set[str]) -> bool:
        return 0 < j < len(tokens) and not tokens[j - 1].closes and tokens[j].key in words

    def run_end(self, tokens: list[Token], j: int) -> int:
        """End of a run of number words starting at ``j`` (an approximate range)."""
        while j < len(tokens) and not tokens[j - 1].closes and self.lex.is_number_word(tokens[j].key):
            j += 1
        return j

    # --- shared entities --------------------------------------------------
    def parse_money(self, tokens: list[Token], i: int) -> Match | None:
        n = len(tokens)
        if self.currency_first and tokens[i].key in self.currency and not tokens[i].closes:
            amount = self.number(tokens, i + 1)
            if amount and amount.is_integer and not amount.bare:
                return Match(amount.end, render.money(int(amount.value)))
        amount = self.number(tokens, i)
        if amount is None:
            return None
        if self.next_is(tokens, amount.end, self.currency):
            whole = int(amount.value)
            paise = amount.value - whole
            if (paise * 100).denominator != 1:
                return None
            paise = int(paise * 100)
            j = amount.end + 1
            if not paise and j < n and not tokens[j - 1].closes:
                k = j + 1 if tokens[j].key in self.paise_connectors else j
                part = parse_number(tokens, k, self.lex)
                if part and part.is_integer and 1 <= part.value <= 99 and self.next_is(tokens, part.end, self.paise):
                    paise, j = int(part.value), part.end + 1
            return Match(j, render.money(whole, paise))
        if amount.is_integer and 1 <= amount.value <= 99 and self.next_is(tokens, amount.end, self.paise):
            return Match(amount.end + 1, render.money(0, int(amount.value)))
        return None

    def parse_digits(self, tokens: list[Token], i: int) -> Match | None:
        stream = parse_digit_stream(tokens, i, self.lex)
        return Match(stream[1], stream[0]) if stream else None

    def parse_ordinal(self, tokens: list[Token], i: int) -> Match | None:
        key = tokens[i].key
        if key in self.ordinals:
            value = self.ordinals[key]
            if self.small_ordinals_stay and value <= 10:
                return None
            return Match(i + 1, render.ordinal(value), latin_digits=True)
        tens = self.lex.units.get(key)
        if (self.lex.tens_take_ones and tens and tens % 10 == 0 and 20 <= tens <= 90
                and self.next_is(tokens, i + 1, set(self.ordinals))
                and 1 <= self.ordinals[tokens[i + 1].key] <= 9):
            return Match(i + 2, render.ordinal(tens + self.ordinals[tokens[i + 1].key]), latin_digits=True)
        return None

    def parse_decimal_percent(self, tokens: list[Token], i: int) -> Match | None:
        number = self.number(tokens, i)
        if number is None or not number.is_integer or number.bare:
            return None
        j, text = number.end, None
        if self.next_is(tokens, j, self.lex.point):
            digits = parse_digit_stream(tokens, j + 1, self.lex, min_digits=1)
            if digits is None:
                return None
            text, j = render.decimal(int(number.value), digits[0]), digits[1]
        if self.next_is(tokens, j, self.percent):
            return Match(j + 1, (text or render.indian_grouping(int(number.value))) + "%")
        if self.next_is(tokens, j, {"per"}) and self.next_is(tokens, j + 1, {"cent"}):
            return Match(j + 2, (text or render.indian_grouping(int(number.value))) + "%")
        return Match(j, text) if text else None

    def parse_cardinal(self, tokens: list[Token], i: int) -> Match | None:
        if DIGITS.match(tokens[i].text):
            return None  # already written; regrouping "2025" would be wrong
        number = parse_number(tokens, i, self.lex)
        if number is None:
            return None
        run = self.run_end(tokens, number.end)
        if run > number.end:
            return Match(run, None)  # दो तीन, दस बारह, twenty thirty: an approximate range stays words
        if not number.is_integer or number.bare:
            return Match(number.end, None)
        if number.words == 1 and number.value <= self.single_word_limit:
            return Match(number.end, None)
        return Match(number.end, render.indian_grouping(int(number.value)))

    # --- per language -----------------------------------------------------
    def parse_time(self, tokens: list[Token], i: int) -> Match | None:
        return None

    def parse_date(self, tokens: list[Token], i: int) -> Match | None:
        return None


def to_24h(hour: int, minute: int, period: str | None) -> tuple[int, int] | None:
    """Hour on a 12-hour clock plus a period of the day -> 24-hour time."""
    if not (0 <= minute <= 59) or not (0 <= hour <= 24):
        return None
    if hour > 12 or period is None:
        return hour % 24, minute
    if period == "am" or period == "morning":
        return hour % 12, minute
    if period == "pm":
        return hour % 12 + 12, minute
    if period in ("midday", "afternoon"):
        return (hour if hour >= 11 else hour + 12), minute
    if period == "evening":
        return (hour if hour == 12 else hour + 12), minute
    if period == "night":
        if hour == 12:
            return 0, minute
        return (hour + 12 if hour >= 6 else hour), minute
    return None
