"""``GET /health``: 200 once every model deployment can take requests, else 503."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from sunvai.api.schemas import HealthResponse

router = APIRouter()


@router.get("/health", response_model=HealthResponse)
async def health(request: Request) -> JSONResponse:
    readiness = await request.app.state.service.readiness()
    ready = bool(readiness) and all(readiness.values())
    body = HealthResponse(status="ok" if ready else "starting", models=readiness)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503,
                        headers=None if ready else {"Retry-After": "5"})
