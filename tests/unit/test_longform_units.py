"""Long-form planning and subtitles, as plain Python (the Serve path is in tests/serve/test_vakyansh.py)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
import srt
import webvtt

from sunvai.asr.types import AsrResult, Segment, Word
from sunvai.errors import Overloaded
from sunvai.service.longform import Chunk, LongformConfig, plan_chunks, transcribe_chunks
from sunvai.service.subtitles import to_srt, to_vtt

S = 16_000


def test_neighbouring_regions_merge_up_to_the_chunk_length():
    regions = [(0, 5 * S, False), (6 * S, 12 * S, False), (13 * S, 27 * S, False), (28 * S, 40 * S, False),
               (41 * S, 42 * S, True)]
    chunks = plan_chunks(regions, 28.0, merge_gap_s=1.0)
    assert [(c.start / S, c.end / S, c.whole) for c in chunks] == [(0, 27, True), (28, 42, False)]
    apart = [(0, 6 * S, False), (9 * S, 12 * S, False), (20 * S, 21 * S, False), (24 * S, 26 * S, False)]
    assert [(c.start / S, c.end / S) for c in plan_chunks(apart, 28.0, 1.0, 5.0)] == [(0, 6), (9, 21), (24, 26)]
    assert all(c.end - c.start <= 28 * S for c in chunks)


def test_an_overlong_region_is_cut_to_the_chunk_length():
    chunks = plan_chunks([(0, 45 * S, False)], 28.0)
    assert (chunks[0].start, chunks[0].end, chunks[0].whole) == (0, 28 * S, False)


def test_dropped_pauses_pack_more_speech_into_a_chunk_and_map_times_back():
    regions = [(0, 5 * S, False), (9 * S, 15 * S, False), (19 * S, 30 * S, False), (34 * S, 44 * S, False)]
    spanning = plan_chunks(regions, 28.0)
    packed = plan_chunks(regions, 28.0, drop_pauses=True)
    assert [(c.start / S, c.end / S) for c in spanning] == [(0, 15), (19, 44)]
    assert [c.pieces for c in packed] == [((0, 5 * S), (9 * S, 15 * S), (19 * S, 30 * S)), ((34 * S, 44 * S),)]
    assert packed[0].heard_s == 22.0 and all(c.heard_s <= 28 for c in packed)
    samples = np.arange(44 * S, dtype=np.float32)
    heard = packed[0].audio(samples)
    assert len(heard) == 22 * S and heard[5 * S] == 9 * S and heard[11 * S] == 19 * S
    chunk = packed[0]
    assert chunk.absolute(2.0) == 2.0 and chunk.absolute(6.0) == 10.0 and chunk.absolute(12.5) == 20.5
    assert chunk.absolute(5.0) == 9.0, "a start at the seam opens the next piece"
    assert chunk.absolute(4.9, seam_s=0.2) == 9.0, "a start just before a seam belongs after it"
    assert chunk.absolute(4.9) == 4.9
    assert chunk.absolute(5.0, is_end=True) == 5.0, "an end at the seam closes the piece before"
    assert chunk.absolute(5.1, is_end=True, seam_s=0.2) == 5.0, "an end just after a seam belongs before it"
    assert chunk.absolute(4.9, piece=1) == 9.0 and chunk.absolute(5.5, piece=0) == 5.0, "clamped to the piece"
    assert chunk.absolute(99.0, is_end=True) == 30.0
    touching = plan_chunks([(0, 5 * S, False), (5 * S, 8 * S, False)], 28.0, drop_pauses=True)
    assert touching[0].pieces == ((0, 8 * S),)


async def test_times_of_a_packed_chunk_come_back_absolute():
    samples = np.zeros(40 * S, np.float32)
    chunk = Chunk(0, 0, 30 * S, pieces=((0, 5 * S), (20 * S, 30 * S)))

    async def transcribe(audio, whole):
        assert len(audio) == 15 * S
        return AsrResult("one two three", "en", (
            Segment(0.5, 4.9, "one", (Word(0.5, 4.9, "one"),)),
            Segment(4.92, 7.0, "two", (Word(4.92, 7.0, "two"),)),  # the word's middle is after the seam
            Segment(4.9, 7.0, "three")))  # no words: the start, just before the seam, belongs after it

    segments = await transcribe_chunks(samples, [chunk], transcribe, LongformConfig(pad_ms=200))
    assert [(s.start, s.end) for s in segments] == [(0.5, 4.9), (20.0, 22.0), (20.0, 22.0)]
    assert [(w.start, w.end) for s in segments for w in s.words] == [(0.5, 4.9), (20.0, 22.0)]


async def test_a_segment_running_over_a_dropped_pause_is_split_there_by_its_words():
    chunk = Chunk(0, 0, 30 * S, pieces=((0, 5 * S), (20 * S, 30 * S)))

    async def transcribe(audio, whole):
        words = (Word(1.0, 1.5, "Good"), Word(1.5, 2.0, "night."), Word(5.3, 5.8, "See"), Word(5.8, 6.4, "you."))
        return AsrResult("Good night. See you.", "en", (Segment(1.0, 6.4, " Good night. See you.", words),))

    segments = await transcribe_chunks(np.zeros(40 * S, np.float32), [chunk], transcribe, LongformConfig())
    assert [(s.start, s.end, s.text) for s in segments] == [(1.0, 2.0, "Good night."), (20.3, 21.4, "See you.")]
    assert [w.text for w in segments[1].words] == ["See", "you."]


def test_speech_regions_find_the_sentences(clips, tmp_path):
    from tests import speech
    from sunvai.audio import decode_audio
    from sunvai.service.longform import LongformConfig, speech_regions

    recording = tmp_path / "three.wav"
    spans = speech.placed_recording(speech.LONG_SENTENCES[:3], recording)
    regions = speech_regions(decode_audio(recording.read_bytes()).samples, LongformConfig())
    assert len(regions) == 3 and not any(forced for *_, forced in regions)
    for (start, end), (region_start, region_end, _) in zip(spans, regions):
        assert region_start / S <= start + 0.1 and region_end / S >= end - 0.1


async def test_chunks_run_in_parallel_with_absolute_times_and_retry_when_overloaded():
    samples = np.zeros(60 * S, np.float32)
    chunks = [Chunk(0, 0, 20 * S), Chunk(1, 30 * S, 50 * S)]
    in_flight, peak, failures = 0, 0, {"left": 1}

    async def transcribe(audio, whole):
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            await asyncio.sleep(0.05)
            if failures["left"]:
                failures["left"] -= 1
                raise Overloaded("busy", retry_after_s=0)
            return AsrResult("words", "en", (Segment(1.0, 2.5, "words"),))
        finally:
            in_flight -= 1

    progress = []
    segments = await transcribe_chunks(samples, chunks, transcribe, LongformConfig(max_parallel=2), progress.append)
    assert [(s.start, s.end) for s in segments] == [(1.0, 2.5), (31.0, 32.5)]
    assert peak == 2 and progress[-1].chunks_done == 2 and progress[-1].audio_s_total == 40.0


def test_srt_and_vtt_parse_and_keep_every_word():
    long_text = " ".join(f"word{i}" for i in range(60))
    segments = [Segment(0.5, 2.25, "Hello there"), Segment(3.0, 9.0, long_text), Segment(3661.0, 3662.5, "late")]
    cues = list(srt.parse(to_srt(segments)))
    assert [c.index for c in cues] == list(range(1, len(cues) + 1))
    assert " ".join(" ".join(c.content.split()) for c in cues) == f"Hello there {long_text} late"
    assert all(len(line) <= 42 for c in cues for line in c.content.splitlines())
    assert all(a.end <= b.start for a, b in zip(cues, cues[1:])), "monotonic, no overlap"
    assert "01:01:01,000 --> 01:01:02,500" in to_srt(segments)
    captions = webvtt.from_string(to_vtt(segments))
    assert captions[0].start == "00:00:00.500" and captions[-1].end == "01:01:02.500"
    assert len(captions) == len(cues)


@pytest.mark.parametrize("segments", [[], [Segment(0, 1, "   ")]])
def test_no_text_no_cues(segments):
    assert to_srt(segments) == "" and webvtt.from_string(to_vtt(segments)).captions == []


async def test_finished_chunks_are_handed_on_in_order_the_first_at_once():
    """The streamed transcript (OpenAI stream=true): chunk 0's text goes out as soon as chunk 0 is done, while
    chunk 1 still runs; chunk 2, done before chunk 1, waits for it; the pieces concatenate to the transcript."""
    from sunvai.service.transcription import InOrder

    samples = np.zeros(90 * S, np.float32)
    chunks = [Chunk(0, 0, 20 * S), Chunk(1, 30 * S, 50 * S), Chunk(2, 60 * S, 80 * S)]
    release_middle = asyncio.Event()
    pieces: list[str] = []
    seen_when_middle_released: list[str] = []

    async def transcribe(audio, whole):
        index = next(c.index for c in chunks if np.shares_memory(audio, samples[c.start:c.end]))
        if index == 1:
            await release_middle.wait()
        return AsrResult(f"text{index}", "en", (Segment(1.0, 2.0, f"text{index}"), Segment(3.0, 4.0, f"more{index}")))

    async def on_text(piece):
        piece = piece.text
        pieces.append(piece)
        if piece.startswith("more0") or piece.endswith("more0"):  # chunk 0 is out; chunk 2 must not be yet
            await asyncio.sleep(0)
            seen_when_middle_released.extend(pieces)
            release_middle.set()

    ordered = InOrder(on_text)

    async def finish(index, placed):
        await ordered.done(index, placed)
        return placed

    segments = await transcribe_chunks(samples, chunks, transcribe, LongformConfig(max_parallel=3), finish=finish)
    assert seen_when_middle_released == ["text0", " more0"]
    assert pieces == ["text0", " more0", " text1", " more1", " text2", " more2"]
    assert "".join(pieces) == " ".join(s.text for s in segments)
