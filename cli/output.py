"""Writing transcripts as text, JSON, SRT or WebVTT."""

from __future__ import annotations

import json

from sunvai.asr.types import Segment
from sunvai.service.subtitles import to_srt, to_vtt

FORMATS = ("text", "json", "srt", "vtt")


def segments_of(items: list[dict]) -> list[Segment]:
    """Segments from either response shape: /stt/v3 (start, end) or a batch transcript (start_time, end_time)."""
    return [Segment(float(s.get("start", s.get("start_time", 0.0))), float(s.get("end", s.get("end_time", 0.0))),
                    str(s.get("text", ""))) for s in items]


def render(result: dict, fmt: str) -> str:
    """``result``: transcript, language_code, segments (dicts)."""
    if fmt == "text":
        return result["transcript"].strip() + "\n"
    if fmt == "json":
        return json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    segments = segments_of(result.get("segments") or [])
    return to_srt(segments) if fmt == "srt" else to_vtt(segments)
