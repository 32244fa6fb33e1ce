"""The IndicConformer engine on a tiny checkpoint in the release's layout (tests/indic_conformer_checkpoint.py).

Features against a scripted reference of NeMo's filterbank; greedy decoding against the
release's own algorithm written out here (``model_onnx.py``: the mask, a log-softmax over the
slice, argmax, repeats collapsed, the blank dropped, ``▁`` as a space); batches against single
requests; KenLM and hotwords on a designed matrix; and every broken checkpoint refused with the
file named.
"""

from __future__ import annotations

import json
import shutil
import unicodedata

import numpy as np
import pytest
import torch

from sunvai.asr.ctc_lm import CtcLmConfig
from sunvai.asr.errors import ModelUnavailableError
from sunvai.asr.factory import ModelConfig, build_engine
from sunvai.asr.indic_conformer import SECONDS_PER_FRAME
from sunvai.asr.nemo_features import batch_log_mel
from sunvai.asr.types import AsrRequest
from tests.indic_conformer_checkpoint import HEAD, LANGUAGES, SCRIPT_START, write_checkpoint
from tests.unit.test_ctc_lm import write_arpa

NINE = ("bn", "gu", "hi", "kn", "ml", "mr", "pa", "ta", "te")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    return write_checkpoint(tmp_path_factory.mktemp("indic") / "indic-conformer-600m-multilingual")


@pytest.fixture(scope="module")
def engine(checkpoint):
    return build_engine(ModelConfig(name="indic", engine="indic-conformer", source=str(checkpoint)))


def speechlike(seconds: float, seed: int) -> np.ndarray:
    """Noise bursts with pauses between them: frames the tiny model decodes to letters and to blanks."""
    rng = np.random.default_rng(seed)
    audio = np.zeros(int(seconds * 16000), np.float32)
    for start in range(0, len(audio), 8000):
        audio[start: start + 5000] = rng.normal(0, 0.2, len(audio[start: start + 5000]))
    return audio


def reference_text(checkpoint, audio: np.ndarray, language: str) -> str:
    """The release's CTC decode (model_onnx.py), on the release's own scripted preprocessor; <unk> dropped."""
    import onnxruntime

    pre = torch.jit.load(str(checkpoint / "assets" / "preprocessor.ts"))
    features, length = pre(input_signal=torch.from_numpy(audio)[None], length=torch.tensor([len(audio)]))
    encoder = onnxruntime.InferenceSession(str(checkpoint / "assets" / "encoder.onnx"))
    decoder = onnxruntime.InferenceSession(str(checkpoint / "assets" / "ctc_decoder.onnx"))
    encoded, _ = encoder.run(None, {"audio_signal": features.numpy(), "length": length.numpy()})
    logprobs = torch.from_numpy(decoder.run(None, {"encoder_output": encoded})[0])
    mask = json.loads((checkpoint / "assets" / "language_masks.json").read_text())[language]
    vocab = json.loads((checkpoint / "assets" / "vocab.json").read_text(encoding="utf-8"))[language]
    indices = torch.unique_consecutive(logprobs[:, :, mask].log_softmax(dim=-1)[0].argmax(dim=-1))
    text = "".join(vocab[i] for i in indices.tolist() if i != 256 and vocab[i] != "<unk>")
    return " ".join(text.replace("\u2581", " ").split())


def test_features_equal_the_scripted_preprocessor(checkpoint):
    pre = torch.jit.load(str(checkpoint / "assets" / "preprocessor.ts"))
    clips = [speechlike(2.3, 1), speechlike(0.7, 2), np.random.default_rng(3).normal(0, 0.05, 16001).astype(np.float32)]
    ours, frames = batch_log_mel(clips)
    for row, clip in enumerate(clips):
        expected, length = pre(input_signal=torch.from_numpy(clip)[None], length=torch.tensor([len(clip)]))
        assert int(frames[row]) == int(length[0]) == len(clip) // 160 + 1
        got = ours[row, :, : int(frames[row])]
        assert got.shape == expected[0].shape
        assert float((got - expected[0]).abs().max()) < 1e-4
        assert not ours[row, :, int(frames[row]):].any()  # past the clip: zeros


@pytest.mark.parametrize("language", ["hi", "ta", "bn"])
def test_greedy_text_equals_the_release_algorithm(checkpoint, engine, language):
    audio = speechlike(3.0, 11)
    result = engine.transcribe_batch([AsrRequest(audio, language)])[0]
    assert result.text and result.text == reference_text(checkpoint, audio, language)
    assert result.language == language and result.model == "indic"


def test_every_language_writes_its_own_script_only(engine):
    """Under each language's mask the text is its script's letters: the slices interleave, so a decoder
    that ignored the mask (or assumed contiguous slices) would mix scripts here."""
    audio = speechlike(2.0, 5)
    results = engine.transcribe_batch([AsrRequest(audio, code) for code in NINE])
    for code, result in zip(NINE, results):
        letters = [c for c in result.text if not c.isspace()]
        start = SCRIPT_START[code]
        assert letters, code
        assert all(start <= ord(c) < start + 128 for c in letters), (code, result.text)


def test_a_batch_gives_what_each_request_gives_alone(engine):
    requests = [AsrRequest(speechlike(seconds, seed), code)
                for seconds, seed, code in ((3.1, 1, "hi"), (1.2, 2, "te"), (4.0, 3, "ml"), (0.4, 4, "hi"))]
    together = engine.transcribe_batch(requests)
    alone = [engine.transcribe_batch([r])[0] for r in requests]
    assert [r.text for r in together] == [r.text for r in alone]
    assert [r.segments for r in together] == [r.segments for r in alone]


def test_word_times_come_from_ctc_frames(engine):
    audio = speechlike(3.0, 9)
    (result,) = engine.transcribe_batch([AsrRequest(audio, "hi", word_timestamps=True)])
    words = result.segments[0].words
    assert " ".join(w.text for w in words) == result.text
    starts = [w.start for w in words]
    assert starts == sorted(starts) and all(w.start < w.end <= 3.0 + SECONDS_PER_FRAME for w in words)
    for w in words:
        assert round(w.start / SECONDS_PER_FRAME, 6).is_integer() and round(w.end / SECONDS_PER_FRAME, 6).is_integer()


def test_silence_decodes_to_nothing(engine):
    (result,) = engine.transcribe_batch([AsrRequest(np.zeros(16000, np.float32), "hi")])
    assert result.text == "" and result.segments == ()


def designed(engine, language: str, spelled: list[tuple[str, float] | tuple[str, float, str, float]]) -> np.ndarray:
    """Full-width log-probabilities: one frame per item (token, p[, other, q]) and a blank frame after each,
    placed in the language's columns of the shared vocabulary."""
    piece = engine.files.slice(language)
    tokens = list(piece.tokens)
    rows = []
    for item in spelled:
        row = np.full(len(piece.columns), 1e-4)
        row[tokens.index(item[0])] = item[1]
        if len(item) == 4:
            row[tokens.index(item[2])] = item[3]
        blank = np.full(len(piece.columns), 1e-4)
        blank[-1] = 0.99
        rows += [row, blank]
    sliced = np.log(np.array(rows) / np.array(rows).sum(axis=1, keepdims=True))
    full = np.full((len(rows), HEAD), -30.0, np.float32)
    full[:, piece.columns] = sliced
    return full


def test_kenlm_and_hotwords_change_the_ctc_output(checkpoint, tmp_path):
    arpa = tmp_path / "hi.arpa"
    write_arpa(["कमल खिला", "कमल सुंदर", "लाल कमल", "कमल जल"] * 5, arpa)
    lm = {"hi": CtcLmConfig(path=str(arpa), alpha=0.5, beta=1.0, beam_width=16, hotword_weight=15.0)}
    engine = build_engine(ModelConfig(name="indic-lm", engine="indic-conformer", source=str(checkpoint), lm=lm))
    # ▁क म, then a frame slightly favouring र over ल: greedy reads कमर, the language model knows कमल
    matrix = designed(engine, "hi", [("\u2581क", 0.99), ("म", 0.99), ("र", 0.55, "ल", 0.44)])
    greedy = build_engine(ModelConfig(name="indic", engine="indic-conformer", source=str(checkpoint)))
    assert greedy._decode(matrix, "hi", AsrRequest(np.zeros(1), "hi")).text == "कमर"
    with_lm = engine._decode(matrix, "hi", AsrRequest(np.zeros(1), "hi"))
    assert with_lm.text == "कमल" and [w.text for w in with_lm.segments[0].words] == ["कमल"]
    assert engine._decode(matrix, "hi", AsrRequest(np.zeros(1), "hi", prompt="कमर")).text == "कमर"  # hotword
    assert engine._decode(designed(engine, "ta", [("\u2581அ", 0.99)]), "ta", AsrRequest(np.zeros(1), "ta")).text == "அ"


# --- broken checkpoints: refused when the engine loads, the file named ------------------------------------


def broken(checkpoint, tmp_path, name: str):
    copy = tmp_path / name
    shutil.copytree(checkpoint, copy)
    return copy


def load(path, **extra):
    engine = build_engine(ModelConfig(name="bad", engine="indic-conformer", source=str(path), **extra))
    engine.prepare_languages([("hi", "native"), ("ta", "native")])
    return engine


def test_a_missing_file_is_named(checkpoint, tmp_path):
    path = broken(checkpoint, tmp_path, "missing")
    (path / "assets" / "ctc_decoder.onnx").unlink()
    with pytest.raises(ModelUnavailableError, match=r"lacks assets/ctc_decoder.onnx: download the release again"):
        load(path)


def test_a_missing_external_weight_file_is_named(checkpoint, tmp_path):
    path = broken(checkpoint, tmp_path, "weights")
    (path / "assets" / "pre_encode.conv.weight").unlink()
    with pytest.raises(ModelUnavailableError, match=r"cannot load .*assets/encoder.onnx .*external weights"):
        load(path)


def test_a_truncated_onnx_file_is_named(checkpoint, tmp_path):
    path = broken(checkpoint, tmp_path, "truncated")
    graph = path / "assets" / "ctc_decoder.onnx"
    graph.write_bytes(graph.read_bytes()[: graph.stat().st_size // 2])
    with pytest.raises(ModelUnavailableError, match=r"cannot load .*assets/ctc_decoder.onnx"):
        load(path)


def test_a_wrong_head_width_is_refused(tmp_path):
    path = write_checkpoint(tmp_path / "narrow", head=HEAD - 22, languages=LANGUAGES[:-1], preprocessor=False)
    masks = json.loads((path / "assets" / "language_masks.json").read_text())
    # masks of the release's width over a decoder that is narrower
    (path / "assets" / "language_masks.json").write_text(json.dumps({c: m + [False] * 22 for c, m in masks.items()}))
    with pytest.raises(ModelUnavailableError, match=r"(selects|logprobs is 5611 wide)"):
        load(path)


def test_a_language_missing_from_the_vocabulary_is_refused_at_deploy(tmp_path):
    path = write_checkpoint(tmp_path / "no-tamil", languages=tuple(c for c in LANGUAGES if c != "ta"),
                            preprocessor=False)
    with pytest.raises(ModelUnavailableError, match=r"language 'ta' is not in this IndicConformer checkpoint"):
        load(path)


def test_masks_and_vocabulary_must_agree(checkpoint, tmp_path):
    path = broken(checkpoint, tmp_path, "disagree")
    vocab = json.loads((path / "assets" / "vocab.json").read_text(encoding="utf-8"))
    del vocab["hi"]
    (path / "assets" / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    with pytest.raises(ModelUnavailableError, match=r"vocab.json has no tokens for 'hi'"):
        load(path)


def test_the_config_keeps_english_and_hinglish_on_whisper(checkpoint):
    from sunvai.service.args import AppArgs

    models = [{"name": "whisper-base"}, {"name": "indic", "engine": "indic-conformer", "source": str(checkpoint)}]
    with pytest.raises(ValueError, match="Hinglish follows hi-IN unless listed"):
        AppArgs(models=models, languages={"hi-IN": "indic"})
    args = AppArgs(models=models, languages={"hi-IN": "indic", "en-hi-in-cm": "whisper-base",
                                             "en-hi-IN-latn": "whisper-base"})
    assert args.model("indic").window_s == 15.0 and args.model("whisper-base").window_s is None


def test_no_unassigned_letters_in_the_test_vocabulary():
    from tests.indic_conformer_checkpoint import vocabulary

    for code in NINE:
        assert all(unicodedata.category(c) == "Lo" for t in vocabulary(code)[1:-1] for c in t.lstrip("\u2581"))
