"""Vakyansh REST in-process with stand-in engines (labelled; not models): the options that change
the output, asserted exactly, and domain routing through the (language, domain) policy."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from sunvai.api.app import create_app
from sunvai.asr.standin import FixedTextEngine
from sunvai.service.args import AppArgs
from sunvai.service.backend import InProcessAsrBackend
from sunvai.service.transcription import TranscriptionService
from tests import speech

HINDI_AMOUNT = "मुझे पाँच हज़ार रुपये चाहिए"


@pytest.fixture(scope="module")
def client():
    args = AppArgs.model_validate({
        "models": [{"name": "general", "engine": "fixed-text", "stand_in": {"text": HINDI_AMOUNT}},
                   {"name": "legal", "engine": "fixed-text", "stand_in": {"text": "अदालत में सुनवाई कल होगी"}}],
        "fallback_model": "general",
        "domains": {"legal": {"hi-IN": "legal"}},
    })
    engines = {m.name: FixedTextEngine(m.name, m.stand_in.text) for m in args.models}
    with TestClient(create_app(TranscriptionService(args, InProcessAsrBackend(engines)))) as test_client:
        yield test_client


def recognize(client, clips, **config) -> str:
    audio = base64.b64encode(speech.pcm(clips.english["hello"])).decode()
    response = client.post("/v1/recognize/hi", json={"config": config, "audio": [{"audioContent": audio}]})
    assert response.status_code == 200, response.text
    return response.json()["output"][0]["source"]


@pytest.mark.parametrize("config, expected", [
    ({}, HINDI_AMOUNT),  # Vakyansh: no punctuation unless asked
    ({"punctuation": True}, HINDI_AMOUNT + "।"),
    ({"enableInverseTextNormalization": True}, "मुझे ₹5,000 चाहिए"),
    ({"punctuation": True, "enableInverseTextNormalization": True}, "मुझे ₹5,000 चाहिए।"),
    ({"domain": ["LEGAL"]}, "अदालत में सुनवाई कल होगी"),
    ({"domain": ["GENERAL", "LEGAL"]}, "अदालत में सुनवाई कल होगी"),
    ({"domain": ["NEWS"]}, HINDI_AMOUNT),  # no news model configured: the language's route
])
def test_options_change_the_output(client, clips, config, expected):
    assert recognize(client, clips, **config) == expected


def test_two_domains_are_refused(client, clips):
    audio = base64.b64encode(speech.pcm(clips.english["hello"])).decode()
    response = client.post("/v1/recognize/hi", json={"config": {"domain": ["LEGAL", "NEWS"]},
                                                     "audio": [{"audioContent": audio}]})
    assert response.status_code == 400 and "at most one domain" in response.json()["message"]
