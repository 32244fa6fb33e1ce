"""Both Whisper engines on the packaged weights: same tokens, exact English, timed segments."""

from __future__ import annotations

import numpy as np
import pytest

from sunvai.asr.types import AsrRequest
from sunvai.audio import decode_audio
from tests import speech


def _audio(path) -> np.ndarray:
    return decode_audio(path.read_bytes()).samples


def test_converted_weights_give_the_same_greedy_tokens(ct2_engine, hf_engine, clips):
    """The CT2->transformers conversion check: identical tokens on identical features, and the scores the
    fallback and the no-speech decision read agree."""
    features = ct2_engine.features([_audio(clips.english["table"])])
    prompt = [[ct2_engine.tokens.sot, ct2_engine.tokens.languages["en"], ct2_engine.tokens.transcribe]]
    ct2 = ct2_engine.backend.generate(features, prompt)[0]
    hf = hf_engine.backend.generate(features, prompt)[0]
    ct2_tokens, hf_tokens = ct2.tokens, hf.tokens
    assert abs(ct2.no_speech_prob - hf.no_speech_prob) < 0.01 and ct2.no_speech_prob < 0.6
    assert abs(ct2.avg_logprob - hf.avg_logprob) < 0.15 and -1.0 < ct2.avg_logprob < 0
    assert len(ct2_tokens) > 5
    assert [t for t in ct2_tokens if t != 50257] == [t for t in hf_tokens if t != 50257]


@pytest.mark.parametrize("key", sorted(speech.ENGLISH))
def test_both_engines_transcribe_english_identically_and_exactly(ct2_engine, hf_engine, clips, key):
    request = AsrRequest(_audio(clips.english[key]), "en")
    ct2 = ct2_engine.transcribe_batch([request])[0]
    hf = hf_engine.transcribe_batch([request])[0]
    assert ct2.text == hf.text
    assert [(s.start, s.end) for s in ct2.segments] == [(s.start, s.end) for s in hf.segments]
    assert speech.normalise(ct2.text) == speech.normalise(speech.ENGLISH[key])


def test_batch_results_match_single_requests(ct2_engine, clips):
    requests = [AsrRequest(_audio(clips.english[k]), "en") for k in sorted(speech.ENGLISH)]
    batched = [r.text for r in ct2_engine.transcribe_batch(requests)]
    single = [ct2_engine.transcribe_batch([r])[0].text for r in requests]
    assert batched == single


def test_segments_are_timed_within_the_clip(ct2_engine, clips):
    audio = _audio(clips.english["table"])
    result = ct2_engine.transcribe_batch([AsrRequest(audio, "en")])[0]
    assert result.segments
    duration = len(audio) / 16000
    for seg in result.segments:
        assert 0 <= seg.start < seg.end <= duration + 0.05


def test_audio_longer_than_one_window(ct2_engine, clips, tmp_path):
    parts = [clips.english[k] for k in ("hello", "call", "table", "station")] * 3
    long = speech.concat_with_silence(parts, tmp_path / "long.wav", gap_s=1.5)
    audio = _audio(long)
    assert len(audio) / 16000 > 35
    result = ct2_engine.transcribe_batch([AsrRequest(audio, "en")])[0]
    starts = [s.start for s in result.segments]
    assert starts == sorted(starts)
    assert result.segments[-1].end > 30, "the second window was decoded"
    assert speech.normalise(result.text).count("railway station") == 3


def test_silence_gives_an_empty_transcript(ct2_engine):
    result = ct2_engine.transcribe_batch([AsrRequest(np.zeros(32000, np.float32), "en")])[0]
    assert result.text == "" and result.segments == ()


def test_hindi_and_tamil_come_back_in_their_script(ct2_engine, clips):
    hindi, tamil = ct2_engine.transcribe_batch(
        [AsrRequest(_audio(clips.hindi), "hi"), AsrRequest(_audio(clips.tamil), "ta")]
    )
    assert any("\u0900" <= ch <= "\u097f" for ch in hindi.text), hindi.text
    assert any("\u0b80" <= ch <= "\u0bff" for ch in tamil.text), tamil.text
    assert hindi.language == "hi" and tamil.language == "ta"


def test_language_detection_restricted_to_candidates(ct2_engine, hf_engine, clips):
    english = _audio(clips.english["call"])
    for engine in (ct2_engine, hf_engine):
        probs = engine.detect_language(english, ["hi", "en"])
        assert list(probs) [0] == "en" and set(probs) == {"hi", "en"}
        assert abs(sum(probs.values()) - 1) < 1e-6


def test_unknown_language_is_refused(ct2_engine):
    with pytest.raises(ValueError, match="does not know language"):
        ct2_engine.transcribe_batch([AsrRequest(np.zeros(16000, np.float32), "xx")])


def test_fitted_encoder_window_only_where_configured(model_store, clips):
    from sunvai.asr.factory import ModelConfig, build_engine

    engine = build_engine(ModelConfig(name="w", engine="whisper-ct2", compute_type="int8", cpu_threads=2,
                                      fit_encoder_window="vad_segments"), model_store)
    shapes = []
    encode = engine.backend.encode  # the mel features enter the encoder once per window (shared by every pass)
    engine.backend.encode = lambda features: shapes.append(features.shape) or encode(features)
    audio = _audio(clips.english["hello"])
    whole = engine.transcribe_batch([AsrRequest(audio, "en")])[0]
    segment = engine.transcribe_batch([AsrRequest(audio, "en", vad_segment=True)])[0]
    mixed = engine.transcribe_batch([AsrRequest(audio, "en", vad_segment=True), AsrRequest(audio, "en")])
    assert shapes[0][-1] == 3000 and shapes[2][-1] == 3000, "uploads and mixed batches keep the 30 s window"
    assert shapes[1][-1] == 500, "a 1.6 s VAD segment runs on a 5 s window"
    assert speech.normalise(segment.text) == speech.normalise(whole.text) == speech.normalise(speech.ENGLISH["hello"])
    assert [r.text for r in mixed] == [whole.text, whole.text]


def test_decoding_loops_are_caught_and_bounded(model_store, tmp_path):
    """whisper-base loops on this espeak-ng Hindi (measured: 122 chars of 'पाँवाँ पाँवाँ…', compression
    ratio 11, 3.2 s). The guard caps tokens by audio length and re-decodes loops with a penalty, then (for a
    window still looping or unsure) sampled at rising temperatures, as Whisper falls back."""
    import zlib

    from sunvai.asr.factory import ModelConfig, build_engine
    from sunvai.asr.whisper_decoding import LOOP_COMPRESSION_RATIO

    engine = build_engine(ModelConfig(name="w", engine="whisper-ct2", compute_type="int8", cpu_threads=2), model_store)
    clip = speech.speak("नमस्ते, मुझे पाँच हज़ार रुपये चाहिए। कृपया आज ही भेज दीजिए।", "hi", tmp_path / "loop.wav")
    audio = _audio(clip)
    calls = []
    generate = engine.backend.generate
    engine.backend.generate = lambda *a, **k: calls.append(k) or generate(*a, **k)
    text = engine.transcribe_batch([AsrRequest(audio, "hi")])[0].text
    encoded = text.encode()
    assert len(encoded) / len(zlib.compress(encoded)) <= LOOP_COMPRESSION_RATIO, text
    budget = calls[0]["max_new_tokens"]
    assert budget < 444, "the token budget follows the audio length"
    # The script lock's own continuations (shorter budgets) may come between the decodes: find the re-decode by
    # its options, not its place (whether the lock steps in depends on the CPU's int8 rounding).
    penalised = [i for i, k in enumerate(calls) if k.get("repetition_penalty", 1) > 1]
    assert penalised and calls[penalised[0]]["max_new_tokens"] == budget, \
        "the looping window was decoded again with a penalty"
    assert all(k.get("temperature", 0) == 0 for k in calls[:penalised[0]]), "greedy until the penalty"
    later = [k for k in calls[penalised[0]:] if k.get("repetition_penalty", 1) == 1]
    assert all(k.get("temperature", 0) > 0 for k in later), "after the penalty, only sampled fallbacks"
    assert len({k["temperature"] for k in later}) <= 5, "at most Whisper's five fallback temperatures"


def test_no_retry_for_ordinary_speech(ct2_engine, clips):
    calls = []
    generate = ct2_engine.backend.generate
    ct2_engine.backend.generate = lambda *a, **k: calls.append(k) or generate(*a, **k)
    try:
        ct2_engine.transcribe_batch([AsrRequest(_audio(clips.english["table"]), "en")])
    finally:
        ct2_engine.backend.generate = generate
    assert len(calls) == 1 and "repetition_penalty" not in calls[0]


def test_script_lock_keeps_hindi_in_devanagari(model_store, tmp_path):
    """Measured: whisper-base writes this espeak-ng Hindi in Urdu script; locked, it writes Devanagari."""
    from sunvai.asr.factory import ModelConfig, build_engine
    from sunvai.language_router.text_check import script_of

    clip = speech.speak("मैं दो हज़ार रुपये दूँगा। धन्यवाद।", "hi", tmp_path / "hi.wav")
    request = AsrRequest(_audio(clip), "hi")
    scripts = {}
    for lock in (False, True):
        engine = build_engine(ModelConfig(name="w", engine="whisper-ct2", compute_type="int8", cpu_threads=2,
                                          script_lock=lock), model_store)
        text = engine.transcribe_batch([request])[0].text
        scripts[lock] = {script_of(ch) for ch in text if ch.isalpha()}
    assert "Arabic" in scripts[False], "without the lock the model drifts (this is what the lock is for)"
    assert scripts[True] <= {"Devanagari", "Latin"}, scripts[True]


def test_repeated_sentences_stay_repeated(ct2_engine, clips, tmp_path):
    """Six repeats of one sentence in one window: whisper-base writes it once and stamps its end seven seconds
    on, as if the rest were silent; the engine times the words, hears speech after them and decodes on.
    Segments (and their words) stay in order and do not overlap."""
    sentence = clips.english["call"]
    recording = speech.concat_with_silence([sentence] * 6, tmp_path / "six.wav", gap_s=0.8)
    result = ct2_engine.transcribe_batch([AsrRequest(_audio(recording), "en", word_timestamps=True)])[0]
    assert speech.normalise(result.text) == " ".join([speech.normalise(speech.ENGLISH["call"])] * 6), result.text
    times = [(s.start, s.end) for s in result.segments]
    assert all(a[1] <= b[0] + 1e-3 for a, b in zip(times, times[1:])) and all(s <= e for s, e in times), times
    words = [w for s in result.segments for w in s.words]
    assert len(words) == 30 and all(a.start <= b.start for a, b in zip(words, words[1:]))


def test_decoding_never_goes_back_before_the_last_segment(ct2_engine, monkeypatch):
    """Where the window's last segment is stretched and speech follows it, decoding goes on from its last word's
    end, but only if that lies inside the segment: an alignment that puts it earlier (a short text aligned over a
    whole window lands anywhere) decoded the window's sentences twice; the segment's own end is used instead.
    Where the words run past the last timestamp, from their end (from the stamp, a sentence came out twice)."""
    from sunvai.asr.whisper_decoding import _Job

    engine = ct2_engine
    stamp = lambda seconds: engine.tokens.timestamp_begin + round(seconds / 0.02)  # noqa: E731
    text = engine.tokenizer.encode(" the bus was late", add_special_tokens=False).ids
    last = [stamp(20.0), *text, stamp(26.0)]  # four tokens over six seconds: stretched
    job = _Job(0, np.zeros(30 * 16000, dtype=np.float32), "en")
    monkeypatch.setattr(engine, "_speech_from", lambda *args: True)
    features = np.zeros((1, 80, 3000), dtype=np.float32)
    monkeypatch.setattr(engine, "_last_word_end", lambda *args: 2.0)  # aligned far before the segment
    assert engine._advance_after(job, 30 * 16000, last, features, 0.0, last) == 26 * 16000
    monkeypatch.setattr(engine, "_last_word_end", lambda *args: 22.5)  # inside it: go on from there
    assert engine._advance_after(job, 30 * 16000, last, features, 0.0, last) == int(22.5 * 16000)
    monkeypatch.setattr(engine, "_last_word_end", lambda *args: 28.5)  # the words run past the stamp
    assert engine._advance_after(job, 30 * 16000, last, features, 0.0, last) == int(28.5 * 16000)
