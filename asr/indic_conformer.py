"""AI4Bharat's IndicConformer (600M multilingual, CTC head) on onnxruntime: CPU, or CUDA where installed.

One pass per batch: our NeMo features (asr/nemo_features.py), the encoder and the CTC decoder
over the padded batch, then each request decoded under its own language's mask (without the mask
the output mixes scripts): greedy, or beam search with a KenLM model and hotwords
(asr/ctc_lm.py) where ``lm`` names one for the language. Word times come from the CTC frames
(80 ms each). Windows are at most 15 s: the service sends longer audio through the long-form
path (longer windows drop words).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from sunvai.asr.ctc_lm import CtcLmConfig, LmDecoder, hotwords_from_prompt
from sunvai.asr.errors import ModelUnavailableError
from sunvai.asr.indic_conformer_files import (
    BLANK, DECODER_INPUT, DECODER_OUTPUT, ENCODER_INPUTS, IndicConformerFiles, check_sessions, load_session,
    read_checkpoint,
)
from sunvai.asr.nemo_features import HOP, SAMPLE_RATE, batch_log_mel
from sunvai.asr.types import AsrRequest, AsrResult, Segment, Word, frame_confidence, mean_confidence

log = logging.getLogger(__name__)

SUBSAMPLING = 8  # encoder frames per output frame
SECONDS_PER_FRAME = HOP * SUBSAMPLING / SAMPLE_RATE  # 0.08
WORD_START = "\u2581"  # SentencePiece's word-start mark
UNKNOWN = "<unk>"


@dataclass(frozen=True)
class Emission:
    """One token the greedy path emitted, at an output frame."""

    token: str
    frame: int
    probability: float = 1.0  # the token's posterior at that frame


def greedy_tokens(log_probs: np.ndarray, tokens: tuple[str, ...]) -> list[Emission]:
    """Greedy CTC over one utterance's [frames, 257] log-probabilities (blank last): argmax per frame,
    repeats collapsed, blanks dropped."""
    best = log_probs.argmax(-1)
    emitted, previous = [], -1
    for frame, index in enumerate(best.tolist()):
        if index != previous and index != BLANK:
            emitted.append(Emission(tokens[index], frame, float(np.exp(log_probs[frame, index]))))
        previous = index
    return emitted


def words_from_emissions(emitted: list[Emission]) -> list[Word]:
    """Join SentencePiece pieces into words (``<unk>`` dropped); a word spans its first piece's frame to one past
    its last."""
    words: list[tuple[str, int, int, list[float]]] = []
    for piece in emitted:
        text = piece.token
        if text == UNKNOWN:  # not speech the vocabulary can write
            continue
        if text.startswith(WORD_START) or not words:
            text = text.lstrip(WORD_START)
            if text:
                words.append((text, piece.frame, piece.frame + 1, [piece.probability]))
            continue
        word, start, _, probs = words[-1]
        words[-1] = (word + text, start, piece.frame + 1, probs + [piece.probability])
    return [Word(start=round(start * SECONDS_PER_FRAME, 3), end=round(end * SECONDS_PER_FRAME, 3), text=text,
                 probability=round(sum(probs) / len(probs), 4))
            for text, start, end, probs in words if text.strip()]


def providers_for(device: str) -> list[str]:
    """onnxruntime providers for ``device``: cpu, or cuda / cuda:N (onnxruntime-gpu must be installed)."""
    import onnxruntime

    if device == "cpu":
        return ["CPUExecutionProvider"]
    if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
        raise ModelUnavailableError(
            f"device {device!r} needs onnxruntime's CUDA provider, which this onnxruntime lacks (it has "
            f"{', '.join(onnxruntime.get_available_providers())}): pip install onnxruntime-gpu")
    index = int(device.split(":", 1)[1]) if ":" in device else 0
    return [("CUDAExecutionProvider", {"device_id": index}), "CPUExecutionProvider"]


class IndicConformerEngine:
    """The engine protocol (asr/types.py) over an IndicConformer checkpoint directory."""

    def __init__(self, name: str, model_dir: str, device: str = "cpu", cpu_threads: int = 0,
                 lm: dict[str, CtcLmConfig] | None = None, default_language: str | None = None):
        self.name = name
        self.files: IndicConformerFiles = read_checkpoint(model_dir)
        providers = providers_for(device)
        self.encoder = load_session(self.files.encoder, providers, cpu_threads)
        self.decoder = load_session(self.files.ctc_decoder, providers, cpu_threads)
        check_sessions(self.files, self.encoder, self.decoder)
        self.default_language = default_language
        if default_language is not None:
            self.files.slice(default_language)
        self.lm: dict[str, LmDecoder] = {}
        for code, config in (lm or {}).items():
            tokens = self.files.slice(code).tokens
            self.lm[code] = LmDecoder([*tokens, ""], config)
        log.info("IndicConformer %s: %d languages, providers %s", name, len(self.files.languages),
                 self.encoder.get_providers())

    def prepare_languages(self, languages: list[tuple[str, str]]) -> None:
        """Every language routed here must be in the checkpoint: refuse at deploy, never at a request."""
        for code, _ in languages:
            self.files.slice(code)

    def log_probs(self, clips: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The decoder's full-width log-probabilities [B, T', head] and each clip's frame count [B]."""
        features, lengths = batch_log_mel(clips)
        encoded, encoded_lengths = self.encoder.run(
            None, {ENCODER_INPUTS[0]: features.numpy(), ENCODER_INPUTS[1]: lengths.numpy()})
        (log_probs,) = self.decoder.run([DECODER_OUTPUT], {DECODER_INPUT: encoded})
        return log_probs, np.asarray(encoded_lengths).reshape(-1)

    def transcribe_batch(self, requests: list[AsrRequest]) -> list[AsrResult]:
        languages = [self._language(r) for r in requests]
        log_probs, lengths = self.log_probs([r.audio for r in requests])
        return [self._decode(rows[: int(frames)], language, request)
                for rows, frames, language, request in zip(log_probs, lengths, languages, requests)]

    def _language(self, request: AsrRequest) -> str:
        language = request.language or self.default_language
        if language is None:
            raise ValueError(f"{self.name} (IndicConformer) transcribes one named language per request; "
                             "this request names none")
        self.files.slice(language)
        return language

    def _decode(self, full_width: np.ndarray, language: str, request: AsrRequest) -> AsrResult:
        piece = self.files.slice(language)
        sliced = full_width[:, piece.columns]
        sliced = sliced - np.logaddexp.reduce(sliced, axis=-1, keepdims=True)  # log-softmax over the slice
        if language in self.lm:
            text, decoded = self.lm[language].decode(sliced, hotwords_from_prompt(request.prompt))
            best = np.exp(sliced.max(-1))
            words = [Word(start=round(w.start_frame * SECONDS_PER_FRAME, 3),
                          end=round(w.end_frame * SECONDS_PER_FRAME, 3), text=w.text,
                          probability=frame_confidence(best, w.start_frame, w.end_frame)) for w in decoded]
        else:
            words = words_from_emissions(greedy_tokens(sliced, piece.tokens))
            text = " ".join(w.text for w in words)
        segments = (Segment(start=words[0].start, end=words[-1].end, text=text, words=tuple(words),
                            confidence=mean_confidence(words)),) if words else ()
        return AsrResult(text=text, language=language, segments=segments, model=self.name)
