"""Check a transcript against the chosen language: its script, then langid among the candidates.

Used once per request: when the transcript is clearly in another candidate's
script or language, the request is re-routed to that candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sunvai.language_router.codes import LANGUAGES

SCRIPT_BLOCKS = {
    "Devanagari": (0x0900, 0x097F), "Bengali": (0x0980, 0x09FF), "Gurmukhi": (0x0A00, 0x0A7F),
    "Gujarati": (0x0A80, 0x0AFF), "Tamil": (0x0B80, 0x0BFF), "Telugu": (0x0C00, 0x0C7F),
    "Kannada": (0x0C80, 0x0CFF), "Malayalam": (0x0D00, 0x0D7F), "Arabic": (0x0600, 0x06FF),
}
MIN_LETTERS = 8  # below this a transcript says too little to overrule the audio
CLEAR_SHARE = 0.8  # a script is "clear" when it writes this share of the letters
CLEAR_LANGID = 0.95


def script_of(char: str) -> str | None:
    code = ord(char)
    if char.isascii():
        return "Latin" if char.isalpha() else None
    for script, (low, high) in SCRIPT_BLOCKS.items():
        if low <= code <= high:
            return script
    return "Other" if char.isalpha() else None


def script_shares(text: str) -> tuple[dict[str, float], int]:
    counts: dict[str, int] = {}
    for char in text:
        script = script_of(char)
        if script:
            counts[script] = counts.get(script, 0) + 1
    total = sum(counts.values())
    return ({s: n / total for s, n in counts.items()} if total else {}), total


def writes_in(language_code: str, script: str) -> bool:
    return script in LANGUAGES[language_code].script.split("+")


@lru_cache(maxsize=1)
def _langid():
    from langid.langid import LanguageIdentifier, model

    return LanguageIdentifier.from_modelstring(model, norm_probs=True)


@dataclass(frozen=True)
class TextVerdict:
    language: str | None  # a better candidate, or None when the chosen one holds
    reason: str = ""


def check_transcript(text: str, chosen: str, candidates: list[str]) -> TextVerdict:
    shares, letters = script_shares(text)
    if letters < MIN_LETTERS or not shares:
        return TextVerdict(None)
    script, share = max(shares.items(), key=lambda kv: kv[1])
    if share < CLEAR_SHARE:
        return TextVerdict(None)
    same_script = [c for c in candidates if writes_in(c, script)]
    if not same_script or chosen in same_script and len(same_script) == 1:
        return TextVerdict(None)
    if chosen not in same_script and len(same_script) == 1:
        return TextVerdict(same_script[0], f"the transcript is written in {script} script")
    # Several candidates share the script (hi/mr in Devanagari, en/Hinglish in Latin): ask langid.
    isos = sorted({LANGUAGES[c].iso for c in same_script})
    identifier = _langid()
    identifier.set_languages(isos)
    iso, probability = identifier.classify(text)
    if LANGUAGES[chosen].iso == iso or (chosen in same_script and probability < CLEAR_LANGID):
        return TextVerdict(None)
    better = next(c for c in same_script if LANGUAGES[c].iso == iso)
    return TextVerdict(better, f"the transcript reads as {LANGUAGES[better].name} (langid {probability:.2f})")
