"""CTC with a KenLM n-gram model and hotwords (asr/ctc_lm.py), as Vakyansh decoded its wav2vec2 models.

The language model is a real ARPA file built here from known text and loaded by the real
kenlm through pyctcdecode. The acoustic side is a hand-made log-probability matrix where the
greedy path spells one word and the language model prefers another, so the LM's effect is
exact; the engine test runs a small randomly initialised wav2vec2 checkpoint (no CTC weights
are reachable here) through ModelConfig -> build_engine with the LM configured.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest

from sunvai.asr.ctc_lm import CtcLmConfig, LmDecoder, hotwords_from_prompt, labels_from_vocabulary
from sunvai.asr.factory import ModelConfig, build_engine
from sunvai.asr.types import AsrRequest
from tests.unit.test_ctc_engine import VOCAB, ctc_checkpoint  # noqa: F401  (the fixture)

KNOWN_TEXT = ["कमल खिला", "कमल सुंदर", "लाल कमल", "कमल जल", "जल कमल खिला"] * 5


def write_arpa(sentences: list[str], path) -> None:
    """A bigram ARPA model: add-one unigrams, bigrams at 0.9 of their MLE, backoff 0.1 (log10)."""
    unigrams, bigrams = Counter(), Counter()
    for sentence in sentences:
        words = ["<s>", *sentence.split(), "</s>"]
        unigrams.update(words)
        bigrams.update(zip(words, words[1:]))
    total, vocab = sum(unigrams.values()), len(unigrams) + 1
    lines = ["\\data\\", f"ngram 1={vocab}", f"ngram 2={len(bigrams)}", "", "\\1-grams:",
             f"{math.log10(1 / (total + vocab)):.4f}\t<unk>\t0"]
    for word, count in unigrams.items():
        prob = -99 if word == "<s>" else math.log10((count + 1) / (total + vocab))
        lines.append(f"{prob:.4f}\t{word}\t{math.log10(0.1):.4f}")
    lines += ["", "\\2-grams:"]
    for (first, second), count in bigrams.items():
        lines.append(f"{math.log10(0.9 * count / unigrams[first]):.4f}\t{first} {second}")
    lines += ["", "\\end\\", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def arpa(tmp_path_factory):
    path = tmp_path_factory.mktemp("lm") / "known.arpa"
    write_arpa(KNOWN_TEXT, path)
    return path


LABELS = labels_from_vocabulary({t: i for i, t in enumerate(VOCAB)}, blank="<pad>")


def frames(*letters: tuple[str, ...] | str) -> np.ndarray:
    """Log-probabilities: one frame per item, a blank frame after each; an item may be (letter, p, other, q)."""
    rows = []
    for item in letters:
        row = np.full(len(VOCAB), 1e-4)
        if isinstance(item, tuple):
            row[VOCAB.index(item[0])], row[VOCAB.index(item[2])] = item[1], item[3]
        else:
            row[VOCAB.index(item)] = 0.99
        rows += [row, np.eye(len(VOCAB))[0] * 0.99 + 1e-4]
    matrix = np.array(rows)
    return np.log(matrix / matrix.sum(axis=1, keepdims=True))


# क म then a frame slightly favouring र over ल: greedy reads कमर, the language model knows कमल.
AMBIGUOUS = frames("क", "म", ("र", 0.55, "ल", 0.44))


def greedy(log_probs: np.ndarray) -> str:
    best = log_probs.argmax(-1)
    text, previous = [], None
    for index in best:
        if index != previous and index != 0:
            text.append(" " if VOCAB[index] == "|" else VOCAB[index])
        previous = index
    return "".join(text).strip()


def test_the_language_model_picks_the_known_word(arpa):
    assert greedy(AMBIGUOUS) == "कमर"
    decoder = LmDecoder(LABELS, CtcLmConfig(path=str(arpa), alpha=0.5, beta=1.0))
    text, words = decoder.decode(AMBIGUOUS)
    assert text == "कमल"
    assert [(w.text, w.start_frame <= w.end_frame <= len(AMBIGUOUS)) for w in words] == [("कमल", True)]


def test_hotwords_from_config_and_from_the_request(arpa):
    per_request = LmDecoder(LABELS, CtcLmConfig(path=str(arpa), hotword_weight=15.0))
    assert per_request.decode(AMBIGUOUS)[0] == "कमल"
    assert per_request.decode(AMBIGUOUS, hotwords=["कमर"])[0] == "कमर"
    configured = LmDecoder(LABELS, CtcLmConfig(path=str(arpa), hotwords=["कमर"], hotword_weight=15.0))
    assert configured.decode(AMBIGUOUS)[0] == "कमर"
    assert hotwords_from_prompt("कमर, नया शब्द.") == ["कमर", "नया शब्द"]


def test_the_engine_decodes_with_the_language_model(ctc_checkpoint, arpa):  # noqa: F811
    folder, _ = ctc_checkpoint
    config = ModelConfig(name="tiny-ctc-lm", engine="ctc", source=str(folder), language="hi",
                         lm={"path": str(arpa), "beam_width": 16})
    engine = build_engine(config)
    audio = np.random.default_rng(2).normal(0, 0.1, 16000).astype(np.float32)
    result = engine.transcribe_batch([AsrRequest(audio, "hi")])[0]
    # The same log-probabilities through the decoder directly: the engine adds nothing of its own.
    inputs = engine.processor(audio, sampling_rate=16000, return_tensors="pt")
    import torch

    with torch.no_grad():
        log_probs = engine.model(inputs.input_values).logits.log_softmax(-1)[0].numpy()
    assert result.text == engine.lm.decode(log_probs)[0]
    for segment in result.segments:
        assert all(0 <= w.start <= w.end <= 1.01 for w in segment.words)


def test_bad_lm_settings_fail_clearly(ctc_checkpoint, tmp_path):  # noqa: F811
    with pytest.raises(ValueError, match="only with engines ctc and indic-conformer"):
        ModelConfig(name="w", engine="whisper-ct2", lm={"path": "x.arpa"})
    folder, _ = ctc_checkpoint
    with pytest.raises(FileNotFoundError, match="language model not found"):
        build_engine(ModelConfig(name="c", engine="ctc", source=str(folder), language="hi",
                                 lm={"path": str(tmp_path / "missing.arpa")}))
