"""API keys on the HTTP surfaces: checked from the headers before the body is read.

A pure ASGI middleware, so a request without a valid key costs no multipart parsing and no
decoding. It sets :data:`auth.access.current_caller` for the request; the transcription
service checks the key's languages and charges its audio. The WebSocket and gRPC surfaces
call :meth:`AccessControl.authenticate` themselves (they do not pass HTTP middleware).
"""

from __future__ import annotations

import re

from sunvai.api.context import drain, route_path, send_error
from sunvai.auth.access import AccessControl, current_caller, presented_key
from sunvai.errors import ServiceError

# Path -> key surface, first match wins. Not listed: health, metrics, the page, the API docs.
KEY_SURFACES = (("/stt/v3/batch", "batch"), ("/stt/v3/stream", None), ("/stt/v3", "vachana"),
                ("/v1/audio", "openai"), ("/v1/realtime", "realtime"), ("/v1/models", "openai"), ("/v1/recognize", "vakyansh"),
                ("/v1/punctuate", "vakyansh"))
NO_AUDIO_POSTS = ("/v1/punctuate", "/v1/realtime/")  # realtime: minting client secrets  # POSTs that bring no audio (batch: only creating a job does)
# A transcript link carries its own expiring signature (the Vachana SDK fetches it without a key).
SIGNED_LINK = re.compile(r"^/stt/v3/batch/jobs/[^/]+/files/[^/]+/transcript$")


def key_surface(path: str) -> str | None:
    if SIGNED_LINK.match(path):
        return None
    return next((surface for prefix, surface in KEY_SURFACES if path.startswith(prefix)), None)


class KeyMiddleware:
    def __init__(self, app, access: AccessControl):
        self.app = app
        self.access = access

    async def __call__(self, scope, receive, send):
        surface = key_surface(route_path(scope)) if scope["type"] == "http" else None
        if surface is None or not self.access.enabled:
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path = route_path(scope)
        sends_audio = scope.get("method") == "POST" and not path.startswith(NO_AUDIO_POSTS) and (
            surface != "batch" or path.rstrip("/") == "/stt/v3/batch/jobs")
        try:
            caller = await self.access.authenticate(presented_key(headers), surface, sends_audio)
        except ServiceError as refused:
            await drain(receive)
            return await send_error(send, scope, refused)
        scope.setdefault("state", {})["key_name"] = caller.name
        scope["state"]["caller"] = caller
        token = current_caller.set(caller)
        try:
            await self.app(scope, receive, send)
        finally:
            current_caller.reset(token)
