"""Word timestamps, initial prompt, sampling and translation on both Whisper engines (real weights)."""

from __future__ import annotations

import numpy as np
import pytest

from sunvai.asr.types import AsrRequest
from sunvai.asr.word_timing import dtw, split_words
from sunvai.audio import decode_audio
from tests import speech

LEAD_S = 3.0  # silence placed before the speech
NAME_SENTENCE = "The quick brown fox jumps over the lazy dog. My name is Ravi Kumar."


@pytest.fixture(scope="module")
def name_clip(tmp_path_factory):
    path = speech.speak(NAME_SENTENCE, "en", tmp_path_factory.mktemp("words") / "name.wav")
    audio = decode_audio(path.read_bytes()).samples
    return np.concatenate([np.zeros(int(LEAD_S * 16000), np.float32), audio])


@pytest.fixture(params=["ct2", "hf"])
def engine(request, ct2_engine, hf_engine):
    return {"ct2": ct2_engine, "hf": hf_engine}[request.param]


def test_words_cover_the_text_in_order_and_start_where_speech_starts(engine, name_clip):
    result = engine.transcribe_batch([AsrRequest(name_clip, "en", word_timestamps=True)])[0]
    words = [w for s in result.segments for w in s.words]
    assert speech.normalise(" ".join(w.text for w in words)) == speech.normalise(result.text)
    assert "ravi kumar" in speech.normalise(result.text)
    starts = [w.start for w in words]
    assert starts == sorted(starts) and all(w.start <= w.end for w in words)
    assert abs(words[0].start - LEAD_S) <= 0.5, words[0]
    assert words[-1].end <= len(name_clip) / 16000
    for segment in result.segments:  # segment edges follow their words
        assert segment.start == segment.words[0].start and segment.end == segment.words[-1].end


def test_both_engines_time_words_alike(ct2_engine, hf_engine, name_clip):
    request = AsrRequest(name_clip, "en", word_timestamps=True)
    ct2 = [w for s in ct2_engine.transcribe_batch([request])[0].segments for w in s.words]
    hf = [w for s in hf_engine.transcribe_batch([request])[0].segments for w in s.words]
    assert [w.text for w in ct2] == [w.text for w in hf]
    assert max(abs(a.start - b.start) for a, b in zip(ct2, hf)) <= 0.2


def test_no_words_unless_asked(ct2_engine, name_clip):
    result = ct2_engine.transcribe_batch([AsrRequest(name_clip, "en")])[0]
    assert result.segments and all(not s.words for s in result.segments)


def test_hindi_words_are_whole_characters(engine, clips):
    audio = decode_audio(clips.hindi.read_bytes()).samples
    result = engine.transcribe_batch([AsrRequest(audio, "hi", word_timestamps=True)])[0]
    words = [w.text for s in result.segments for w in s.words]
    assert words and all("\ufffd" not in w for w in words)
    assert "".join(words) == result.text.replace(" ", "")


def test_the_prompt_steers_spelling(engine, name_clip):
    plain = engine.transcribe_batch([AsrRequest(name_clip, "en")])[0].text
    steered = engine.transcribe_batch([AsrRequest(name_clip, "en", prompt="Ravee Koomar")])[0].text
    assert "Ravi Kumar" in plain and "Ravee Koomar" in steered, (plain, steered)


def test_sampling_above_temperature_zero(ct2_engine, clips):
    audio = decode_audio(clips.tamil.read_bytes()).samples
    greedy = ct2_engine.transcribe_batch([AsrRequest(audio, "ta")])[0].text
    assert greedy == ct2_engine.transcribe_batch([AsrRequest(audio, "ta")])[0].text
    sampled = {ct2_engine.transcribe_batch([AsrRequest(audio, "ta", temperature=1.0)])[0].text for _ in range(4)}
    assert sampled - {greedy}, "four samples at temperature 1 all equal to the greedy text"


def test_translation_writes_english(engine, clips):
    audio = decode_audio(clips.hindi.read_bytes()).samples
    result = engine.transcribe_batch([AsrRequest(audio, "hi", task="translate")])[0]
    letters = [c for c in result.text if c.isalpha()]
    assert len(letters) >= 5 and all(c.isascii() for c in letters), result.text


def test_unknown_task_is_refused(ct2_engine, name_clip):
    with pytest.raises(ValueError, match="task must be"):
        ct2_engine.transcribe_batch([AsrRequest(name_clip, "en", task="summarise")])


def _reference_dtw(cost):
    """OpenAI's dtw_cpu, loop for loop."""
    n, m = cost.shape
    acc = np.full((n + 1, m + 1), np.inf)
    trace = -np.ones((n + 1, m + 1))
    acc[0, 0] = 0
    for j in range(1, m + 1):
        for i in range(1, n + 1):
            c0, c1, c2 = acc[i - 1, j - 1], acc[i - 1, j], acc[i, j - 1]
            if c0 < c1 and c0 < c2:
                c, t = c0, 0
            elif c1 < c0 and c1 < c2:
                c, t = c1, 1
            else:
                c, t = c2, 2
            acc[i, j] = cost[i - 1, j - 1] + c
            trace[i, j] = t
    i, j = n, m
    trace[0, :], trace[:, 0] = 2, 1
    path = []
    while i > 0 or j > 0:
        path.append((i - 1, j - 1))
        if trace[i, j] == 0:
            i, j = i - 1, j - 1
        elif trace[i, j] == 1:
            i -= 1
        else:
            j -= 1
    path = np.array(path[::-1])
    return path[:, 0], path[:, 1]


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (12, 40), (25, 160)])
def test_vectorised_dtw_is_openais_dtw(shape):
    cost = np.random.default_rng(sum(shape)).normal(size=shape)
    ours, theirs = dtw(cost), _reference_dtw(cost)
    assert np.array_equal(ours[0], theirs[0]) and np.array_equal(ours[1], theirs[1])


def test_split_words_waits_for_whole_characters(ct2_engine):
    tokenizer = ct2_engine.tokenizer
    tokens = tokenizer.encode(" नमस्ते दोस्तों, आप", add_special_tokens=False).ids
    words, groups = split_words(tokenizer.decode, tokens, ct2_engine.tokens.eot)
    assert [w.strip() for w in words] == ["नमस्ते", "दोस्तों", ",", "आप"]
    assert sum(groups, []) == tokens
