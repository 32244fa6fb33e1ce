"""Code-mixed Hindi-English speech through /stt/v3 (app tier, whisper-base in-process): no transcript made of
marks. espeak-ng's Hindi voice reading a Hinglish sentence, resampled to 16 kHz by sox in several ways (the
outcome turned on sox's dither), once came back as a lone nukta, a zero-width joiner and a danda under hi-IN
and under en-hi-in-cm alike."""

from __future__ import annotations

import subprocess

import pytest
from fastapi.testclient import TestClient

from sunvai.api.app import create_app
from sunvai.service.args import AppArgs
from sunvai.service.backend import InProcessAsrBackend
from sunvai.service.transcription import TranscriptionService
from tests import speech
from tests.unit.test_script_lock import lone_marks, outside

SENTENCE = "मैं कल market जा रहा हूँ और meeting के बाद call करूँगा"
SOX = {"default": [], "no-dither": ["-D"], "shaped-dither": ["dither", "-s"], "dither-p12": ["dither", "-p", "12"]}


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    speech.require_tools()
    folder = tmp_path_factory.mktemp("code-mixed")
    raw = folder / "raw.wav"
    subprocess.run(["espeak-ng", "-v", "hi", "-w", str(raw), SENTENCE], check=True)
    out = {}
    for name, extra in SOX.items():
        target = folder / f"{name}.wav"
        global_options, effects = (extra, []) if extra[:1] == ["-D"] else ([], extra)
        subprocess.run(["sox", *global_options, str(raw), "-r", "16000", str(target), *effects], check=True)
        out[name] = target.read_bytes()
    return out


@pytest.fixture(scope="module")
def client(ct2_engine):
    with TestClient(create_app(TranscriptionService(AppArgs(), InProcessAsrBackend({"whisper-base": ct2_engine})))) as c:
        yield c


@pytest.mark.parametrize("language", ["hi-IN", "en-hi-in-cm"])
def test_no_transcript_made_of_marks(client, variants, language):
    report = {}
    for name, audio in variants.items():
        response = client.post("/stt/v3", files={"audio_file": (f"{name}.wav", audio)},
                               data={"language_code": language})
        assert response.status_code == 200, response.text
        text = response.json()["transcript"]
        if lone_marks(text) or not any(ch.isalpha() for ch in text) or outside(text, "hi", mixed=True):
            report[name] = text
    assert not report, report


def test_code_mixed_keeps_english_words_in_latin(client, variants):
    """Under en-hi-in-cm whisper-base writes at least one of the sentence's English words in Latin letters."""
    words = {"market", "meeting", "call"}
    heard = [client.post("/stt/v3", files={"audio_file": ("clip.wav", audio)},
                         data={"language_code": "en-hi-in-cm"}).json()["transcript"] for audio in variants.values()]
    assert any(words & {w.strip("।.,?").lower() for w in text.split()} for text in heard), heard
