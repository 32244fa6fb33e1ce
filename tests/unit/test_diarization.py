"""Diarization engine on a synthesised two-voice conversation (espeak-ng), no Ray."""

from __future__ import annotations

import numpy as np
import pytest

from sunvai.asr.types import Segment, Word
from sunvai.audio import decode_audio
from sunvai.diarization.types import SpeakerTurn
from sunvai.service.batch_worker import label_speakers
from sunvai.service.longform import LongformConfig, speech_regions
from tests import speech
from tests.diarization_scoring import speaker_error_rate


@pytest.fixture(scope="module")
def diarizer():
    from sunvai.diarization.resemblyzer_engine import ResemblyzerDiarizer

    return ResemblyzerDiarizer()


@pytest.fixture(scope="module")
def conversation(tmp_path_factory):
    path = tmp_path_factory.mktemp("diarization") / "conversation.wav"
    turns = speech.conversation(path)
    samples = decode_audio(path.read_bytes()).samples
    regions = [(a / 16000, b / 16000) for a, b, _ in speech_regions(samples, LongformConfig())]
    return samples, regions, turns


@pytest.mark.parametrize("max_speakers", [2, None], ids=["given", "not-given"])
def test_two_voices_are_told_apart(diarizer, conversation, max_speakers):
    samples, regions, truth = conversation
    turns = diarizer.diarize(samples, regions, max_speakers)
    assert len({t.speaker for t in turns}) == 2
    assert speaker_error_rate(truth, [(t.start, t.end, t.speaker) for t in turns]) <= 0.05


def test_a_ceiling_of_one_speaker(diarizer, conversation):
    samples, regions, _ = conversation
    assert {t.speaker for t in diarizer.diarize(samples, regions, 1)} == {0}


def test_silence_has_no_turns(diarizer):
    assert diarizer.diarize(np.zeros(16000 * 3, np.float32), [], None) == []


def test_mels_match_librosas_formula(diarizer):
    """Power mel spectrogram of centred, zero-padded 25 ms frames (librosa.feature.melspectrogram's defaults)."""
    audio = np.random.default_rng(0).normal(size=16000).astype(np.float32)
    mels = diarizer.encoder.mels(audio)
    padded = np.pad(audio, 200)
    frame = padded[160 * 10:160 * 10 + 400] * diarizer.encoder.window
    expected = diarizer.encoder.filters @ (np.abs(np.fft.rfft(frame)) ** 2)
    assert mels.shape == (101, 40) and np.allclose(mels[10], expected, rtol=1e-4)


def test_words_take_the_speaker_of_their_time_and_segments_split_where_it_changes():
    turns = [SpeakerTurn(0.0, 2.0, 0), SpeakerTurn(2.5, 5.0, 1)]
    words = (Word(0.2, 0.6, "yes"), Word(0.7, 1.5, "please."), Word(2.6, 3.0, "thank"), Word(3.1, 3.5, "you"))
    segments = label_speakers((Segment(0.2, 3.5, "yes please. thank you", words),), turns)
    assert [(s.text, s.speaker) for s in segments] == [("yes please.", 0), ("thank you", 1)]
    assert [w.speaker for s in segments for w in s.words] == [0, 0, 1, 1]
