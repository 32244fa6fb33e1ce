"""OpenAI's audio API (API.md §5): transcriptions, translations and ``GET /v1/models``.

Any length up to the long-form cap (``args.longform.max_duration_s``): long files go
through the long-form path. ``prompt`` becomes Whisper's initial prompt, ``temperature``
above 0 samples instead of decoding greedily, ``timestamp_granularities[]=word`` adds
word timings (verbose_json), ``include[]=logprobs`` the model's token log-probabilities (json, streamed
or not), ``chunking_strategy`` server_vad the long-form VAD's settings. Translations run Whisper's
translate task (speech to English);
the source language is identified among the served languages unless ``language`` is sent
(a sunvai extension). Errors come in OpenAI's shape
``{"error": {"message", "type", "param", "code"}}`` (see :func:`api.context.error_payload`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.datastructures import UploadFile

from sunvai.api.fields import parse_fields
from sunvai.api.openai.common import DEFAULT_MODEL, language_selection, served_model
from sunvai.api.openai.schemas import (
    Logprob, ServerVadChunking, StreamError, TextDelta, TextDone, TranscriptionFields, VerboseTranscription)
from sunvai.errors import BadRequest, ServiceError
from sunvai.service.subtitles import to_srt, to_vtt
from sunvai.service.transcription import TranscriptionOptions, TranscriptionService

router = APIRouter()

@router.get("/v1/models")
async def models(request: Request) -> JSONResponse:
    service: TranscriptionService = request.app.state.service
    names = [DEFAULT_MODEL] + [m.name for m in service.args.models]
    return JSONResponse({"object": "list", "data": [
        {"id": name, "object": "model", "created": 0, "owned_by": "sunvai"} for name in names]})


@router.post("/v1/audio/transcriptions")
async def transcriptions(request: Request):
    return await _run(request, "transcribe")


@router.post("/v1/audio/translations")
async def translations(request: Request):
    return await _run(request, "translate")


async def _run(request: Request, task: str):
    service: TranscriptionService = request.app.state.service
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest("send multipart/form-data with a `file` part and a `model` field", code="invalid_content_type")
    form = await request.form()
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise BadRequest("`file` is required: the audio file as a file part", code="missing_file")
    fields = parse_fields(TranscriptionFields, {
        **{name: form.get(name) for name in TranscriptionFields.model_fields},
        "timestamp_granularities": form.getlist("timestamp_granularities[]") + form.getlist("timestamp_granularities"),
        "include": form.getlist("include[]") + form.getlist("include"), "chunking_strategy": _chunking(form)})
    response_format, granularities = fields.response_format, set(fields.timestamp_granularities)
    if granularities and response_format != "verbose_json":
        raise BadRequest("timestamp_granularities needs response_format verbose_json", code="invalid_response_format")
    logprobs = "logprobs" in fields.include
    if logprobs and (task != "transcribe" or response_format != "json"):
        raise BadRequest("include[]=logprobs comes with transcriptions in response_format json (streamed or not)",
                         code="invalid_response_format")
    if fields.stream and (task != "transcribe" or response_format not in ("json", "text")):
        raise BadRequest("stream=true streams transcriptions with response_format json or text",
                         code="invalid_response_format")
    chunking = fields.chunking_strategy
    options = TranscriptionOptions(
        language_selection(fields.language), model=served_model(service, fields.model), task=task,
        prompt=(fields.prompt or "").strip() or None, temperature=fields.temperature,
        word_timestamps="word" in granularities, timed_segments=response_format not in ("json", "text"),
        logprobs=logprobs, longform_vad=chunking.longform_vad() if isinstance(chunking, ServerVadChunking) else (),
        redact=fields.redaction(), profanity_filter=fields.profanity_filter,
        confidence=response_format == "verbose_json")
    decoded = await service.decode_long(await upload.read())
    if fields.stream:
        return StreamingResponse(_events(request, service, decoded.samples, options), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})
    result = await service.transcribe_any_length(decoded.samples, options)
    result = dataclasses.replace(result, warnings=decoded.warnings)
    request.state.language, request.state.audio_s = result.language_code, result.duration_s  # for metrics
    if response_format == "text":
        return PlainTextResponse(result.transcript + "\n")
    if response_format == "srt":
        return PlainTextResponse(to_srt(result.segments))
    if response_format == "vtt":
        return PlainTextResponse(to_vtt(result.segments), media_type="text/vtt")
    if response_format == "json":
        return JSONResponse({"text": result.transcript, **(
            {"logprobs": [Logprob.of(e).model_dump() for e in result.logprobs]} if logprobs else {}),
            **({"redactions": result.redactions} if result.redactions is not None else {}),
            **({"warnings": list(result.warnings)} if result.warnings else {})})
    return JSONResponse(VerboseTranscription.of(result, task, options.temperature, granularities)
                        .model_dump(exclude_none=True))


async def _events(request: Request, service: TranscriptionService, samples, options: TranscriptionOptions):
    """Server-sent events: a delta for each piece of the transcript as the long-form path finishes it, in
    order, then the done text (the pieces concatenated). A client that goes away cancels the transcription."""
    pieces: asyncio.Queue = asyncio.Queue()

    async def transcribe():
        result = await service.transcribe_any_length(samples, options, on_text=pieces.put)
        request.state.language, request.state.audio_s = result.language_code, result.duration_s  # for metrics
        return result

    task = asyncio.ensure_future(transcribe())
    task.add_done_callback(lambda _: pieces.put_nowait(None))
    text, every = "", []
    try:
        while (piece := await pieces.get()) is not None:
            text += piece.text
            entries = [Logprob.of(e) for e in piece.logprobs] if options.logprobs else None
            every += entries or []
            yield _sse(TextDelta(delta=piece.text, logprobs=entries))
        try:
            task.result()  # raises the transcription's error, if any
        except ServiceError as exc:  # after the 200 went out: an error event in OpenAI's shape
            kind = "invalid_request_error" if exc.status < 500 else "server_error"
            yield _sse(StreamError(error={"message": exc.message, "type": kind, "param": None, "code": exc.code}))
            return
        yield _sse(TextDone(text=text, logprobs=every if options.logprobs else None))
    finally:
        task.cancel()


def _sse(event) -> str:
    return f"data: {event.model_dump_json(exclude_none=True)}\n\n"


def _chunking(form) -> str | dict | None:
    """``chunking_strategy``: "auto", a JSON object, or the openai SDK's ``chunking_strategy[field]`` parts."""
    value = form.get("chunking_strategy")
    if isinstance(value, str) and value.strip().startswith("{"):
        try:
            return json.loads(value)
        except ValueError:
            raise BadRequest("chunking_strategy must be \"auto\" or a JSON object", code="invalid_chunking_strategy") \
                from None
    parts = {key[len("chunking_strategy["):-1]: form.get(key) for key in form.keys()
             if key.startswith("chunking_strategy[") and key.endswith("]")}
    return parts or value
