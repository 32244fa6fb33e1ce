"""Subtitles from timed segments: SRT through `srt`, WebVTT through `webvtt-py`.

Cues hold at most two lines of ``line_chars`` characters. A segment with more text
is split at word boundaries into several cues, its time shared out by characters,
so no speech is dropped however long the segment (the original Vakyansh server
dropped such segments and wrote two-digit milliseconds).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import timedelta
from typing import Iterable

from sunvai.asr.types import Segment

LINE_CHARS = 42
LINES_PER_CUE = 2


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]


def cues(segments: Iterable[Segment], line_chars: int = LINE_CHARS) -> list[Cue]:
    out: list[Cue] = []
    last_end = 0.0
    for segment in segments:
        text = " ".join(segment.text.split())
        if not text:
            continue
        lines = textwrap.wrap(text, line_chars, break_long_words=False, break_on_hyphens=False) or [text]
        groups = [lines[i:i + LINES_PER_CUE] for i in range(0, len(lines), LINES_PER_CUE)]
        start = max(segment.start, last_end)
        end = max(segment.end, start + 0.001 * len(groups))
        total = sum(len(" ".join(g)) for g in groups)
        position = start
        for group in groups:
            share = (end - start) * len(" ".join(group)) / total
            out.append(Cue(round(position, 3), round(position + share, 3), tuple(group)))
            position += share
        last_end = out[-1].end
    return out


def to_srt(segments: Iterable[Segment]) -> str:
    import srt

    subtitles = [srt.Subtitle(index=i, start=timedelta(seconds=c.start), end=timedelta(seconds=c.end),
                              content="\n".join(c.lines)) for i, c in enumerate(cues(segments), start=1)]
    return srt.compose(subtitles, reindex=False)


def to_vtt(segments: Iterable[Segment]) -> str:
    import webvtt

    document = webvtt.WebVTT()
    for cue in cues(segments):
        document.captions.append(webvtt.Caption(_vtt_time(cue.start), _vtt_time(cue.end), "\n".join(cue.lines)))
    return document.content


def _vtt_time(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"
