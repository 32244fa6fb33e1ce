"""Vachana STT v3 REST: ``POST /stt/v3`` (API.md §1)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

from sunvai.api.fields import Format, RedactionFields, TrueFalse, parse_fields
from sunvai.api.schemas import SttResponse
from sunvai.errors import BadRequest, ServiceError
from sunvai.service.transcription import TranscriptionOptions, TranscriptionService

router = APIRouter()


class SttFields(RedactionFields):
    """The form fields of ``POST /stt/v3`` beside ``audio_file``."""

    language_code: str | None = None  # checked by the service's language selection
    preferred_language: str | None = None
    format: Format = "verbatim"
    itn_native_numerals: TrueFalse = False
    punctuation: TrueFalse | None = None  # sunvai: false returns the model's text without added marks
    word_timestamps: TrueFalse = False  # sunvai: timed words in each segment
    confidence: TrueFalse = False  # sunvai: the model's confidence per segment (words carry theirs anyway)

FIELDS = ("audio_file (file), language_code, and optionally preferred_language, format, itn_native_numerals, "
          "punctuation, word_timestamps, confidence, redact, redact_style, profanity_filter")


async def _read_form(request: Request):
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise BadRequest(
            f"send the request as multipart/form-data with fields {FIELDS}; got Content-Type {content_type or 'none'!r}",
            code="invalid_content_type",
        )
    try:
        return await request.form(max_files=1, max_fields=16)
    except ServiceError:
        raise  # e.g. 413 from the body-size limit while the body streams in
    except Exception as exc:  # starlette raises MultiPartException and friends
        raise BadRequest(f"the multipart body could not be parsed ({exc}); expected fields {FIELDS}",
                         code="invalid_multipart") from exc


@router.post("/stt/v3", response_model=SttResponse)
async def stt_v3(request: Request) -> JSONResponse:
    service: TranscriptionService = request.app.state.service
    form = await _read_form(request)
    audio = form.get("audio_file")
    if audio is None:
        raise BadRequest(f"audio_file is required: attach the audio as a file part; fields: {FIELDS}",
                         code="missing_audio_file")
    if not isinstance(audio, UploadFile):
        raise BadRequest("audio_file must be a file part (filename set), not a text field", code="invalid_audio_file")
    fields = parse_fields(SttFields, {name: form.get(name) for name in SttFields.model_fields})
    options = TranscriptionOptions(fields.language_code, fields.preferred_language, fields.format,
                                   fields.itn_native_numerals, fields.punctuation,
                                   word_timestamps=fields.word_timestamps, redact=fields.redaction(),
                                   profanity_filter=fields.profanity_filter, confidence=fields.confidence)
    data = await audio.read()
    result = await service.transcribe_bytes(data, options)
    request.state.language, request.state.audio_s = result.language_code, result.duration_s  # for metrics
    body = SttResponse.of(result, options.word_timestamps, request_id=request.state.request_id,
                          timestamp=request.state.timestamp)
    return JSONResponse(body.model_dump(exclude_none=True))
