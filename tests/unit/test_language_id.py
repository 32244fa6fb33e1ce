"""Language identification: engines behind one protocol, candidate restriction, the text check."""

from __future__ import annotations

import numpy as np
import pytest

from sunvai.asr.errors import ModelUnavailableError
from sunvai.audio import decode_audio
from sunvai.language_router import RoutingPolicy
from sunvai.language_router.lid import rank_candidates
from sunvai.language_router.speechbrain_lid import SpeechBrainLanguageIdentifier, speechbrain_import_error
from sunvai.language_router.text_check import check_transcript, script_shares
from sunvai.language_router.whisper_lid import WhisperLanguageIdentifier

ALL_TEN = ["bn-IN", "en-IN", "gu-IN", "hi-IN", "kn-IN", "ml-IN", "mr-IN", "pa-IN", "ta-IN", "te-IN"]


@pytest.fixture(scope="module")
def whisper_lid(ct2_engine):
    return WhisperLanguageIdentifier(ct2_engine)


def _audio(path) -> np.ndarray:
    return decode_audio(path.read_bytes()).samples


def test_ranking_is_restricted_and_renormalised():
    result = rank_candidates({"hi": 0.3, "en": 0.1, "fr": 0.6}, ["en-IN", "hi-IN"])
    assert result.language == "hi-IN" and result.runner_up == "en-IN"
    assert result.ranking == {"hi-IN": 0.75, "en-IN": 0.25} and result.confidence == 0.75


def test_codes_sharing_a_language_share_its_probability():
    result = rank_candidates({"hi": 0.9, "en": 0.1}, ["en-hi-in-cm", "hi-IN", "en-IN"])
    assert list(result.ranking) == ["en-hi-in-cm", "en-IN"]


def test_english_speech_among_hindi_and_english(whisper_lid, clips):
    result = whisper_lid.identify_batch([_audio(clips.english["call"])], [["hi-IN", "en-IN"]])[0]
    assert result.language == "en-IN" and result.confidence > 0.9 and result.runner_up == "hi-IN"


def test_english_speech_among_all_ten(whisper_lid, clips):
    result = whisper_lid.identify_batch([_audio(clips.english["table"])], [ALL_TEN])[0]
    assert result.language == "en-IN" and set(result.ranking) == set(ALL_TEN)


def test_hindi_speech_among_hindi_and_english(whisper_lid, clips):
    result = whisper_lid.identify_batch([_audio(clips.hindi)], [["hi-IN", "en-IN"]])[0]
    assert result.language == "hi-IN"


def test_batch_of_different_candidate_lists(whisper_lid, clips):
    audios = [_audio(clips.english["call"]), _audio(clips.hindi)]
    results = whisper_lid.identify_batch(audios, [["en-IN", "ta-IN"], ["hi-IN", "en-IN"]])
    assert [r.language for r in results] == ["en-IN", "hi-IN"]
    assert set(results[0].ranking) == {"en-IN", "ta-IN"}


# --- the text check ----------------------------------------------------------------------

def test_script_shares():
    shares, letters = script_shares("नमस्ते market")
    assert letters == 12 and shares["Devanagari"] == pytest.approx(6 / 12)


@pytest.mark.parametrize("text, chosen, candidates, expected", [
    ("வணக்கம் நீங்கள் எப்படி இருக்கிறீர்கள்", "hi-IN", ["hi-IN", "ta-IN"], "ta-IN"),
    ("The quick brown fox jumps over the lazy dog", "hi-IN", ["hi-IN", "en-IN"], "en-IN"),
    ("नमस्ते आप कैसे हैं मैं बाज़ार जा रहा हूँ", "en-IN", ["hi-IN", "en-IN"], "hi-IN"),
    ("मी बाजारात जातोय आणि मला खूप आनंद झाला आहे", "hi-IN", ["hi-IN", "mr-IN"], "mr-IN"),
])
def test_clearly_another_candidate(text, chosen, candidates, expected):
    verdict = check_transcript(text, chosen, candidates)
    assert verdict.language == expected and verdict.reason


@pytest.mark.parametrize("text, chosen, candidates", [
    ("नमस्ते आप कैसे हैं मैं बाज़ार जा रहा हूँ", "hi-IN", ["hi-IN", "en-IN"]),  # agrees
    ("ok", "hi-IN", ["hi-IN", "en-IN"]),  # too short to overrule the audio
    ("मैं market जा रहा हूँ and then home", "hi-IN", ["hi-IN", "en-IN"]),  # mixed, no clear script
    ("میں بازار جا رہا ہوں اور پھر گھر", "hi-IN", ["hi-IN", "en-IN"]),  # no candidate writes Arabic script
    ("मैं बाज़ार जा रहा हूँ", "en-hi-in-cm", ["en-hi-in-cm", "en-IN"]),  # Hinglish writes Devanagari too
])
def test_no_reroute_without_a_clear_reason(text, chosen, candidates):
    assert check_transcript(text, chosen, candidates).language is None


# --- routing -------------------------------------------------------------------------------

def test_domain_routes_first_then_language_then_fallback():
    policy = RoutingPolicy({"hi-IN": "hindi"}, "multi", {"legal": {"hi-IN": "hindi-legal"}})
    assert policy.route("hi-IN", "LEGAL").model == "hindi-legal"
    assert policy.route("hi-IN", "news").model == "hindi"
    assert policy.route("hi-IN").model == "hindi"
    assert policy.route("ta-IN", "legal").model == "multi"


# --- SpeechBrain: optional ------------------------------------------------------------------

SPEECHBRAIN_REASON = speechbrain_import_error()


@pytest.mark.skipif(SPEECHBRAIN_REASON is None, reason="speechbrain imports on this machine")
def test_speechbrain_unavailable_is_a_clear_error():
    with pytest.raises(ModelUnavailableError, match="cannot run on this machine.*set lid.engine to 'whisper'"):
        SpeechBrainLanguageIdentifier("speechbrain/lang-id-voxlingua107-ecapa")


@pytest.mark.skipif(SPEECHBRAIN_REASON is not None,
                    reason=f"speechbrain cannot be imported here ({SPEECHBRAIN_REASON}); runs where it can, "
                           "e.g. a CUDA machine with a matching torchaudio")
def test_speechbrain_engine_round_trip(tmp_path, clips):
    """A tiny randomly initialised ECAPA classifier saved and loaded through the user's path."""
    import torch
    from speechbrain.lobes.models.ECAPA_TDNN import Classifier, ECAPA_TDNN

    labels = ["hi: Hindi", "en: English", "ta: Tamil"]
    (tmp_path / "hyperparams.yaml").write_text(f"""
n_mels: 60
compute_features: !new:speechbrain.lobes.features.Fbank
    n_mels: !ref <n_mels>
mean_var_norm: !new:speechbrain.processing.features.InputNormalization
    norm_type: sentence
    std_norm: False
embedding_model: !new:speechbrain.lobes.models.ECAPA_TDNN.ECAPA_TDNN
    input_size: !ref <n_mels>
    channels: [32, 32, 32, 32, 96]
    lin_neurons: 16
classifier: !new:speechbrain.lobes.models.ECAPA_TDNN.Classifier
    input_size: 16
    out_neurons: {len(labels)}
label_encoder: !new:speechbrain.dataio.encoder.CategoricalEncoder
modules:
    compute_features: !ref <compute_features>
    mean_var_norm: !ref <mean_var_norm>
    embedding_model: !ref <embedding_model>
    classifier: !ref <classifier>
pretrainer: !new:speechbrain.utils.parameter_transfer.Pretrainer
    loadables:
        embedding_model: !ref <embedding_model>
        classifier: !ref <classifier>
        label_encoder: !ref <label_encoder>
    paths:
        embedding_model: {tmp_path}/embedding_model.ckpt
        classifier: {tmp_path}/classifier.ckpt
        label_encoder: {tmp_path}/label_encoder.txt
""")
    torch.save(ECAPA_TDNN(60, channels=[32, 32, 32, 32, 96], lin_neurons=16).state_dict(),
               tmp_path / "embedding_model.ckpt")
    torch.save(Classifier(16, out_neurons=len(labels)).state_dict(), tmp_path / "classifier.ckpt")
    (tmp_path / "label_encoder.txt").write_text(
        "".join(f"'{label}' => {i}\n" for i, label in enumerate(labels)) + "================\n'starting_index' => 0\n")
    identifier = SpeechBrainLanguageIdentifier(str(tmp_path), savedir=str(tmp_path / "saved"))
    result = identifier.identify_batch([_audio(clips.english["call"])], [["hi-IN", "en-IN", "ta-IN"]])[0]
    assert set(result.ranking) == {"hi-IN", "en-IN", "ta-IN"}
    assert abs(sum(result.ranking.values()) - 1) < 1e-3


# --- identification by decoding (lid.method: decode) --------------------------------------------

def _by_decoding(engine, audio, *languages):
    from sunvai.asr.types import AsrRequest

    return engine.transcribe_batch([AsrRequest(audio, None, candidates=tuple((lang, "native") for lang in languages))])[0]


def test_decoding_picks_the_spoken_language_and_its_transcript(ct2_engine, clips):
    from tests import speech

    english = _by_decoding(ct2_engine, _audio(clips.english["call"]), "hi", "en")
    assert english.language == "en" and speech.normalise(english.text) == speech.normalise(speech.ENGLISH["call"])
    assert list(english.language_scores) == ["en", "hi"] and english.language_scores["en"] > 0.5
    hindi = _by_decoding(ct2_engine, _audio(clips.hindi), "en", "hi")
    assert hindi.language == "hi" and any(0x0900 <= ord(ch) <= 0x097F for ch in hindi.text), hindi.text


def test_decoding_shares_one_encoder_pass(ct2_engine, clips):
    """The candidates' decodings and the transcript come from one encoder pass (a 2 s clip: one window)."""
    calls = []
    encode = ct2_engine.backend.encode
    ct2_engine.backend.encode = lambda features: calls.append(features.shape) or encode(features)
    try:
        result = _by_decoding(ct2_engine, _audio(clips.english["hello"]), "hi", "ta", "en")
    finally:
        ct2_engine.backend.encode = encode
    assert result.language == "en" and len(calls) == 1


def test_the_service_identifies_by_decoding_without_a_lid_deployment(ct2_engine, clips):
    """lid.method decode needs no lid deployment when one Whisper model serves every candidate."""
    import asyncio

    from sunvai.service.args import AppArgs
    from sunvai.service.backend import InProcessAsrBackend
    from sunvai.service.transcription import TranscriptionOptions, TranscriptionService

    args = AppArgs.model_validate({"lid": {"method": "decode"}})
    service = TranscriptionService(args, InProcessAsrBackend({"whisper-base": ct2_engine}), lid=None)
    result = asyncio.run(service.transcribe_bytes(clips.english["table"].read_bytes(),
                                                  TranscriptionOptions("hi-IN,en-IN")))
    assert result.language_code == "en-IN" and result.language_runner_up == "hi-IN"
    assert set(result.language_candidates) == {"hi-IN", "en-IN"} and result.language_confidence > 0.5


def test_a_long_list_goes_to_the_detector(ct2_engine, clips):
    """More candidates than lid.decode_max_candidates: the detector picks (here none is configured: a clear 400)."""
    import asyncio

    from sunvai.service.args import AppArgs
    from sunvai.service.backend import InProcessAsrBackend
    from sunvai.errors import BadRequest
    from sunvai.service.transcription import TranscriptionOptions, TranscriptionService

    args = AppArgs.model_validate({"lid": {"method": "decode"}})
    service = TranscriptionService(args, InProcessAsrBackend({"whisper-base": ct2_engine}), lid=None)
    with pytest.raises(BadRequest, match="language identification is not configured"):
        asyncio.run(service.transcribe_bytes(clips.english["table"].read_bytes(),
                                             TranscriptionOptions("hi-IN,en-IN,ta-IN")))
