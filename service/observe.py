"""What each request did, for metrics and access logs: recorded by every surface, exported elsewhere.

Plain Python: the Serve graph records into Ray's metrics (:mod:`deployments.metrics`); tests and
Ray-free use keep the default :class:`NullRecorder`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Protocol

access_log = logging.getLogger("sunvai.access")


@dataclass(frozen=True)
class RequestRecord:
    surface: str  # stt_v3, stream, openai, openai_realtime, vakyansh_rest, vakyansh_grpc, batch, page, health, other
    status: int  # HTTP status (gRPC calls: the HTTP status of their error, 200 when fine)
    duration_s: float
    language: str = "none"
    audio_s: float = 0.0
    request_id: str = ""
    key_name: str = ""  # the API key's name, never the key


class Recorder(Protocol):
    def record(self, record: RequestRecord) -> None: ...


class NullRecorder:
    def record(self, record: RequestRecord) -> None:
        pass


def log_access(record: RequestRecord) -> None:
    """One structured line per request: JSON with the request id, surface, language, status, times."""
    fields = asdict(record)
    fields["duration_s"] = round(record.duration_s, 4)
    fields["audio_s"] = round(record.audio_s, 3)
    access_log.info(json.dumps(fields, ensure_ascii=False))


SURFACES = (("/stt/v3/batch", "batch"), ("/stt/v3/stream", "stream"), ("/stt/v3", "stt_v3"),
            ("/v1/realtime", "openai_realtime"),
            ("/v1/audio", "openai"), ("/v1/models", "openai"), ("/v1/recognize", "vakyansh_rest"),
            ("/v1/punctuate", "vakyansh_rest"), ("/health", "health"), ("/metrics", "metrics"), ("/web", "page"))


def surface_of(path: str) -> str:
    if path == "/":
        return "page"
    return next((name for prefix, name in SURFACES if path.startswith(prefix)), "other")
