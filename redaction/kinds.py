"""Which identifier a run of digits or letters is: the entity kinds and their rules.

A digit run is classified by length, prefix and check digit, most specific first: a card passes Luhn
(13-19 digits), an Aadhaar number Verhoeff (12 digits, not starting 0 or 1), a phone is an Indian mobile
(10 digits from 6-9, with +91/91/0 before it) or an 11-digit number from 0 (a landline with its STD code),
a PIN code is 6 digits from 1-8, and any other run of 9 or more digits is an account number (a card or an
account the model heard a digit too many or too few of is still redacted).
"""

from __future__ import annotations

import re

from sunvai.redaction.checksums import luhn_valid, verhoeff_valid

IDENTIFIERS = ("card", "aadhaar", "pan", "phone", "pin", "account", "ifsc", "upi", "email")
KINDS = (*IDENTIFIERS, "numbers")  # numbers: any digit run (amounts, years and times too)

PAN = re.compile(r"[A-Z]{3}[PCHABGJLFT][A-Z]\d{4}[A-Z]")  # the 4th letter is the holder's type
IFSC = re.compile(r"[A-Z]{4}0[A-Z0-9]{6}")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.ASCII)
UPI = re.compile(r"[\w.-]{2,}@[A-Za-z]{2,}", re.ASCII)


def digit_kind(digits: str) -> str | None:
    """The identifier a run of digits is, or None (a year, a count, a short number)."""
    n = len(digits)
    if 13 <= n <= 19 and luhn_valid(digits):
        return "card"
    if n == 12 and digits[0] in "23456789" and verhoeff_valid(digits):
        return "aadhaar"
    if is_phone(digits):
        return "phone"
    if n == 6 and digits[0] in "12345678":
        return "pin"
    if n >= 9:
        return "account"
    return None


def is_phone(digits: str) -> bool:
    for prefix in ("91", "0", ""):
        rest = digits[len(prefix):]
        if digits.startswith(prefix) and len(rest) == 10 and rest[0] in "6789":
            return True
    return len(digits) == 11 and digits[0] == "0"  # a landline: 0, the STD code, the number


def letters_kind(text: str) -> str | None:
    """PAN or IFSC for an upper-case run of letters and digits."""
    if PAN.fullmatch(text):
        return "pan"
    if IFSC.fullmatch(text):
        return "ifsc"
    return None


def written_address_kind(text: str) -> str | None:
    """email or upi for a written address (name@bank or name@domain.tld)."""
    if EMAIL.fullmatch(text):
        return "email"
    if UPI.fullmatch(text):
        return "upi"
    return None
