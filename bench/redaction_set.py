"""Recall and false positives of redaction on generated sentences (docs/redaction.md).

    python -m bench.redaction_set [--per-cell 12] [--seed 7]

Each sentence carries one identifier (written, or spoken digit by digit, in pairs, or with double/triple) in
English, Hindi or code-mixed (Hindi with English words, in Latin or Devanagari), or none and a number that is not
one (an amount, a date, a time, a year, a count, an approximate pair). Values are random and valid (cards pass
Luhn, Aadhaar numbers Verhoeff). Recall: the identifier's words were replaced, by the right kind or by any;
a false positive: anything replaced in a sentence that holds no identifier.
"""

from __future__ import annotations

import argparse
import random
from collections import defaultdict

from sunvai.redaction import Redaction, find
from sunvai.redaction.checksums import luhn_check_digit, verhoeff_check_digit

EN = "zero one two three four five six seven eight nine".split()
HI = "शून्य एक दो तीन चार पाँच छह सात आठ नौ".split()
HI_EN = "ज़ीरो वन टू थ्री फोर फाइव सिक्स सेवन एट नाइन".split()
EN_TENS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty", 9: "ninety"}
LETTERS_HI = "ए बी सी डी ई एफ जी एच आई जे के एल एम एन ओ पी क्यू आर एस टी यू वी डब्ल्यू एक्स वाई ज़ेड".split()
FORMS = ("english", "hindi", "code-mixed")
PII = Redaction.parse("pii")

TEMPLATES = {
    "english": {
        "card": "my card number is {} please block it", "aadhaar": "my aadhaar number is {} sir",
        "phone": "you can call me on {} after six", "pin": "the pin code is {} in bangalore",
        "account": "my account number is {} at the branch", "pan": "my pan number is {} for the form",
        "ifsc": "the ifsc code is {} for transfer", "upi": "send the money to {} today",
        "email": "please mail the statement to {} today",
    },
    "hindi": {
        "card": "मेरा कार्ड नंबर {} है इसे बंद कर दीजिए", "aadhaar": "मेरा आधार नंबर {} है",
        "phone": "आप मुझे {} पर फ़ोन कर सकते हैं", "pin": "पिन कोड {} है",
        "account": "मेरा खाता संख्या {} है", "pan": "मेरा पैन नंबर {} है",
        "ifsc": "आईएफएससी कोड {} है", "upi": "पैसे {} पर भेज दीजिए",
        "email": "मेरा ईमेल {} है",
    },
    "code-mixed": {
        "card": "मेरा card number {} है please block कर दो", "aadhaar": "aadhaar number {} है मेरा",
        "phone": "मेरा mobile number {} है", "pin": "area का pin code {} है",
        "account": "मेरा account number {} है", "pan": "PAN card number {} है",
        "ifsc": "bank का IFSC {} है", "upi": "UPI id {} पर transfer कर दो",
        "email": "मेरा email {} है",
    },
}
NEGATIVES = {
    "english": ["I paid {a} thousand rupees last week", "the meeting is at {h} pm on {d} january",
                "I was born in nineteen ninety {u}", "we need {u} or {v} days more", "it costs {n} rupees",
                "there were {a} hundred people at the hall", "the flight is at {h} thirty in the morning",
                "my EMI is {n} rupees every month", "the year two thousand {u} was good",
                "call me at {h} o'clock", "I have {u} kids and {v} cats", "room {r} on floor {u}"],
    "hindi": ["मैंने {a} हज़ार रुपये दिए", "मीटिंग {d} जनवरी को शाम {h} बजे है", "{u} {v} दिन में आ जाऊँगा",
              "उसकी उम्र {a} साल है", "किस्त {n} रुपये महीना है", "साढ़े {h} बजे मिलते हैं",
              "{a} लाख रुपये का लोन चाहिए", "मेरे {u} बच्चे हैं", "कमरा नंबर {r} है"],
    "code-mixed": ["मैंने {a} thousand rupees pay किए", "meeting {d} january को {h} pm है",
                   "{u} {v} din में आ जाऊँगा", "EMI {n} rupees है", "मुझे {a} लाख का loan चाहिए",
                   "मेरे {u} kids हैं", "room number {r} है"],
}


def luhn_card(rng: random.Random) -> str:
    body = rng.choice("456") + "".join(rng.choice("0123456789") for _ in range(14))
    return body + luhn_check_digit(body)


def aadhaar(rng: random.Random) -> str:
    body = rng.choice("23456789") + "".join(rng.choice("0123456789") for _ in range(10))
    return body + verhoeff_check_digit(body)


def value(kind: str, rng: random.Random) -> str:
    digits = lambda n: "".join(rng.choice("0123456789") for _ in range(n))  # noqa: E731
    letters = lambda n: "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(n))  # noqa: E731
    return {
        "card": luhn_card, "aadhaar": aadhaar,
        "phone": lambda r: r.choice("6789") + digits(9),
        "pin": lambda r: r.choice("12345678") + digits(5),
        "account": lambda r: r.choice("123456789") + digits(r.randint(10, 15)),
        "pan": lambda r: letters(3) + r.choice("PCHABGJLFT") + letters(1) + digits(4) + letters(1),
        "ifsc": lambda r: r.choice(["SBIN", "HDFC", "ICIC", "UTIB", "PUNB"]) + "0" + digits(6),
        "upi": lambda r: r.choice(["ramesh", "priya.k", "anil77"]) + "@" + r.choice(["okaxis", "ybl", "paytm", "oksbi"]),
        "email": lambda r: r.choice(["ramesh", "priya.k", "anil"]) + "@" + r.choice(["gmail.com", "yahoo.in"]),
    }[kind](rng)


def spoken_digits(digits: str, words: list[str], rng: random.Random, pairs: bool) -> str:
    """Digit by digit, with double/triple for repeats at times, or in English pairs (ninety eight)."""
    out, i = [], 0
    while i < len(digits):
        run = len(digits[i:]) - len(digits[i:].lstrip(digits[i]))
        if run >= 2 and rng.random() < 0.6:
            take = min(run, 3)
            repeat = {2: "double", 3: "triple"}[take] if words is EN else {2: "डबल", 3: "ट्रिपल"}[take]
            out += [repeat, words[int(digits[i])]]
            i += take
            continue
        # "ninety eight"; never a bare "fifty" (before "five" it would say fifty-five)
        if (pairs and words is EN and i + 1 < len(digits) and digits[i] in "23456789" and digits[i + 1] != "0"
                and rng.random() < 0.5):
            tens, ones = int(digits[i]), int(digits[i + 1])
            out += [EN_TENS[tens], EN[ones]]
            i += 2
            continue
        out.append(words[int(digits[i])])
        i += 1
    return " ".join(out)


def spoken(kind: str, text: str, form: str, rng: random.Random) -> str:
    words = {"english": EN, "hindi": HI, "code-mixed": rng.choice([EN, HI_EN])}[form]
    if kind in ("upi", "email"):
        name, domain = text.split("@")
        at = {"english": "at", "hindi": "एट द रेट", "code-mixed": "at the rate"}[form]
        dot = "dot" if form != "hindi" else "डॉट"
        return f"{name.replace('.', f' {dot} ')} {at} {domain.replace('.', f' {dot} ')}"
    if kind in ("pan", "ifsc"):
        def letter(c: str) -> str:
            if c.isdigit():
                return words[int(c)]
            return LETTERS_HI[ord(c) - 65] if form == "hindi" else c.lower()
        return " ".join(letter(c) for c in text)
    return spoken_digits(text, words, rng, pairs=form == "english")


def written(kind: str, text: str, rng: random.Random) -> str:
    if kind in ("card", "aadhaar") and rng.random() < 0.7:
        return " ".join(text[i:i + 4] for i in range(0, len(text), 4))
    if kind == "phone" and rng.random() < 0.5:
        return f"{text[:5]} {text[5:]}"
    return text


def negative(template: str, rng: random.Random, form: str) -> str:
    numbers = EN if form == "english" else HI
    pick = lambda low, high: numbers[rng.randint(low, high)]  # noqa: E731
    return template.format(a=pick(2, 9), h=pick(1, 9), d=pick(1, 9), u=pick(1, 9), v=pick(2, 9),
                           n=rng.choice(["4500", "12,000", "2,500"]), r=rng.choice(["402", "1204", "17"]))


def run(per_cell: int, seed: int) -> str:
    rng = random.Random(seed)
    right = defaultdict(lambda: [0, 0, 0])  # (form, kind, how) -> [right kind, any kind, total]
    sentences = 0
    for form in FORMS:
        for kind, template in TEMPLATES[form].items():
            for n in range(per_cell):
                identifier = value(kind, rng)
                how = "written" if n % 2 == 0 else "spoken"
                said = written(kind, identifier, rng) if how == "written" else spoken(kind, identifier, form, rng)
                sentence = template.format(said)
                start = sentence.index(said)
                hits = find(sentence, PII.kinds, "en-IN" if form == "english" else "hi-IN")
                covering = [h for h in hits if h.start <= start and h.end >= start + len(said)]
                cell = right[(form, kind, how)]
                cell[0] += any(h.kind == kind for h in covering)
                cell[1] += bool(covering)
                cell[2] += 1
                sentences += 1
    false_positives, negatives, examples = 0, 0, []
    for form in FORMS:
        for _ in range(per_cell * 3):
            sentence = negative(rng.choice(NEGATIVES[form]), rng, form)
            hits = find(sentence, PII.kinds, "en-IN" if form == "english" else "hi-IN")
            negatives += 1
            if hits:
                false_positives += 1
                examples.append(f"{sentence!r} -> {[h.kind for h in hits]}")
    lines = [f"{sentences} sentences with an identifier, {negatives} without (seed {seed}, {per_cell} per cell)", "",
             "| kind | form | written: right kind | written: redacted | spoken: right kind | spoken: redacted |",
             "|---|---|---|---|---|---|"]
    for kind in TEMPLATES["english"]:
        for form in FORMS:
            w, s = right[(form, kind, "written")], right[(form, kind, "spoken")]
            lines.append(f"| {kind} | {form} | {w[0]}/{w[2]} | {w[1]}/{w[2]} | {s[0]}/{s[2]} | {s[1]}/{s[2]} |")
    total = [sum(c[i] for c in right.values()) for i in range(3)]
    lines += ["", f"recall, right kind: {total[0]}/{total[2]} ({100 * total[0] / total[2]:.1f}%); redacted at all: "
              f"{total[1]}/{total[2]} ({100 * total[1] / total[2]:.1f}%)",
              f"false positives: {false_positives}/{negatives} sentences without an identifier had something redacted",
              *examples]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-cell", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    options = parser.parse_args()
    print(run(options.per_cell, options.seed))


if __name__ == "__main__":
    main()
