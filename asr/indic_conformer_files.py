"""AI4Bharat's IndicConformer 600M multilingual release, read from its files and checked before serving.

The Hugging Face repository ``ai4bharat/indic-conformer-600m-multilingual`` holds, under ``assets/``:

- ``encoder.onnx`` with its weights in external files beside it: inputs ``audio_signal`` [B, 80, T]
  and ``length`` [B]; outputs ``outputs`` [B, 1024, T/8] and ``encoded_lengths`` [B];
- ``ctc_decoder.onnx``: ``encoder_output`` [B, 1024, T'] -> ``logprobs`` [B, T', 5633], one
  vocabulary shared by 22 languages (22 x 256 tokens and one blank, the last column);
- ``vocab.json``: per language code, its tokens in column order (``<unk>`` first; index 256 is the
  blank);
- ``language_masks.json``: per language code, 5633 booleans selecting its 256 columns and the blank;
- ``preprocessor.ts``: NeMo's feature extractor, scripted (``sunvai models verify`` compares ours to it);
- RNNT files (``rnnt_decoder.onnx``, ``joint_*.onnx``), which CTC decoding does not need.

The release's own loader (``model_onnx.py``, ``from_pretrained``) always downloads; this reads a
local directory and says which file is wrong and how to fix it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sunvai.asr.errors import ModelUnavailableError

ENCODER = "assets/encoder.onnx"
CTC_DECODER = "assets/ctc_decoder.onnx"
VOCAB = "assets/vocab.json"
MASKS = "assets/language_masks.json"
PREPROCESSOR = "assets/preprocessor.ts"
REQUIRED = (ENCODER, CTC_DECODER, VOCAB, MASKS)
ENCODER_INPUTS = ("audio_signal", "length")
ENCODER_OUTPUTS = ("outputs", "encoded_lengths")
DECODER_INPUT, DECODER_OUTPUT = "encoder_output", "logprobs"
FEATURES = 80
BLANK = 256  # the blank's index within a language's slice (config.json BLANK_ID)
FIX = "download the release again (sunvai models pull ai4bharat/indic-conformer-600m-multilingual) " \
      "or copy the directory from a machine that has it (sunvai models import PATH)"


def is_indic_conformer(path: Path) -> bool:
    return (path / ENCODER).is_file() or (path / MASKS).is_file()


@dataclass(frozen=True)
class LanguageSlice:
    """One language's columns of the shared vocabulary, and its tokens in that order (blank last)."""

    columns: np.ndarray  # int64 indices into the decoder's output, ascending; the blank's is last
    tokens: tuple[str, ...]  # len(columns) - 1 tokens; the slice's last column is the blank


@dataclass(frozen=True)
class IndicConformerFiles:
    root: Path
    head_width: int  # the decoder's output width (5633 in the release)
    languages: dict[str, LanguageSlice]

    @property
    def encoder(self) -> Path:
        return self.root / ENCODER

    @property
    def ctc_decoder(self) -> Path:
        return self.root / CTC_DECODER

    @property
    def preprocessor(self) -> Path | None:
        path = self.root / PREPROCESSOR
        return path if path.is_file() else None

    def slice(self, language: str) -> LanguageSlice:
        if language not in self.languages:
            raise ModelUnavailableError(
                f"{self.root / VOCAB}: language {language!r} is not in this IndicConformer checkpoint (it has "
                f"{', '.join(sorted(self.languages))}); route {language} to another model")
        return self.languages[language]


def read_checkpoint(root: str | Path) -> IndicConformerFiles:
    """Read and cross-check the vocabulary and masks; the ONNX graphs are checked when they load."""
    root = Path(root)
    missing = [name for name in REQUIRED if not (root / name).is_file()]
    if missing:
        raise ModelUnavailableError(f"IndicConformer checkpoint {root} lacks {', '.join(missing)}: {FIX}")
    vocab = _json(root / VOCAB)
    masks = _json(root / MASKS)
    if not isinstance(vocab, dict) or not isinstance(masks, dict) or not masks:
        raise ModelUnavailableError(f"{root / VOCAB} and {root / MASKS} must each map language codes to lists: {FIX}")
    widths = {len(m) for m in masks.values() if isinstance(m, list)}
    if len(widths) != 1:
        raise ModelUnavailableError(f"{root / MASKS}: masks of different widths {sorted(widths)}: {FIX}")
    head_width = widths.pop()
    languages = {}
    for code, mask in masks.items():
        columns = np.flatnonzero(np.asarray(mask, dtype=bool))
        if code not in vocab:
            raise ModelUnavailableError(f"{root / VOCAB} has no tokens for {code!r}, which {root / MASKS} lists: {FIX}")
        tokens = vocab[code]
        if len(columns) != BLANK + 1 or columns[-1] != head_width - 1:
            raise ModelUnavailableError(
                f"{root / MASKS}: the mask of {code!r} selects {len(columns)} columns ending at {columns[-1:]}; "
                f"expected {BLANK + 1} ending at the shared blank {head_width - 1}: {FIX}")
        if len(tokens) not in (BLANK, BLANK + 1) or not all(isinstance(t, str) for t in tokens):
            raise ModelUnavailableError(
                f"{root / VOCAB}: {code!r} has {len(tokens)} tokens; expected {BLANK + 1} strings "
                f"(index {BLANK} the blank): {FIX}")
        languages[code] = LanguageSlice(columns=columns.astype(np.int64), tokens=tuple(tokens[:BLANK]))
    return IndicConformerFiles(root=root, head_width=head_width, languages=languages)


def check_sessions(files: IndicConformerFiles, encoder, decoder) -> None:
    """The loaded ONNX sessions have the release's input and output names and widths."""
    _names(files.encoder, [i.name for i in encoder.get_inputs()], ENCODER_INPUTS, "inputs")
    _names(files.encoder, [o.name for o in encoder.get_outputs()], ENCODER_OUTPUTS, "outputs")
    _names(files.ctc_decoder, [i.name for i in decoder.get_inputs()], (DECODER_INPUT,), "inputs")
    _names(files.ctc_decoder, [o.name for o in decoder.get_outputs()], (DECODER_OUTPUT,), "outputs")
    features = encoder.get_inputs()[0].shape[1]
    if isinstance(features, int) and features != FEATURES:
        raise ModelUnavailableError(f"{files.encoder}: audio_signal takes {features} features; the release "
                                    f"takes {FEATURES} mel bands: {FIX}")
    width = decoder.get_outputs()[0].shape[-1]
    if isinstance(width, int) and width != files.head_width:
        raise ModelUnavailableError(
            f"{files.ctc_decoder}: logprobs is {width} wide but {files.root / MASKS} masks {files.head_width} "
            f"columns: the decoder and the masks come from different releases: {FIX}")
    channels = encoder.get_outputs()[0].shape[1]
    expected = decoder.get_inputs()[0].shape[1]
    if isinstance(channels, int) and isinstance(expected, int) and channels != expected:
        raise ModelUnavailableError(f"{files.encoder} outputs {channels} channels; {files.ctc_decoder} takes "
                                    f"{expected}: {FIX}")


def load_session(path: Path, providers: list[str], threads: int):
    """An onnxruntime session; a truncated or missing graph (or external weight file) names the file."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        return onnxruntime.InferenceSession(str(path), sess_options=options, providers=providers)
    except Exception as exc:  # onnxruntime raises its own Fail / InvalidProtobuf / NoSuchFile types
        detail = str(exc).strip().splitlines()[0][:300]
        raise ModelUnavailableError(f"cannot load {path} ({detail}); the file or its external weights beside it "
                                    f"are missing or truncated: {FIX}") from exc


def _names(path: Path, found: list[str], expected: tuple[str, ...], what: str) -> None:
    if tuple(found) != expected:
        raise ModelUnavailableError(f"{path}: {what} are {found}; the IndicConformer release has "
                                    f"{list(expected)}: {FIX}")


def _json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(f"{path} is not readable JSON ({exc}): {FIX}") from exc
