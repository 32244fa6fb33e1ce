"""hi-IN: Hindi number words with their spelling variants, and English ones inside Hindi."""

from __future__ import annotations

from fractions import Fraction

from sunvai.itn import render
from sunvai.itn.english_words import (HUNDRED_DEVANAGARI, ORDINALS_LATIN, SCALES_DEVANAGARI, SCALES_LATIN,
                               UNITS_DEVANAGARI, UNITS_LATIN)
from sunvai.itn.grammar import CLOCK, Grammar, Match, to_24h
from sunvai.itn.numbers import Lexicon, keyed, keys, parse_year
from sunvai.itn.text import Token, lookup_key

# 0-99, each with the spellings in common use (nukta and chandrabindu are folded by lookup_key).
_UNITS = {
    0: "शून्य", 1: "एक", 2: "दो", 3: "तीन", 4: "चार", 5: "पाँच", 6: "छह छः छै छे", 7: "सात", 8: "आठ", 9: "नौ",
    10: "दस", 11: "ग्यारह", 12: "बारह", 13: "तेरह", 14: "चौदह", 15: "पंद्रह पन्द्रह", 16: "सोलह", 17: "सत्रह",
    18: "अठारह अट्ठारह", 19: "उन्नीस", 20: "बीस", 21: "इक्कीस", 22: "बाईस", 23: "तेईस", 24: "चौबीस",
    25: "पच्चीस", 26: "छब्बीस", 27: "सत्ताईस", 28: "अट्ठाईस अठ्ठाईस अठाईस", 29: "उनतीस उन्तीस", 30: "तीस",
    31: "इकतीस इकत्तीस", 32: "बत्तीस", 33: "तैंतीस तेंतीस", 34: "चौंतीस", 35: "पैंतीस", 36: "छत्तीस",
    37: "सैंतीस", 38: "अड़तीस", 39: "उनतालीस उनचालीस", 40: "चालीस", 41: "इकतालीस", 42: "बयालीस",
    43: "तैंतालीस तेंतालीस", 44: "चवालीस चौवालीस चौंतालीस", 45: "पैंतालीस", 46: "छियालीस", 47: "सैंतालीस",
    48: "अड़तालीस", 49: "उनचास", 50: "पचास", 51: "इक्यावन", 52: "बावन", 53: "तिरेपन तिरपन", 54: "चौवन चव्वन",
    55: "पचपन", 56: "छप्पन", 57: "सत्तावन", 58: "अट्ठावन अठावन", 59: "उनसठ", 60: "साठ", 61: "इकसठ",
    62: "बासठ", 63: "तिरेसठ तिरसठ", 64: "चौंसठ", 65: "पैंसठ", 66: "छियासठ छयासठ", 67: "सड़सठ सरसठ", 68: "अड़सठ",
    69: "उनहत्तर", 70: "सत्तर", 71: "इकहत्तर", 72: "बहत्तर", 73: "तिहत्तर", 74: "चौहत्तर", 75: "पचहत्तर",
    76: "छिहत्तर", 77: "सतहत्तर", 78: "अठहत्तर", 79: "उन्यासी उनासी", 80: "अस्सी", 81: "इक्यासी", 82: "बयासी",
    83: "तिरासी", 84: "चौरासी", 85: "पचासी", 86: "छियासी", 87: "सत्तासी", 88: "अट्ठासी अठासी", 89: "नवासी",
    90: "नब्बे", 91: "इक्यानवे", 92: "बानवे", 93: "तिरानवे", 94: "चौरानवे", 95: "पचानवे", 96: "छियानवे",
    97: "सत्तानवे", 98: "अट्ठानवे", 99: "निन्यानवे निन्यानबे",
}
HINDI_UNITS = {word: value for value, words in _UNITS.items() for word in words.split()}

_ORDINALS = {
    "पहला": 1, "पहली": 1, "दूसरा": 2, "दूसरी": 2, "तीसरा": 3, "तीसरी": 3, "तीसरे": 3,
    "चौथा": 4, "चौथी": 4, "चौथे": 4, "छठा": 6, "छठी": 6, "छठे": 6, "छटा": 6,
}
# पहले ("before") and दूसरे ("others") are left out on purpose: too often not ordinals.
for _value, _words in _UNITS.items():
    if _value >= 5 and _value != 6:
        for _word in _words.split():
            for _suffix in ("वाँ", "वां", "वीं", "वी", "वें"):
                _ORDINALS[_word + _suffix] = _value
_ORDINALS.update({"नवाँ": 9, "नवां": 9, "नवीं": 9, "सौवाँ": 100, "सौवां": 100, "सौवीं": 100})

MONTHS = keyed({
    "जनवरी": 1, "फ़रवरी": 2, "फरवरी": 2, "मार्च": 3, "अप्रैल": 4, "अप्रेल": 4, "मई": 5, "जून": 6, "जुलाई": 7,
    "अगस्त": 8, "सितंबर": 9, "सितम्बर": 9, "अक्टूबर": 10, "अक्तूबर": 10, "नवंबर": 11, "नवम्बर": 11,
    "दिसंबर": 12, "दिसम्बर": 12,
})
TIME_OF_DAY = keyed({"सुबह": 0, "सवेरे": 0, "दोपहर": 1, "शाम": 2, "रात": 3})
PERIODS = {0: "morning", 1: "midday", 2: "evening", 3: "night"}
LINKS = keys("के", "को", "में")
BAJE = keys("बजे", "बज")
BAJKAR = keys("बजकर", "बजके")
MINUTE = keys("मिनट", "मिनिट")
AM_PM = {**{k: "pm" for k in keys("पीएम", "पी.एम", "p.m", "pm")}, **{k: "am" for k in keys("एएम", "ए.एम", "a.m", "am")}}
AM_PM_SPLIT = {(lookup_key("पी"), lookup_key("एम")): "pm", (lookup_key("ए"), lookup_key("एम")): "am"}
# साढ़े पाँच = 5:30, सवा पाँच = 5:15, पौने पाँच = 4:45, डेढ़ = 1:30, ढाई = 2:30
ADD_FRACTIONS = keyed({"साढ़े": 0, "साढे": 0, "सवा": 1, "पौने": 2})
_ADD_VALUES = {0: Fraction(1, 2), 1: Fraction(1, 4), 2: Fraction(-1, 4)}
FRACTION_VALUES = {lookup_key("डेढ़"): Fraction(3, 2), lookup_key("ढाई"): Fraction(5, 2)}

LEXICON = Lexicon(
    units={**keyed(HINDI_UNITS), **keyed(UNITS_DEVANAGARI), **keyed(UNITS_LATIN)},
    hundred=keys("सौ", "hundred", *HUNDRED_DEVANAGARI),
    scales={**keyed({"हज़ार": 1000, "लाख": 100_000, "करोड़": 10_000_000, "अरब": 1_000_000_000}),
            **keyed(SCALES_DEVANAGARI), **keyed(SCALES_LATIN)},
    add_fractions={k: _ADD_VALUES[v] for k, v in ADD_FRACTIONS.items()},
    fraction_values=FRACTION_VALUES,
    digits={**{k: v for k, v in keyed(HINDI_UNITS).items() if v <= 9},
            **{k: v for k, v in keyed(UNITS_DEVANAGARI).items() if v <= 9},
            **{k: v for k, v in keyed(UNITS_LATIN).items() if v <= 9}},
    repeaters=keyed({"डबल": 2, "ट्रिपल": 3, "double": 2, "triple": 3}),
    point=keys("दशमलव", "पॉइंट", "प्वाइंट", "point"),
)


class HindiGrammar(Grammar):
    def __init__(self):
        super().__init__(
            language="hi-IN",
            lex=LEXICON,
            ordinals=keyed(_ORDINALS),
            currency=keys("रुपये", "रुपए", "रूपये", "रूपए", "रुपया", "रूपया", "रुपयों", "रूपयों", "रु", "rupees", "rupee"),
            paise=keys("पैसे", "पैसा", "paise"),
            percent=keys("प्रतिशत", "परसेंट", "फ़ीसदी", "फीसदी", "percent"),
        )

    # --- time: [सुबह/शाम/… [के]] पाँच बजे, साढ़े पाँच बजे, पाँच बजकर दस मिनट, थ्री फिफ्टी पीएम
    def _clock(self, tokens: list[Token], j: int) -> tuple[int, int, int] | None:
        n = len(tokens)
        if j >= n:
            return None
        key = tokens[j].key
        clock = CLOCK.match(tokens[j].text)
        if clock:
            return int(clock.group(1)), int(clock.group(2)), j + 1
        if key in ADD_FRACTIONS and j + 1 < n and tokens[j + 1].key in self.lex.units and not tokens[j].closes:
            hour = self.lex.units[tokens[j + 1].key]
            kind = ADD_FRACTIONS[key]
            if not 1 <= hour <= 12:
                return None
            return {0: (hour, 30), 1: (hour, 15), 2: (hour - 1 or 12, 45)}[kind] + (j + 2,)
        if key in FRACTION_VALUES:
            return (1, 30, j + 1) if FRACTION_VALUES[key] == Fraction(3, 2) else (2, 30, j + 1)
        if key in self.lex.units and 0 <= self.lex.units[key] <= 24:
            return self.lex.units[key], 0, j + 1
        if tokens[j].text.isdigit() and int(tokens[j].text) <= 24:
            return int(tokens[j].text), 0, j + 1
        return None

    def _am_pm(self, tokens: list[Token], j: int) -> tuple[str, int] | None:
        if self.next_is(tokens, j, set(AM_PM)):
            return AM_PM[tokens[j].key], j + 1
        if j + 1 < len(tokens) and not tokens[j - 1].closes and not tokens[j].closes:
            pair = (tokens[j].key, tokens[j + 1].key)
            if pair in AM_PM_SPLIT:
                return AM_PM_SPLIT[pair], j + 2
        return None

    def parse_time(self, tokens: list[Token], i: int) -> Match | None:
        n = len(tokens)
        period_word, j = None, i
        if tokens[i].key in TIME_OF_DAY and not tokens[i].closes:
            period_word, j = tokens[i], i + 1
            if j < n and tokens[j].key in LINKS and not tokens[j].closes:
                j += 1
        clock = self._clock(tokens, j)
        if clock is None:
            return None
        hour, minute, k = clock
        period = PERIODS[TIME_OF_DAY[period_word.key]] if period_word else None
        said_minutes = minute != 0 or CLOCK.match(tokens[j].text) is not None
        if self.next_is(tokens, k, BAJE):
            k += 1
        elif self.next_is(tokens, k, BAJKAR):
            minutes = self.number(tokens, k + 1)
            if minutes is None or not minutes.is_integer or not tokens or tokens[k].closes:
                return None
            minute, k, said_minutes = int(minutes.value), minutes.end, True
            if self.next_is(tokens, k, MINUTE):
                k += 1
        else:
            # English style: थ्री फिफ्टी पीएम / 3:50 pm
            if not said_minutes and k < n and not tokens[k - 1].closes:
                minutes = self.number(tokens, k)
                if minutes and minutes.is_integer and minutes.value <= 59 and self._am_pm(tokens, minutes.end):
                    minute, k, said_minutes = int(minutes.value), minutes.end, True
            am_pm = self._am_pm(tokens, k)
            if am_pm is None:
                return None
            period, k = am_pm[0], am_pm[1]
        trailing_word = None
        if period is None and self.next_is(tokens, k, set(TIME_OF_DAY)):
            trailing_word = tokens[k]
            period = PERIODS[TIME_OF_DAY[tokens[k].key]]
            k += 1
        if period is None:  # the hour is certain, the half of the day is not: write the hour only
            text = f"{hour}:{minute:02d}" if said_minutes else f"{hour} बजे"
            return Match(k, text)
        converted = to_24h(hour, minute, period)
        if converted is None:
            return None
        clock_text = render.clock(*converted)
        if period_word:
            return Match(k, f"{period_word.text} {clock_text}")
        if trailing_word:
            return Match(k, f"{clock_text} {trailing_word.text}")
        return Match(k, clock_text)

    # --- dates: बीस जनवरी दो हज़ार पच्चीस -> 20 जनवरी 2025; पहली मार्च; जनवरी दो हज़ार पच्चीस
    def parse_date(self, tokens: list[Token], i: int) -> Match | None:
        day, j = None, i
        if tokens[i].key in self.ordinals and self.ordinals[tokens[i].key] <= 31:
            day, j = self.ordinals[tokens[i].key], i + 1
        else:
            number = self.number(tokens, i)
            if number and number.is_integer and 1 <= number.value <= 31 and not number.has_multiplier:
                day, j = int(number.value), number.end
        if day is not None:
            if not self.next_is(tokens, j, set(MONTHS)):
                return None
            month, k = tokens[j], j + 1
            year = parse_year(tokens, k, self.lex) if not month.closes else None
            if year:
                return Match(year[1], f"{day} {month.text} {year[0]}")
            return Match(k, f"{day} {month.text}")
        if tokens[i].key in MONTHS and not tokens[i].closes:
            year = parse_year(tokens, i + 1, self.lex)
            if year:
                return Match(year[1], f"{tokens[i].text} {year[0]}")
        return None
