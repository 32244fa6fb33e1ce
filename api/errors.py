"""Render service errors (and surprises) in the Vachana error shape."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sunvai.api.context import error_payload, new_request_id, vachana_timestamp
from sunvai.errors import ServiceError

log = logging.getLogger(__name__)


def _ids(request: Request) -> tuple[str, str]:
    return (
        getattr(request.state, "request_id", None) or new_request_id(),
        getattr(request.state, "timestamp", None) or vachana_timestamp(),
    )


def service_error_response(request: Request, error: ServiceError) -> JSONResponse:
    request_id, timestamp = _ids(request)
    headers = {"Retry-After": str(error.retry_after_s)} if error.retry_after_s is not None else None
    body = error_payload(request.url.path, error.status, request_id, timestamp, error.code, error.message)
    return JSONResponse(body, error.status, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, error: ServiceError):
        if error.status >= 500:
            log.warning("request %s failed: %s", getattr(request.state, "request_id", "?"), error.message)
        return service_error_response(request, error)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception):
        request_id, timestamp = _ids(request)
        log.exception("request %s failed unexpectedly", request_id)
        message = f"internal error while handling the request; quote request_id {request_id} when reporting it"
        return JSONResponse(error_payload(request.url.path, 500, request_id, timestamp, "internal_error", message), 500)
