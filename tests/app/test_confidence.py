"""Confidence on every surface that returns segments or words, from whisper-base in-process: the probability of
each word (its tokens' mean in the alignment pass) and of each segment, lower where noise covers the speech."""

from __future__ import annotations

import base64
import json

import numpy as np
import openai
import pytest

from tests import speech
from tests.app.test_streaming import run_stream

SAID = "Please call me tomorrow morning about the ticket. I will be waiting at the railway station near the bridge."
NOISE_SNR_DB = -8


@pytest.fixture(scope="module")
def noisy(tmp_path_factory) -> tuple[bytes, float]:
    """The sentence with white noise over its second half (at NOISE_SNR_DB): (16 kHz WAV, where noise starts)."""
    folder = tmp_path_factory.mktemp("conf")
    path, noise_from = speech.noise_over_second_half(speech.speak(SAID, "en", folder / "said.wav"),
                                                     folder / "noisy.wav", NOISE_SNR_DB)
    return path.read_bytes(), noise_from


def test_words_under_noise_are_less_certain(whisper_client, noisy):
    data, noise_from = noisy
    body = whisper_client.post("/stt/v3", files={"audio_file": ("n.wav", data)},
                       data={"language_code": "en-IN", "word_timestamps": "true"}).json()
    words = [w for s in body["segments"] for w in s["words"]]
    assert words and all(0 < w["probability"] <= 1 for w in words)
    clean = [w["probability"] for w in words if w["end"] <= noise_from]
    covered = [w["probability"] for w in words if w["start"] >= noise_from]
    assert clean and covered and np.mean(covered) < np.mean(clean) - 0.1, (clean, covered)
    assert all(0 < s["confidence"] <= 1 for s in body["segments"]) and 0 < body["confidence"] <= 1


def test_confidence_on_every_surface(whisper_client, clips, noisy):
    data = clips.english["call"].read_bytes()
    plain = whisper_client.post("/stt/v3", files={"audio_file": ("c.wav", data)},
                                data={"language_code": "en-IN"}).json()
    assert "confidence" not in plain and "confidence" not in plain["segments"][0]  # not asked: no alignment pass
    asked = whisper_client.post("/stt/v3", files={"audio_file": ("c.wav", data)},
                        data={"language_code": "en-IN", "confidence": "true"}).json()
    assert 0.5 < asked["segments"][0]["confidence"] <= 1 and "words" not in asked["segments"][0]

    sdk = openai.OpenAI(api_key="none", base_url=f"{whisper_client.base_url}/v1", http_client=whisper_client,
                        max_retries=0)
    verbose = sdk.audio.transcriptions.create(model="whisper-1", file=("c.wav", data), language="en",
                                              response_format="verbose_json", timestamp_granularities=["word",
                                                                                                        "segment"])
    assert all(0 < w.probability <= 1 for w in verbose.words) and 0 < verbose.segments[0].confidence <= 1

    pcm = base64.b64encode(speech.pcm(clips.english["call"])).decode()
    detailed = whisper_client.post("/v1/recognize/en", json={"config": {"detailed": True},
                                                             "audio": [{"audioContent": pcm}]})
    source = json.loads(detailed.json()["output"][0]["source"])
    assert 0 < source["segments"][0]["confidence"] <= 1
    assert all(0 < w["confidence"] <= 1 for w in source["segments"][0]["words"])

    stream = speech.two_utterances_pcm(clips.english["hello"], clips.english["call"], 16000)
    finals = [m for m in run_stream(whisper_client, stream, {"x-confidence": "true"}) if m["type"] == "transcript"]
    assert len(finals) == 2 and all(0 < m["confidence"] <= 1 for m in finals)
    unasked = [m for m in run_stream(whisper_client, stream, {}) if m["type"] == "transcript"]
    assert len(unasked) == 2 and all("confidence" not in m for m in unasked)
