"""English number vocabulary: Latin spelling, and as Hindi speakers write it in Devanagari."""

from __future__ import annotations

UNITS_LATIN = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
SCALES_LATIN = {
    "thousand": 1000, "lakh": 100_000, "lakhs": 100_000, "lac": 100_000, "lacs": 100_000,
    "crore": 10_000_000, "crores": 10_000_000, "million": 1_000_000, "billion": 1_000_000_000,
}
ORDINALS_LATIN = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
    "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19, "twentieth": 20,
    "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60, "seventieth": 70, "eightieth": 80,
    "ninetieth": 90,
}
# English number words inside Hindi sentences (थ्री फिफ्टी पीएम).
UNITS_DEVANAGARI = {
    "ज़ीरो": 0, "जीरो": 0, "वन": 1, "टू": 2, "थ्री": 3, "फोर": 4, "फ़ोर": 4, "फाइव": 5, "फ़ाइव": 5, "सिक्स": 6,
    "सेवन": 7, "एट": 8, "एइट": 8, "नाइन": 9, "टेन": 10, "इलेवन": 11, "ट्वेल्व": 12, "ट्वेल्व़": 12, "थर्टीन": 13,
    "फोर्टीन": 14, "फ़ोर्टीन": 14, "फिफ्टीन": 15, "फ़िफ़्टीन": 15, "सिक्सटीन": 16, "सेवनटीन": 17, "एटीन": 18,
    "नाइनटीन": 19, "ट्वेंटी": 20, "ट्वेन्टी": 20, "थर्टी": 30, "फोर्टी": 40, "फ़ोर्टी": 40, "फिफ्टी": 50,
    "फ़िफ़्टी": 50, "सिक्सटी": 60, "सेवेंटी": 70, "सेवन्टी": 70, "एटी": 80, "नाइंटी": 90, "नाइन्टी": 90,
}
SCALES_DEVANAGARI = {"थाउजेंड": 1000, "थाउज़ेंड": 1000, "थाउजंड": 1000}
HUNDRED_DEVANAGARI = ("हंड्रेड", "हन्ड्रेड")
