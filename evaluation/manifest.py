"""The JSONL manifests NeMo and Vistaar use: one ``{"audio_filepath", "text", "lang"}`` object per line."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from sunvai.language_router.codes import BY_ISO, LanguageCodeError, canonical_code


class ManifestError(ValueError):
    pass


class ManifestEntry(BaseModel):
    model_config = ConfigDict(extra="allow")  # duration, speaker and other fields are kept as they are

    audio_filepath: str
    text: str
    lang: str | None = None


class EvalItem(BaseModel):
    audio: Path
    reference: str
    language: str  # a sunvai language code, e.g. hi-IN


def language_code(value: str) -> str:
    """hi, hi-IN or HI-in -> hi-IN."""
    value = value.strip()
    if value.lower() in BY_ISO:
        return BY_ISO[value.lower()]
    try:
        return canonical_code(value)
    except LanguageCodeError as exc:
        raise ManifestError(str(exc)) from exc


def read_manifest(path: Path, default_language: str | None = None) -> list[EvalItem]:
    """Every line of ``path``; audio paths relative to the manifest's folder. A bad line names its number."""
    items = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = ManifestEntry.model_validate_json(line)
        except (ValidationError, json.JSONDecodeError, ValueError) as exc:
            raise ManifestError(f"{path}:{number}: not a manifest line with audio_filepath and text "
                                f"({exc.__class__.__name__})") from exc
        lang = entry.lang or default_language
        if lang is None:
            raise ManifestError(f"{path}:{number}: no lang; give it in the line or with --language")
        audio = Path(entry.audio_filepath)
        audio = audio if audio.is_absolute() else Path(path).parent / audio
        if not audio.is_file():
            raise ManifestError(f"{path}:{number}: {audio} does not exist")
        items.append(EvalItem(audio=audio, reference=entry.text, language=language_code(lang)))
    if not items:
        raise ManifestError(f"{path} has no entries")
    return items
