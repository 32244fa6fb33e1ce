"""OpenAI's transcription API (API.md §5): ``POST /v1/audio/transcriptions`` and ``GET /v1/models``.

Any length up to the long-form cap (``args.longform.max_duration_s``): long files go
through the long-form path. Errors come in OpenAI's shape
``{"error": {"message", "type", "param", "code"}}`` (see :func:`api.context.error_payload`).

Not yet (issue #11): ``prompt``, ``temperature`` other than 0, word timestamps, and
``/v1/audio/translations``; they are refused with a 400 that says so, never ignored.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.datastructures import UploadFile

from sunvai.language_router.codes import BY_ISO, LANGUAGES, LanguageCodeError, canonical_code
from sunvai.service.errors import BadRequest, ServiceError
from sunvai.service.subtitles import to_srt, to_vtt
from sunvai.service.transcription import TranscriptionOptions, TranscriptionService

router = APIRouter()
RESPONSE_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
DEFAULT_MODEL = "whisper-1"  # OpenAI's name: the server's own routing picks the model per language


class ModelNotFound(ServiceError):
    status, code = 404, "model_not_found"


@router.get("/v1/models")
async def models(request: Request) -> JSONResponse:
    service: TranscriptionService = request.app.state.service
    names = [DEFAULT_MODEL] + [m.name for m in service.args.models]
    return JSONResponse({"object": "list", "data": [
        {"id": name, "object": "model", "created": 0, "owned_by": "sunvai"} for name in names]})


@router.post("/v1/audio/transcriptions")
async def transcriptions(request: Request):
    service: TranscriptionService = request.app.state.service
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest("send multipart/form-data with a `file` part and a `model` field", code="invalid_content_type")
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise BadRequest("`file` is required: the audio file as a file part", code="missing_file")
    response_format = str(form.get("response_format") or "json")
    if response_format not in RESPONSE_FORMATS:
        raise BadRequest(f"response_format must be one of {', '.join(RESPONSE_FORMATS)}, got {response_format!r}",
                         code="invalid_response_format")
    options = TranscriptionOptions(_language(service, form.get("language")), model=_model(service, form.get("model")))
    _refuse_unsupported(form)
    decoded = await service.decode_long(await upload.read())
    result = await service.transcribe_any_length(decoded.samples, options)
    if response_format == "text":
        return PlainTextResponse(result.transcript + "\n")
    if response_format == "srt":
        return PlainTextResponse(to_srt(result.segments))
    if response_format == "vtt":
        return PlainTextResponse(to_vtt(result.segments), media_type="text/vtt")
    if response_format == "json":
        return JSONResponse({"text": result.transcript})
    return JSONResponse({
        "task": "transcribe",
        "language": LANGUAGES[result.language_code].name.lower(),
        "duration": result.duration_s,
        "text": result.transcript,
        "segments": [{"id": i, "seek": 0, "start": s.start, "end": s.end, "text": s.text, "tokens": [],
                      "temperature": 0.0} for i, s in enumerate(result.segments)],
    })


def _model(service: TranscriptionService, value) -> str | None:
    name = str(value or "").strip()
    if not name:
        raise BadRequest(f"`model` is required: {DEFAULT_MODEL} or one of the served models", code="missing_model")
    if name == DEFAULT_MODEL:
        return None
    served = [m.name for m in service.args.models]
    if name not in served:
        raise ModelNotFound(f"the model {name!r} is not served here; models: {', '.join([DEFAULT_MODEL, *served])} "
                            "(GET /v1/models)")
    return name


def _language(service: TranscriptionService, value) -> str:
    """ISO 639-1 ("hi") or one of our codes; none: identify among every language served."""
    text = str(value or "").strip()
    if not text:
        return ",".join(BY_ISO.values())
    if text.lower() in BY_ISO:
        return BY_ISO[text.lower()]
    try:
        return canonical_code(text)
    except LanguageCodeError:
        raise BadRequest(f"language {text!r} is not served; use an ISO 639-1 code ({', '.join(sorted(BY_ISO))}) "
                         f"or one of {', '.join(LANGUAGES)}", code="invalid_language") from None


def _refuse_unsupported(form) -> None:
    if str(form.get("prompt") or "").strip():
        raise BadRequest("prompt is not supported yet; send the request without it", code="unsupported_parameter")
    temperature = str(form.get("temperature") or "0").strip()
    try:
        if float(temperature) != 0.0:
            raise BadRequest("temperature other than 0 is not supported yet (decoding is greedy)",
                             code="unsupported_parameter")
    except ValueError:
        raise BadRequest(f"temperature must be a number, got {temperature!r}", code="invalid_temperature") from None
    granularities = form.getlist("timestamp_granularities[]") + form.getlist("timestamp_granularities")
    unknown = [g for g in granularities if g not in ("segment", "word")]
    if unknown:
        raise BadRequest(f"timestamp_granularities may hold segment and word, got {', '.join(unknown)}",
                         code="invalid_timestamp_granularities")
    if "word" in granularities:
        raise BadRequest("word timestamps are not supported yet; ask for segment", code="unsupported_parameter")
