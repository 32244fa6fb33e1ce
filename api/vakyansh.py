"""Vakyansh open speech API, REST side (API.md §4): ``POST /v1/punctuate/{language}``.

Errors take the gRPC-JSON transcoding shape Vakyansh clients get from its envoy
gateway: ``{"code": <gRPC code>, "message": "...", "details": []}``.
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sunvai.language_router.codes import LANGUAGES, LanguageCodeError, canonical_code
from sunvai.service.errors import BadRequest
from sunvai.service.transcription import TranscriptionService

router = APIRouter()
MAX_TEXT_CHARS = 20_000

# Vakyansh LanguageCode names for the languages sunvai serves (hi_en is Hinglish).
VAKYANSH_LANGUAGES = {lang.iso: code for code, lang in LANGUAGES.items() if code.endswith("-IN")}
VAKYANSH_LANGUAGES["hi_en"] = "en-hi-in-cm"


def language_from_vakyansh(value: str) -> str:
    key = value.strip().lower()
    if key in VAKYANSH_LANGUAGES:
        return VAKYANSH_LANGUAGES[key]
    try:
        return canonical_code(value)
    except LanguageCodeError:
        served = ", ".join(sorted(VAKYANSH_LANGUAGES))
        raise BadRequest(f"language {value!r} is not served here; served Vakyansh languages: {served}",
                         code="invalid_language") from None


class PunctuateRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = Field(max_length=MAX_TEXT_CHARS)
    language: str | None = None
    enabledItn: bool = False


@router.post("/v1/punctuate/{language}")
async def punctuate(language: str, request: Request) -> JSONResponse:
    service: TranscriptionService = request.app.state.service
    try:
        body = PunctuateRequest.model_validate(json.loads(await request.body() or b"{}"))
    except json.JSONDecodeError as exc:
        raise BadRequest(f"the body must be JSON {{text, language, enabledItn}}: {exc.msg}", code="invalid_json") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise BadRequest(f"invalid punctuate request ({problems}); expected {{text, language, enabledItn}}",
                         code="invalid_request") from exc
    code = language_from_vakyansh(language)  # the path wins over the body, as in gRPC-JSON transcoding
    text = await service.punctuate_text(body.text, code, itn=body.enabledItn)
    return JSONResponse({"text": text, "language": language})
