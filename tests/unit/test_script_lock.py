"""The script lock on real speech: espeak-ng in the nine Indic languages, through both Whisper engines.

Every character of every transcript must be the language's own script, a digit, punctuation or
space (the default ``strict`` lock; Latin letters too with ``script+latin``). whisper-base
unlocked writes this Hindi in Urdu script and Tamil with Urdu letters mixed in.
"""

from __future__ import annotations

import pytest

from sunvai.asr.script_constraint import allowed_ranges, keeps_cluster, needs_base
from sunvai.asr.types import AsrRequest
from sunvai.audio import decode_audio
from tests import speech

SENTENCES = {
    "bn": ["আমি ভাত খাই।", "আজ আবহাওয়া খুব ভালো।"],
    "gu": ["હું બજાર જાઉં છું.", "આજે હવામાન ખૂબ સારું છે."],
    "hi": ["मैं बाज़ार जा रहा हूँ।", "मुझे पाँच हज़ार रुपये चाहिए।"],
    "kn": ["ನಾನು ಮಾರುಕಟ್ಟೆಗೆ ಹೋಗುತ್ತೇನೆ.", "ಇಂದು ಹವಾಮಾನ ತುಂಬಾ ಚೆನ್ನಾಗಿದೆ."],
    "ml": ["ഞാൻ ചന്തയിലേക്ക് പോകുന്നു.", "ഇന്ന് കാലാവസ്ഥ വളരെ നല്ലതാണ്."],
    "mr": ["मी उद्या सकाळी पुण्याला जाणार आहे.", "आज हवामान खूप छान आहे."],
    "pa": ["ਮੈਂ ਬਾਜ਼ਾਰ ਜਾ ਰਿਹਾ ਹਾਂ।", "ਅੱਜ ਮੌਸਮ ਬਹੁਤ ਵਧੀਆ ਹੈ।"],
    "ta": ["நான் சந்தைக்கு செல்கிறேன்.", "இன்று வானிலை மிகவும் நன்றாக உள்ளது."],
    "te": ["నేను రేపు హైదరాబాద్ వెళ్తున్నాను.", "ఈ రోజు వాతావరణం చాలా బాగుంది."],
}


@pytest.fixture(scope="module")
def indic_clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("indic")
    return {language: [decode_audio(speech.speak(text, language, folder / f"{language}{n}.wav").read_bytes()).samples
                       for n, text in enumerate(texts)]
            for language, texts in SENTENCES.items()}


def lone_marks(text: str) -> list[int]:
    """Where a combining mark or joiner stands without an Indic letter or mark before it."""
    return [at for at, ch in enumerate(text) if needs_base(ch) and not (at and keeps_cluster(text[at - 1]))]


def outside(text: str, language: str, mixed: bool = True) -> list[str]:
    ranges = allowed_ranges(language, mixed)
    return [ch for ch in text if not any(low <= ord(ch) <= high for low, high in ranges)]


@pytest.mark.parametrize("engine_name", ["ct2_engine", "hf_engine"])
def test_every_indic_transcript_stays_in_its_script(request, engine_name, indic_clips):
    engine = request.getfixturevalue(engine_name)
    requests = [AsrRequest(audio, language) for language, audios in indic_clips.items() for audio in audios]
    results = engine.transcribe_batch(requests)
    report = {}
    for asr_request, result in zip(requests, results):
        stray = outside(result.text, asr_request.language, mixed=False)
        if stray or not result.text.strip() or lone_marks(result.text):
            report[f"{asr_request.language}: {result.text!r}"] = stray
    assert not report, report


def test_script_plus_latin_allows_latin_letters_only(model_store, indic_clips):
    """script_lock: script+latin: the script, Latin letters, digits and punctuation; no other script."""
    from sunvai.asr.factory import ModelConfig, build_engine

    engine = build_engine(ModelConfig(name="w", engine="whisper-ct2", compute_type="int8", cpu_threads=2,
                                      script_lock="script+latin"), model_store)
    requests = [AsrRequest(audios[0], language) for language, audios in indic_clips.items()]
    results = engine.transcribe_batch(requests)
    stray = {r.language: (res.text, outside(res.text, r.language, mixed=True)) for r, res in zip(requests, results)
             if outside(res.text, r.language, mixed=True) or lone_marks(res.text)}
    assert not stray, stray


def test_hinglish_may_mix_latin_and_devanagari(ct2_engine, tmp_path):
    clip = speech.speak("मैं office जा रहा हूँ, meeting है।", "hi", tmp_path / "mixed.wav")
    audio = decode_audio(clip.read_bytes()).samples
    mixed = ct2_engine.transcribe_batch([AsrRequest(audio, "hi", writing="mixed")])[0].text
    assert mixed.strip() and not outside(mixed, "hi", mixed=True), mixed
    latin = ct2_engine.transcribe_batch([AsrRequest(audio, "hi", writing="latin")])[0].text
    assert latin.strip() and not outside(latin, "en"), latin


def test_prepare_languages_builds_the_locks_before_any_request(ct2_engine):
    """The ASR replica builds each routed language's lock at start (0.2-0.4 s each), not on its first request."""
    for key in (("gu", False), ("hi", True)):
        ct2_engine._constraints.pop(key, None)  # the session's engine may have built them already
    ct2_engine.prepare_languages([("gu", "native"), ("hi", "mixed")])
    for key in (("gu", False), ("hi", True)):
        assert ct2_engine._constraints[key]._never is not None, key  # the lock and its always-suppressed tokens
