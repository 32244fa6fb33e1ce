"""The long-form path at its chunk edges, app tier (whisper-base in-process, the real VAD and chunk planner):
speech with no pause long enough to end a chunk is cut inside a sentence, and that sentence must still come
out whole; repeated sentences stay repeated; subtitles and word times stay in order across the edges."""

from __future__ import annotations

import numpy as np
import pytest
import srt

from sunvai.audio import decode_audio
from sunvai.service.args import AppArgs
from sunvai.service.backend import InProcessAsrBackend
from sunvai.service.longform import plan_chunks, speech_regions
from sunvai.service.subtitles import to_srt
from sunvai.service.transcription import TranscriptionOptions, TranscriptionService
from tests import speech


@pytest.fixture(scope="module")
def service(ct2_engine):
    return TranscriptionService(AppArgs(), InProcessAsrBackend({"whisper-base": ct2_engine}))


RUN_ON = [s.rstrip(".?") for s in speech.LONG_SENTENCES[:20]]


@pytest.fixture(scope="module")
def run_on(tmp_path_factory):
    """Twenty sentences read as one, joined by "and" (no pause a chunk may end at): over 30 s of speech."""
    path = tmp_path_factory.mktemp("edges") / "run-on.wav"
    return decode_audio(speech.speak(" and ".join(RUN_ON), "en", path).read_bytes()).samples


def words_of(text: str) -> list[str]:
    return speech.normalise(text).split()


async def test_a_sentence_across_a_chunk_edge_comes_out_whole(service, run_on):
    config = service.args.longform
    regions = speech_regions(run_on, config)
    chunks = plan_chunks(regions, config.chunk_s, config.merge_gap_s, config.min_chunk_s, config.drop_pauses)
    # the VAD had to cut one run of speech (at a short gap between two words): no pause between the chunks
    assert len(chunks) >= 2 and chunks[0].end == chunks[1].start, chunks
    result = await service.transcribe_any_length(run_on, TranscriptionOptions("en-IN", word_timestamps=True))
    cut_s = chunks[0].end / 16_000
    words = [w for s in result.segments for w in s.words]
    spoken = [speech.normalise(w.text) for w in words]
    # the premise: the cut falls inside "Our flight was cancelled yesterday", between "flight" and "was"
    at = next((i for i, w in enumerate(spoken) if w == "flight"), None)
    assert at is not None, f"'flight' was not heard: {result.transcript}"
    assert words[at].start < cut_s < words[at + 1].end and spoken[at + 1] == "was", (cut_s, spoken[at - 2:at + 3])
    heard = " ".join(words_of(result.transcript))
    assert "our flight was cancelled yesterday" in heard, result.transcript
    assert heard.count("flight") == 1 and heard.count("cancelled") == 1  # the overlap heard twice, kept once
    assert all(a.start <= b.start + 1e-3 for a, b in zip(words, words[1:]))
    times = [(s.start, s.end) for s in result.segments]
    assert all(a[0] <= b[0] for a, b in zip(times, times[1:])), times
    cues = list(srt.parse(to_srt(result.segments)))
    assert all(a.start <= b.start for a, b in zip(cues, cues[1:]))
    assert words_of(" ".join(c.content for c in cues)) == words_of(" ".join(s.text for s in result.segments))
    assert "." not in result.transcript.split("flight")[1][:4]  # no sentence end inside the sentence at the cut


async def test_repeated_sentences_stay_repeated_on_the_long_form_path(service, clips, tmp_path):
    """Six repeats of one sentence, twice over with a long pause between (two chunks): twelve sentences."""
    sentence = clips.english["call"]
    silence = speech.silence_wav(tmp_path / "pause.wav", 3.0)
    path = speech.concat_with_silence([sentence] * 6 + [silence] + [sentence] * 6, tmp_path / "twelve.wav", gap_s=0.8)
    samples = decode_audio(path.read_bytes()).samples
    assert len(samples) > service.args.longform.chunk_s * 16_000
    result = await service.transcribe_any_length(samples, TranscriptionOptions("en-IN"))
    assert speech.normalise(result.transcript).count(speech.normalise(speech.ENGLISH["call"])) == 12, \
        result.transcript
    assert result.transcript.count(".") <= 12, result.transcript  # no sentence end inside a sentence
    starts = np.array([s.start for s in result.segments])
    assert (np.diff(starts) >= 0).all()
