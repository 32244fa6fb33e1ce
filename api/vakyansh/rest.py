"""Vakyansh open speech API, REST side (API.md §4): the gRPC-JSON transcoding of the same calls.

``POST /v1/recognize/{language}`` and ``POST /v1/punctuate/{language}`` parse the JSON
form of the proto request (field names as written, enums by name, bytes as base64)
into the same messages the gRPC methods take, and run the same code
(:class:`~sunvai.api.vakyansh.protocol.VakyanshApi`). The path fills the language.
Errors take the shape Vakyansh clients get from its envoy gateway:
``{"code": <gRPC code>, "message": "...", "details": []}``.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from google.protobuf import json_format

from sunvai.api.vakyansh.proto import speech_recognition_pb2 as pb
from sunvai.api.vakyansh.protocol import VakyanshApi, language_from_vakyansh
from sunvai.errors import BadRequest

router = APIRouter()


async def _parse(request: Request, message) -> tuple:
    """The JSON body as a dict and parsed into ``message``."""
    raw = await request.body()
    try:
        body = json.loads(raw or b"{}")
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body must be JSON: {exc.msg}", code="invalid_json") from exc
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object", code="invalid_json")
    try:
        return json_format.ParseDict(body, message), body
    except json_format.ParseError as exc:
        raise BadRequest(f"invalid {message.DESCRIPTOR.name}: {exc}", code="invalid_request") from exc


def _json(message) -> JSONResponse:
    return JSONResponse(json_format.MessageToDict(message, preserving_proto_field_name=True,
                                                  always_print_fields_with_no_presence=True))


@router.post("/v1/recognize/{language}")
async def recognize(language: str, request: Request) -> JSONResponse:
    api: VakyanshApi = request.app.state.vakyansh
    message, _ = await _parse(request, pb.SpeechRecognitionRequest())
    try:
        message.config.language.sourceLanguage = pb.Language.LanguageCode.Value(language)
    except ValueError:
        names = ", ".join(pb.Language.LanguageCode.keys())
        raise BadRequest(f"language {language!r} is not a Vakyansh language code; codes: {names}",
                         code="invalid_language") from None
    return _json(await api.recognize(message, {k.lower(): v for k, v in request.headers.items()}))


@router.post("/v1/punctuate/{language}")
async def punctuate(language: str, request: Request) -> JSONResponse:
    api: VakyanshApi = request.app.state.vakyansh
    message, body = await _parse(request, pb.PunctuateRequest())
    if "text" not in body:
        raise BadRequest("text: Field required; expected {text, language, enabledItn}", code="invalid_request")
    language_from_vakyansh(language)  # the path wins over the body, as in gRPC-JSON transcoding
    message.language = language
    response = await api.punctuate(message)
    return JSONResponse({"text": response.text, "language": response.language})
