"""Errors every surface understands: an HTTP-like status, a code and a message.

Surfaces render them in their own shape (Vachana JSON, OpenAI error, gRPC status).
"""

from __future__ import annotations


class ServiceError(Exception):
    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, code: str | None = None, retry_after_s: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.retry_after_s = retry_after_s


class BadRequest(ServiceError):
    status, code = 400, "bad_request"


class Forbidden(ServiceError):
    status, code = 403, "forbidden"


class NotFound(ServiceError):
    status, code = 404, "not_found"


class Conflict(ServiceError):
    status, code = 409, "conflict"


class PayloadTooLarge(ServiceError):
    status, code = 413, "payload_too_large"


class Overloaded(ServiceError):
    status, code = 503, "overloaded"



class Unauthorized(ServiceError):
    status, code = 401, "unauthorized"


class RateLimited(ServiceError):
    status, code = 429, "rate_limited"
