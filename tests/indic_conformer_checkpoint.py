"""A tiny IndicConformer checkpoint in the release's exact layout, names and head width.

``assets/encoder.onnx`` (weights in external files beside it, one per tensor, as the release
stores them): ``audio_signal`` [B, 80, T] and ``length`` -> ``outputs`` [B, 1024, ceil(T/8)] and
``encoded_lengths``; ``assets/ctc_decoder.onnx``: ``encoder_output`` -> ``logprobs`` [B, T', 5633]
(log-softmax over the full width); ``assets/vocab.json`` and ``assets/language_masks.json`` for the
release's 22 codes, each language's 256 columns spread through the vocabulary (not contiguous, so
code that assumes an order fails) plus the shared blank last; ``assets/preprocessor.ts``: NeMo's
filterbank written here independently (explicit framing, librosa's mel filters) and scripted.

The weights are random with a fixed seed, except that the blank column gets a bias that makes
pauses decode to nothing; a clip's tokens are whatever the random projection picks, always in
its language's script under the mask.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

LANGUAGES = ("as", "bn", "brx", "doi", "gu", "hi", "kn", "kok", "ks", "mai", "ml", "mni", "mr", "ne", "or", "pa",
             "sa", "sat", "sd", "ta", "te", "ur")
# The first code point of each language's script block (Unicode); 128 code points each
SCRIPT_START = {"as": 0x0980, "bn": 0x0980, "brx": 0x0900, "doi": 0x0900, "gu": 0x0A80, "hi": 0x0900, "kn": 0x0C80,
                "kok": 0x0900, "ks": 0x0600, "mai": 0x0900, "ml": 0x0D00, "mni": 0x0980, "mr": 0x0900, "ne": 0x0900,
                "or": 0x0B00, "pa": 0x0A00, "sa": 0x0900, "sat": 0x1C50, "sd": 0x0600, "ta": 0x0B80, "te": 0x0C00,
                "ur": 0x0600}
PER_LANGUAGE = 256
HEAD = len(LANGUAGES) * PER_LANGUAGE + 1  # 5633
CHANNELS = 1024


def letters(code: str) -> list[str]:
    """Assigned letters of the language's script block (a base letter per token keeps the text readable)."""
    import unicodedata

    start = SCRIPT_START[code]
    return [chr(c) for c in range(start, start + 128) if unicodedata.category(chr(c)) == "Lo"]


def vocabulary(code: str) -> list[str]:
    """257 tokens: <unk>, word-start and inner pieces of the script's letters (then of letter pairs), blank last."""
    base = letters(code)
    pieces = [*("\u2581" + a for a in base), *base]
    pieces += [p for a in base for b in base for p in ("\u2581" + a + b, a + b)]
    return ["<unk>", *pieces[: PER_LANGUAGE - 1], "|"]


def columns(index: int) -> list[int]:
    """Language ``index``'s columns: every 22nd, so slices interleave; the blank is the last column."""
    return [index + len(LANGUAGES) * k for k in range(PER_LANGUAGE)] + [HEAD - 1]


def write_checkpoint(root: Path, *, seed: int = 7, head: int = HEAD, languages: tuple[str, ...] = LANGUAGES,
                     preprocessor: bool = True) -> Path:
    """Build the checkpoint under ``root``; ``head`` and ``languages`` make broken variants for the tests."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    assets = root / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)

    conv = (rng.standard_normal((CHANNELS, 80, 8)) * 0.05).astype(np.float32)
    encoder = helper.make_graph(
        [helper.make_node("Conv", ["audio_signal", "pre_encode.conv.weight"], ["outputs"], strides=[8],
                          pads=[0, 7], kernel_shape=[8]),
         helper.make_node("Add", ["length", "seven"], ["padded_length"]),
         helper.make_node("Div", ["padded_length", "eight"], ["encoded_lengths"])],
        "encoder",
        [helper.make_tensor_value_info("audio_signal", TensorProto.FLOAT, ["B", 80, "T"]),
         helper.make_tensor_value_info("length", TensorProto.INT64, ["B"])],
        [helper.make_tensor_value_info("outputs", TensorProto.FLOAT, ["B", CHANNELS, "T_out"]),
         helper.make_tensor_value_info("encoded_lengths", TensorProto.INT64, ["B"])],
        [numpy_helper.from_array(conv, "pre_encode.conv.weight"),
         numpy_helper.from_array(np.array(7, np.int64), "seven"),
         numpy_helper.from_array(np.array(8, np.int64), "eight")])
    encoder_model = helper.make_model(encoder, opset_imports=[helper.make_opsetid("", 17)])
    onnx.save_model(encoder_model, str(assets / "encoder.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=False, size_threshold=1024)

    weight = (rng.standard_normal((CHANNELS, head)) * 0.05).astype(np.float32)
    bias = np.zeros(head, np.float32)
    bias[-1] = 2.0  # the blank: quiet frames decode to nothing
    decoder = helper.make_graph(
        [helper.make_node("Transpose", ["encoder_output"], ["frames"], perm=[0, 2, 1]),
         helper.make_node("MatMul", ["frames", "ctc.weight"], ["projected"]),
         helper.make_node("Add", ["projected", "ctc.bias"], ["logits"]),
         helper.make_node("LogSoftmax", ["logits"], ["logprobs"], axis=-1)],
        "ctc_decoder",
        [helper.make_tensor_value_info("encoder_output", TensorProto.FLOAT, ["B", CHANNELS, "T"])],
        [helper.make_tensor_value_info("logprobs", TensorProto.FLOAT, ["B", "T", head])],
        [numpy_helper.from_array(weight, "ctc.weight"), numpy_helper.from_array(bias, "ctc.bias")])
    onnx.save_model(helper.make_model(decoder, opset_imports=[helper.make_opsetid("", 17)]),
                    str(assets / "ctc_decoder.onnx"))

    vocab, masks = {}, {}
    for index, code in enumerate(LANGUAGES):
        if code not in languages:
            continue
        vocab[code] = vocabulary(code)
        mask = [False] * head
        for column in columns(index):
            if column < head:
                mask[column] = True
        masks[code] = mask
    (assets / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    (assets / "language_masks.json").write_text(json.dumps(masks), encoding="utf-8")
    (root / "config.json").write_text(json.dumps({"BLANK_ID": 256, "RNNT_MAX_SYMBOLS": 10, "SOS": 256}))
    if preprocessor:
        scripted_preprocessor().save(str(assets / "preprocessor.ts"))
    return root


def scripted_preprocessor():
    """NeMo's AudioToMelSpectrogramPreprocessor as the release scripts it: forward(input_signal [B, N],
    length [B]) -> (features [B, 80, T], frames [B]). Written from NeMo's description, not from
    sunvai's code: frames cut by hand (reflect padding, unfold), an rfft, librosa's mel filters."""
    import librosa
    import torch

    class Preprocessor(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("mel", torch.from_numpy(
                librosa.filters.mel(sr=16000, n_fft=512, n_mels=80, fmin=0.0, fmax=8000.0, norm="slaney",
                                    htk=False).astype(np.float32)))
            window = torch.hann_window(400, periodic=False, dtype=torch.float64)
            self.register_buffer("window", torch.nn.functional.pad(window, (56, 56)).to(torch.float32))

        def forward(self, input_signal: torch.Tensor, length: torch.Tensor):
            outputs = []
            frames = length // 160 + 1
            width = int(frames.max())
            for row in range(input_signal.shape[0]):
                n = int(length[row])
                x = input_signal[row, :n]
                x = torch.cat([x[:1], x[1:] - 0.97 * x[:-1]])
                x = torch.nn.functional.pad(x[None, None, :], (256, 256), mode="reflect")[0, 0]
                framed = x.unfold(0, 512, 160) * self.window
                power = torch.fft.rfft(framed.to(torch.float64), n=512).abs() ** 2
                mel = torch.log(self.mel.to(torch.float64) @ power.T + 2.0 ** -24)
                mean = mel.mean(dim=1, keepdim=True)
                std = torch.sqrt(((mel - mean) ** 2).sum(dim=1, keepdim=True) / (mel.shape[1] - 1))
                normed = ((mel - mean) / (std + 1e-5)).to(torch.float32)
                outputs.append(torch.nn.functional.pad(normed, (0, width - normed.shape[1])))
            return torch.stack(outputs), frames

    return torch.jit.script(Preprocessor())
