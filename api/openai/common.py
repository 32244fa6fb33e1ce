"""What OpenAI's surfaces share: model names and language codes as OpenAI's clients send them."""

from __future__ import annotations

from sunvai.errors import BadRequest, ServiceError
from sunvai.language_router.codes import BY_ISO, LANGUAGES, LanguageCodeError, canonical_code
from sunvai.service.transcription import TranscriptionService

DEFAULT_MODEL = "whisper-1"  # OpenAI's name: the server's own routing picks the model per language
# OpenAI's transcription models (the openai SDK's AudioModel and the realtime AudioTranscription literals): each
# means "the server's routing", so clients and voice-agent plugins that default to one work unchanged
OPENAI_MODELS = (DEFAULT_MODEL, "gpt-4o-transcribe", "gpt-4o-mini-transcribe", "gpt-4o-mini-transcribe-2025-12-15",
                 "gpt-4o-transcribe-diarize", "gpt-transcribe", "gpt-live-transcribe", "gpt-realtime-whisper")


class ModelNotFound(ServiceError):
    status, code = 404, "model_not_found"


def served_model(service: TranscriptionService, value, required: bool = True) -> str | None:
    """A served model's name, or None for OpenAI's names (the routing policy picks per language)."""
    name = str(value or "").strip()
    if not name:
        if required:
            raise BadRequest(f"`model` is required: {DEFAULT_MODEL} or one of the served models",
                             code="missing_model")
        return None
    if name in OPENAI_MODELS:
        return None
    served = [m.name for m in service.args.models]
    if name not in served:
        raise ModelNotFound(f"the model {name!r} is not served here; models: {', '.join([DEFAULT_MODEL, *served])} "
                            f"(GET /v1/models; OpenAI's transcription model names also work)")
    return name


def language_selection(value: str | None) -> str:
    """ISO 639-1 ("hi"), one of our codes, or a comma list of either to identify among; none: identify among
    every language served."""
    text = str(value or "").strip()
    if not text:
        return ",".join(BY_ISO.values())
    return ",".join(dict.fromkeys(_one_language(part) for part in text.split(",") if part.strip()))


def _one_language(value: str) -> str:
    text = value.strip()
    if text.lower() in BY_ISO:
        return BY_ISO[text.lower()]
    try:
        return canonical_code(text)
    except LanguageCodeError:
        raise BadRequest(f"language {text!r} is not served; use an ISO 639-1 code ({', '.join(sorted(BY_ISO))}) "
                         f"or one of {', '.join(LANGUAGES)}", code="invalid_language") from None
