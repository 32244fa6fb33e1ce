"""Silence, white noise and music-like tones get an empty transcript and ``no_speech: true``, not invented text.

Two layers, each tested on its own: the service's VAD gate (service/no_speech.py) and, with the
gate switched off, the engines' per-window decision from Whisper's no-speech probability with the
loop and log-probability checks (asr/whisper_decoding.py), on both engines.
"""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from sunvai.api.app import create_app
from sunvai.asr.types import AsrRequest
from sunvai.audio import decode_audio
from sunvai.language_router.whisper_lid import WhisperLanguageIdentifier
from sunvai.service.args import AppArgs
from sunvai.service.backend import InProcessAsrBackend, InProcessLidBackend
from sunvai.service.no_speech import NoSpeechConfig, has_speech
from sunvai.service.transcription import TranscriptionService
from tests import speech

NON_SPEECH = ("silence", "white_noise", "white_noise_34", "tones")


@pytest.fixture(scope="module")
def sounds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("no_speech")
    return {"silence": speech.silence_wav(folder / "silence.wav", 4.0),
            "white_noise": speech.noise_wav(folder / "noise.wav"),
            # a draw that passed the gate before frames decided it (test_the_gate_hears_no_speech_in_noise...)
            "white_noise_34": speech.noise_wav(folder / "noise_34.wav", seed=34),
            "tones": speech.tones_wav(folder / "tones.wav")}


def samples(path) -> np.ndarray:
    return decode_audio(path.read_bytes()).samples


def make_client(engine, vad_gate: bool) -> TestClient:
    args = AppArgs(no_speech=NoSpeechConfig(vad_gate=vad_gate))
    service = TranscriptionService(args, InProcessAsrBackend({"whisper-base": engine}),
                                   lid=InProcessLidBackend(WhisperLanguageIdentifier(engine)))
    return TestClient(create_app(service))


@pytest.fixture(scope="module")
def client(ct2_engine):
    with make_client(ct2_engine, vad_gate=True) as test_client:
        yield test_client


@pytest.mark.parametrize("sound", NON_SPEECH)
@pytest.mark.parametrize("language_code", ["hi-IN", "en-IN", "hi-IN,en-IN,ta-IN"])
def test_no_speech_is_an_empty_transcript_with_a_flag(client, sounds, sound, language_code):
    response = client.post("/stt/v3", files={"audio_file": ("a.wav", sounds[sound].read_bytes())},
                           data={"language_code": language_code})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["transcript"] == "" and body["no_speech"] is True and body["segments"] == []
    assert body["language_code"] in language_code.split(",")


def test_speech_is_not_flagged(client, clips):
    response = client.post("/stt/v3", files={"audio_file": ("a.wav", clips.hindi.read_bytes())},
                           data={"language_code": "hi-IN"})
    body = response.json()
    assert response.status_code == 200 and body["transcript"] and body["no_speech"] is False


def test_openai_verbose_json_says_no_speech(client, sounds):
    response = client.post("/v1/audio/transcriptions", files={"file": ("a.wav", sounds["white_noise"].read_bytes())},
                           data={"model": "whisper-1", "response_format": "verbose_json"})
    assert response.status_code == 200, response.text
    assert response.json()["text"] == "" and response.json()["no_speech"] is True


def test_the_gate_tells_speech_from_non_speech(sounds, clips):
    config = NoSpeechConfig()
    assert not any(has_speech(samples(sounds[name]), config) for name in NON_SPEECH)
    assert has_speech(samples(clips.hindi), config) and has_speech(samples(clips.english["call"]), config)


@pytest.mark.parametrize("engine_name", ["ct2_engine", "hf_engine"])
@pytest.mark.parametrize("sound", ["white_noise", "tones"])
def test_engines_judge_noise_silent_without_the_gate(request, sounds, engine_name, sound):
    """Noise and tones are loud enough to pass the engines' -55 dBFS floor; Whisper's no-speech
    probability (with a loop or a low log-probability) is what empties them. Without that decision
    whisper-base wrote 'अगगगग...' for the noise and 'अपज़ लग़ लग़...' for the tones in Hindi."""
    engine = request.getfixturevalue(engine_name)
    audio = samples(sounds[sound])
    results = engine.transcribe_batch([AsrRequest(audio, "hi"), AsrRequest(audio, "en")])
    assert [r.text for r in results] == ["", ""]


def test_no_speech_without_the_gate_through_the_app(ct2_engine, sounds):
    with make_client(ct2_engine, vad_gate=False) as test_client:
        response = test_client.post("/stt/v3", files={"audio_file": ("a.wav", sounds["tones"].read_bytes())},
                                    data={"language_code": "hi-IN"})
    assert response.status_code == 200 and response.json()["no_speech"] is True


def test_the_gate_runs_beside_asr_and_drops_its_call(sounds, clips):
    """The gate no longer holds up ASR: the ASR call starts at once, and without speech the answer comes without
    waiting for it (it is cancelled). A stand-in ASR backend that answers only when told, so the test can see
    the order; the gate is the real Silero VAD."""
    import asyncio

    from sunvai.asr.types import AsrResult
    from sunvai.service.transcription import TranscriptionOptions

    class HeldAsr:
        def __init__(self):
            self.calls, self.cancelled = 0, 0
            self.answer, self.asked = asyncio.Event(), asyncio.Event()

        async def transcribe(self, model, request):
            self.calls += 1
            self.asked.set()
            try:
                await self.answer.wait()
            except asyncio.CancelledError:
                self.cancelled += 1
                raise
            return AsrResult(text="hello", language=request.language)

        async def readiness(self):
            return {"whisper-base": True}

    async def scenario():
        asr = HeldAsr()
        service = TranscriptionService(AppArgs(), asr)
        silent = await asyncio.wait_for(service.transcribe_samples(samples(sounds["silence"]),
                                                           TranscriptionOptions(language_code="en-IN")), 10)
        assert silent.no_speech and silent.transcript == ""
        await asyncio.sleep(0)  # let the cancellation reach the held call
        assert (asr.calls, asr.cancelled) == (1, 1)
        asr.asked.clear()
        spoken = asyncio.ensure_future(service.transcribe_samples(samples(clips.english["hello"]),
                                                          TranscriptionOptions(language_code="en-IN")))
        await asyncio.wait_for(asr.asked.wait(), 10)  # asked while the gate may still be listening
        asr.answer.set()
        result = await asyncio.wait_for(spoken, 10)
        assert result.transcript.lower().startswith("hello") and not result.no_speech

    asyncio.run(scenario())


@pytest.mark.parametrize("colour", ["white", "pink", "brown"])
def test_the_gate_hears_no_speech_in_noise_of_any_draw(tmp_path, colour):
    """Seeds 34 and 48 of white noise at 0.3 once passed: one frame at 0.53 opened a Silero region that ran
    to the clip's end. Eighteen draws per colour at three loudnesses, those two seeds among them."""
    for amplitude in (0.05, 0.3, 0.8):
        for seed in (*range(16), 34, 48):
            noise = speech.noise_wav(tmp_path / "noise.wav", amplitude=amplitude, seed=seed, colour=colour)
            assert not has_speech(samples(noise), NoSpeechConfig()), (colour, amplitude, seed)


SHORT_WORDS = {"hi": "हाँ", "en": "yes", "ta": "ஆம்", "bn": "হ্যাঁ", "te": "అవును", "mr": "हो", "gu": "હા",
               "kn": "ಹೌದು", "ml": "അതെ", "pa": "ਹਾਂ"}


@pytest.mark.parametrize("language", sorted(SHORT_WORDS))
def test_the_gate_hears_one_short_word_even_under_noise_or_music(tmp_path, language):
    """The other side of the noise and music tests: one syllable ("yes" in each language, about half a second),
    alone, under white noise as loud as the word, and under a band as loud as its spoken part, is speech."""
    spoken = samples(speech.speak(SHORT_WORDS[language], language, tmp_path / "word.wav"))
    word = np.concatenate([np.zeros(8000, np.float32), spoken, np.zeros(8000, np.float32)])
    loud_noise = np.random.default_rng(0).standard_normal(len(word)).astype(np.float32) * np.sqrt(np.mean(word ** 2))
    music = speech.band(len(word) / 16000, seed=len(language))[:len(word)]
    music *= np.sqrt(np.mean(spoken[np.abs(spoken) > 1e-4] ** 2) / np.mean(music ** 2))  # 0 dB
    assert has_speech(word, NoSpeechConfig())
    assert has_speech(word + loud_noise, NoSpeechConfig())
    assert has_speech(word + music, NoSpeechConfig())


def test_the_gate_hears_no_speech_in_music():
    """A band without a voice (chords, bass, melody, drums) in twelve draws, at half and full scale."""
    for seed in range(12):
        for gain in (0.5, 1.0):
            assert not has_speech(speech.band(5.0, seed) * gain, NoSpeechConfig()), (seed, gain)
