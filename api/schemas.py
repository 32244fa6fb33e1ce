"""Response bodies of the HTTP surfaces."""

from __future__ import annotations

from pydantic import BaseModel


class SttResponse(BaseModel):
    """``POST /stt/v3`` success body: Vachana's fields plus what sunvai adds."""

    success: bool = True
    request_id: str
    timestamp: str
    transcript: str
    language_code: str
    duration_s: float
    model: str
    processing_time_ms: int
    language_confidence: float | None = None  # when identified among a comma list
    language_runner_up: str | None = None
    language_candidates: dict[str, float] | None = None
    language_rerouted_from: str | None = None  # identified language the transcript overruled
    language_reroute_reason: str | None = None


class HealthResponse(BaseModel):
    status: str
    models: dict[str, bool]
