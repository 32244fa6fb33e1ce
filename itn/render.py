"""Writing numbers: Indian digit grouping, ordinal suffixes, native digits."""

from __future__ import annotations

NATIVE_DIGITS = {"hi-IN": "०१२३४५६७८९"}


def indian_grouping(value: int) -> str:
    """5,20,000 and 1,00,00,000: the last three digits, then groups of two."""
    digits = str(abs(value))
    if len(digits) <= 3:
        grouped = digits
    else:
        head, tail = digits[:-3], digits[-3:]
        pairs = []
        while len(head) > 2:
            pairs.insert(0, head[-2:])
            head = head[:-2]
        grouped = ",".join([head, *pairs, tail]) if head else ",".join([*pairs, tail])
    return ("-" if value < 0 else "") + grouped


def ordinal_suffix(value: int) -> str:
    if 10 <= value % 100 <= 20:
        return "th"
    return {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")


def ordinal(value: int) -> str:
    return f"{value}{ordinal_suffix(value)}"


def money(rupees: int, paise: int = 0) -> str:
    return f"₹{indian_grouping(rupees)}" + (f".{paise:02d}" if paise else "")


def decimal(whole: int, fraction_digits: str) -> str:
    return f"{indian_grouping(whole)}.{fraction_digits}"


def clock(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"


def to_native(text: str, language: str) -> str:
    digits = NATIVE_DIGITS.get(language)
    if not digits:
        return text
    return text.translate(str.maketrans("0123456789", digits))
