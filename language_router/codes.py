"""The language codes every surface accepts (API.md): ten languages and two Hinglish forms.

Codes match case-insensitively and come back in their canonical spelling. A
comma-separated list names candidates to identify the language among.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Language:
    code: str  # canonical spelling, e.g. "hi-IN"
    iso: str  # the ISO 639-1 code models know, e.g. "hi"
    name: str
    script: str

    @property
    def writing(self) -> str:
        """native: the language's own script; mixed: plus Latin (Hinglish); latin: Latin only."""
        return {"Latin+Devanagari": "mixed", "Latin": "latin" if self.iso != "en" else "native"}.get(
            self.script, "native")


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("bn-IN", "bn", "Bengali", "Bengali"),
        Language("en-IN", "en", "English", "Latin"),
        Language("gu-IN", "gu", "Gujarati", "Gujarati"),
        Language("hi-IN", "hi", "Hindi", "Devanagari"),
        Language("kn-IN", "kn", "Kannada", "Kannada"),
        Language("ml-IN", "ml", "Malayalam", "Malayalam"),
        Language("mr-IN", "mr", "Marathi", "Devanagari"),
        Language("pa-IN", "pa", "Punjabi", "Gurmukhi"),
        Language("ta-IN", "ta", "Tamil", "Tamil"),
        Language("te-IN", "te", "Telugu", "Telugu"),
        # Hinglish: Hindi-English code-mixed speech, written Latin + Devanagari or Latin only.
        Language("en-hi-in-cm", "hi", "Hinglish", "Latin+Devanagari"),
        Language("en-hi-IN-latn", "hi", "Hinglish (Latin)", "Latin"),
    )
}
_BY_LOWER = {code.lower(): code for code in LANGUAGES}
# The ten languages (no Hinglish) by the ISO 639-1 code surfaces such as Vakyansh and OpenAI take.
BY_ISO = {lang.iso: code for code, lang in LANGUAGES.items() if not code.startswith("en-hi-")}
ACCEPTED_CODES = ", ".join(LANGUAGES)


class LanguageCodeError(ValueError):
    """A language parameter that names no supported language, or lists them wrongly."""


@dataclass(frozen=True)
class LanguageSelection:
    """The languages a request allows: one (transcribe in it) or several (identify first)."""

    candidates: tuple[str, ...]
    preferred: str | None = None

    @property
    def fixed(self) -> str | None:
        """The one language to use without identification, if the request settles it."""
        if self.preferred:
            return self.preferred
        return self.candidates[0] if len(self.candidates) == 1 else None


def canonical_code(value: str) -> str:
    code = _BY_LOWER.get(value.strip().lower())
    if code is None:
        raise LanguageCodeError(f"unknown language code {value.strip()!r}; accepted codes: {ACCEPTED_CODES}")
    return code


def parse_language_selection(language_code: str | None, preferred_language: str | None = None) -> LanguageSelection:
    """Parse ``language_code`` (one code or a comma list) and ``preferred_language``."""
    if language_code is None or not language_code.strip():
        raise LanguageCodeError(
            "language_code is required: one code, or a comma-separated list of candidates; "
            f"accepted codes: {ACCEPTED_CODES}"
        )
    parts = [part for part in language_code.split(",")]
    if any(not part.strip() for part in parts):
        raise LanguageCodeError(f"language_code {language_code!r} has an empty entry; separate codes with single commas")
    candidates = tuple(dict.fromkeys(canonical_code(part) for part in parts))  # drop duplicates, keep order
    preferred = None
    if preferred_language is not None and preferred_language.strip():
        preferred = canonical_code(preferred_language)
        if preferred not in candidates:
            raise LanguageCodeError(
                f"preferred_language {preferred} is not among language_code ({', '.join(candidates)}); "
                "it must be one of the listed codes"
            )
    return LanguageSelection(candidates=candidates, preferred=preferred)
