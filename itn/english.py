"""en-IN: English number words with lakh and crore, rupees and paise, Indian dates and times."""

from __future__ import annotations

from sunvai.itn import render
from sunvai.itn.english_words import ORDINALS_LATIN, SCALES_LATIN, UNITS_LATIN
from sunvai.itn.grammar import CLOCK, Grammar, Match, to_24h
from sunvai.itn.numbers import Lexicon, keyed, keys, parse_year
from sunvai.itn.text import Token

MONTHS = {
    "january": "January", "february": "February", "march": "March", "april": "April", "may": "May",
    "june": "June", "july": "July", "august": "August", "september": "September", "october": "October",
    "november": "November", "december": "December",
}
AMBIGUOUS_MONTHS = {"march", "may"}  # verbs too: need a day right before, or an ordinal day after
AM_PM = {"am": "am", "a.m": "am", "pm": "pm", "p.m": "pm"}
AM_PM_SPLIT = {("a", "m"): "am", ("p", "m"): "pm"}
# Phrases that fix the half of the day; they stay in the text, the clock is written 24-hour.
PERIOD_PHRASES = [
    (("in", "the", "morning"), "morning"),
    (("in", "the", "afternoon"), "afternoon"),
    (("in", "the", "evening"), "evening"),
    (("at", "night"), "night"),
    (("tonight",), "night"),
]

LEXICON = Lexicon(
    units=keyed(UNITS_LATIN),
    hundred=keys("hundred"),
    scales=keyed(SCALES_LATIN),
    tens_take_ones=True,
    connectors=keys("and"),
    articles=keys("a"),
    digits={k: v for k, v in keyed(UNITS_LATIN).items() if v <= 9},
    inner_digits=keyed({"oh": 0, "o": 0}),
    repeaters=keyed({"double": 2, "triple": 3}),
    point=keys("point"),
)


class EnglishGrammar(Grammar):
    def __init__(self):
        super().__init__(
            language="en-IN",
            lex=LEXICON,
            ordinals=keyed(ORDINALS_LATIN),
            currency=keys("rupees", "rupee", "rs", "inr"),
            paise=keys("paise", "paisa"),
            percent=keys("percent"),
            paise_connectors=keys("and"),
            currency_first=True,
            small_ordinals_stay=True,
        )

    # --- time ---------------------------------------------------------------
    def _minutes(self, tokens: list[Token], k: int) -> tuple[int, int] | None:
        if self.next_is(tokens, k, self.lex.inner_digits) and self.next_is(tokens, k + 1, set(self.lex.digits)):
            return self.lex.digits[tokens[k + 1].key], k + 2  # five oh five
        number = self.number(tokens, k) if k < len(tokens) and not tokens[k - 1].closes else None
        if number and number.is_integer and 1 <= number.value <= 59 and not number.has_multiplier:
            return int(number.value), number.end
        return None

    def _period(self, tokens: list[Token], k: int) -> tuple[str, int, bool] | None:
        """(period, end, keep_words) for am/pm (dropped) or a phrase (kept)."""
        if self.next_is(tokens, k, set(AM_PM)):
            return AM_PM[tokens[k].key], k + 1, False
        if self.next_is(tokens, k, {"a", "p"}) and self.next_is(tokens, k + 1, {"m"}):
            return AM_PM_SPLIT[(tokens[k].key, "m")], k + 2, False
        for words, period in PERIOD_PHRASES:
            if all(self.next_is(tokens, k + n, {w}) for n, w in enumerate(words)):
                return period, k + len(words), True
        return None

    def parse_time(self, tokens: list[Token], i: int) -> Match | None:
        start = i
        if tokens[i].key == "at" and not tokens[i].closes:
            i += 1  # "at five pm" -> "17:00": the preposition goes with the spoken time
        if i >= len(tokens):
            return None
        hour, minute, k = None, 0, i
        clock = CLOCK.match(tokens[i].text)
        if clock:
            hour, minute, k = int(clock.group(1)), int(clock.group(2)), i + 1
        elif tokens[i].key in ("half", "quarter") and self.next_is(tokens, i + 1, {"past", "to"}):
            number = self.number(tokens, i + 2)
            if number is None or not number.is_integer or not 1 <= number.value <= 12 or number.words != 1:
                return None
            delta = 30 if tokens[i].key == "half" else 15
            hour, k = int(number.value), number.end
            if tokens[i + 1].key == "past":
                minute = delta
            else:
                hour, minute = (hour - 1) or 12, 60 - delta
        else:
            number = self.number(tokens, i)
            if number is None or not number.is_integer or not 1 <= number.value <= 12 or number.words != 1:
                return None
            hour, k = int(number.value), number.end
            minutes = self._minutes(tokens, k)
            if minutes:
                minute, k = minutes
            elif self.next_is(tokens, k, {"o'clock", "oclock"}):
                k += 1
        period = self._period(tokens, k)
        if period is None:
            return None
        converted = to_24h(hour, minute, period[0])
        if converted is None:
            return None
        text = render.clock(*converted)
        if period[2]:  # keep "in the evening" as said
            kept = " ".join(t.text for t in tokens[k:period[1]])
            text = f"{text} {kept}"
        return Match(period[1], text)

    # --- dates ---------------------------------------------------------------
    def _day(self, tokens: list[Token], i: int) -> tuple[int, bool, int] | None:
        """(day, spoken_as_ordinal, end) for "fifteenth", "twenty first", "15", "fifteen"."""
        if i >= len(tokens):
            return None
        key = tokens[i].key
        if key in self.ordinals and self.ordinals[key] <= 31:
            value, end = self.ordinals[key], i + 1
            if value in (20, 30) and self.next_is(tokens, end, set(self.ordinals)):
                return None
            return value, True, end
        tens = self.lex.units.get(key)
        if tens in (20, 30) and self.next_is(tokens, i + 1, set(self.ordinals)):
            value = tens + self.ordinals[tokens[i + 1].key]
            return (value, True, i + 2) if value <= 31 else None
        ordinal_digits = tokens[i].text[:-2]
        if ordinal_digits.isdigit() and tokens[i].key[-2:] in ("st", "nd", "rd", "th") and int(ordinal_digits) <= 31:
            return int(ordinal_digits), True, i + 1
        number = self.number(tokens, i)
        if number and number.is_integer and 1 <= number.value <= 31 and not number.has_multiplier:
            return int(number.value), False, number.end
        return None

    def _year(self, tokens: list[Token], k: int) -> tuple[int, int] | None:
        if k < len(tokens) and k > 0 and tokens[k - 1].closes and tokens[k - 1].text[-1:] != ",":
            return None
        if k < len(tokens) and tokens[k].text.isdigit() and len(tokens[k].text) == 4:
            return int(tokens[k].text), k + 1
        return parse_year(tokens, k, self.lex) if k < len(tokens) else None

    def parse_date(self, tokens: list[Token], i: int) -> Match | None:
        j = i + 1 if tokens[i].key == "the" and not tokens[i].closes else i
        day = self._day(tokens, j)
        if day is not None:
            value, as_ordinal, k = day
            if self.next_is(tokens, k, {"of"}):
                k += 1
            if not self.next_is(tokens, k, set(MONTHS)):
                return None
            month = MONTHS[tokens[k].key]
            written_day = render.ordinal(value) if as_ordinal else str(value)
            year = self._year(tokens, k + 1) if not tokens[k].closes else None
            if year:
                return Match(year[1], f"{written_day} {month} {year[0]}")
            return Match(k + 1, f"{written_day} {month}")
        key = tokens[i].key
        if key not in MONTHS or tokens[i].closes:
            return None
        month = MONTHS[key]
        if key not in AMBIGUOUS_MONTHS:
            year = self._year(tokens, i + 1)
            if year:
                return Match(year[1], f"{month} {year[0]}")
        k = i + 1
        if self.next_is(tokens, k, {"the"}):
            k += 1
        day = self._day(tokens, k)
        if day and (day[1] or key not in AMBIGUOUS_MONTHS):
            value, as_ordinal, k = day
            written_day = render.ordinal(value) if as_ordinal else str(value)
            year = self._year(tokens, k)
            if year:
                return Match(year[1], f"{month} {written_day} {year[0]}")
            return Match(k, f"{month} {written_day}")
        return None
