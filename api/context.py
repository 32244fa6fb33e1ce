"""Per-request context: request id, timestamp, and the request body size limit.

A pure ASGI middleware so it can refuse an oversized body before anything reads
it (Content-Length) or while it streams in (chunked uploads).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone

from sunvai.errors import BadRequest, PayloadTooLarge, ServiceError

REQUEST_ID_HEADER = "x-api-request-id"
_REQUEST_ID_RE = re.compile(r"^[\x21-\x7e]{1,128}$")


def route_path(scope) -> str:
    """The request path within this app (Serve mounts an app at its route_prefix as the root_path)."""
    path, root = scope.get("path", ""), scope.get("root_path", "")
    return path[len(root):] or "/" if root and path.startswith(root) else path


def valid_request_id(value: str) -> bool:
    return bool(_REQUEST_ID_RE.match(value))


def vachana_timestamp(moment: datetime | None = None) -> str:
    """``YYYYMMDD_HHMMSS.mmm`` in UTC, as Vachana responses carry it."""
    moment = moment or datetime.now(timezone.utc)
    return moment.strftime("%Y%m%d_%H%M%S.") + f"{moment.microsecond // 1000:03d}"


def new_request_id() -> str:
    return f"req_{uuid.uuid4().hex[:24]}"


def error_body(request_id: str, timestamp: str, code: str, message: str) -> dict:
    return {
        "success": False,
        "request_id": request_id,
        "timestamp": timestamp,
        "error": {"code": code, "message": message},
    }


# HTTP status -> gRPC status code, for surfaces that speak gRPC-JSON (Vakyansh REST).
GRPC_CODES = {400: 3, 401: 16, 403: 7, 404: 5, 413: 8, 429: 8, 500: 13, 503: 14}
GRPC_JSON_PREFIXES = ("/v1/punctuate", "/v1/recognize")
OPENAI_PREFIXES = ("/v1/audio", "/v1/models")


def error_payload(path: str, status: int, request_id: str, timestamp: str, code: str, message: str) -> dict:
    """The error body in the shape of the surface that ``path`` belongs to."""
    if path.startswith(GRPC_JSON_PREFIXES):
        return {"code": GRPC_CODES.get(status, 2), "message": message, "details": []}
    if path.startswith(OPENAI_PREFIXES):
        kind = "invalid_request_error" if status < 500 else "server_error"
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return error_body(request_id, timestamp, code, message)


class RequestContextMiddleware:
    def __init__(self, app, max_body_bytes: int, larger_bodies: dict[str, int] | None = None):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.larger_bodies = larger_bodies or {}  # path prefix -> its own limit (batch uploads)

    def _limit_for(self, path: str) -> int:
        return next((limit for prefix, limit in self.larger_bodies.items() if path.startswith(prefix)),
                    self.max_body_bytes)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        state = scope.setdefault("state", {})
        state["timestamp"] = vachana_timestamp()
        supplied = headers.get(REQUEST_ID_HEADER)
        state["request_id"] = supplied if supplied and valid_request_id(supplied) else new_request_id()
        if supplied is not None and not valid_request_id(supplied):
            return await self._reject(send, state, BadRequest(
                "X-API-Request-ID must be 1 to 128 printable ASCII characters without spaces",
                code="invalid_request_id"), route_path(scope))
        limit = self._limit_for(route_path(scope))
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await self._reject(send, state, self._too_large(int(declared), limit), route_path(scope))

        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise self._too_large(received, limit)
            return message

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [
                    (b"x-api-request-id", state["request_id"].encode("latin-1"))
                ]
            await send(message)

        await self.app(scope, limited_receive, send_with_id)

    @staticmethod
    def _too_large(size: int, limit: int) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"the request body is {'at least ' if size else ''}{size} bytes; the limit is {limit} bytes "
            f"({limit / 2**20:.0f} MiB). Send shorter or compressed audio, or use the batch API",
        )

    async def _reject(self, send, state, error, path: str = "") -> None:
        await send_error(send, {"path": path, "state": state}, error, close=True,
                         extra_headers=[(b"x-api-request-id", state["request_id"].encode("latin-1"))])


async def drain(receive) -> None:
    """Read a request body to its end without keeping it, so the connection stays usable."""
    while (await receive()).get("more_body"):
        pass


async def send_error(send, scope, error: ServiceError, close: bool = False,
                     extra_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """Answer an HTTP request with ``error`` in its surface's shape, from ASGI middleware."""
    state = scope.get("state", {})
    path = route_path(scope)
    payload = error_payload(path, error.status, state.get("request_id", ""), state.get("timestamp", ""),
                            error.code, error.message)
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if error.retry_after_s is not None:
        headers.append((b"retry-after", str(error.retry_after_s).encode()))
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": error.status, "headers": headers + (extra_headers or [])})
    await send({"type": "http.response.body", "body": body})
