"""CTC beam search with a KenLM n-gram language model and hotwords, through pyctcdecode.

Vakyansh served its wav2vec2 models this way: the acoustic model's frame log-probabilities,
a word n-gram model (ARPA or KenLM binary), and words to boost for a deployment or a request
(names, product terms). Plain Python; the engine (asr/ctc.py) calls it per utterance.
Install with ``pip install 'sunvai[lm]'`` (pyctcdecode, and kenlm, built from source).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class CtcLmConfig(BaseModel):
    """``models[].lm`` for a CTC model."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(description="the n-gram model: an ARPA file or a KenLM binary")
    alpha: float = Field(0.5, ge=0, description="weight of the language model's score")
    beta: float = Field(1.5, description="bonus per word (counters the LM's preference for short transcripts)")
    beam_width: int = Field(64, ge=1, le=1024)
    hotwords: list[str] = Field(default_factory=list, description="words boosted in every request")
    hotword_weight: float = Field(10.0, ge=0, description="score added for each hotword match")


@dataclass(frozen=True)
class DecodedWord:
    text: str
    start_frame: int
    end_frame: int


class LmDecoder:
    """Beam search over one utterance's [frames, vocabulary] log-probabilities."""

    def __init__(self, labels: list[str], config: CtcLmConfig):
        try:
            from pyctcdecode import build_ctcdecoder
        except ImportError as exc:  # kenlm is imported by pyctcdecode when a model path is given
            raise RuntimeError("a CTC language model needs pyctcdecode and kenlm: pip install 'sunvai[lm]'") from exc
        if not Path(config.path).is_file():
            raise FileNotFoundError(f"language model not found: {config.path} (an ARPA file or a KenLM binary)")
        try:
            import kenlm  # noqa: F401  (pyctcdecode would silently decode without the LM)
        except ImportError as exc:
            raise RuntimeError("kenlm is not installed: pip install 'sunvai[lm]' (builds it from source)") from exc
        self.config = config
        self._decoder = build_ctcdecoder(labels, kenlm_model_path=str(config.path), alpha=config.alpha,
                                         beta=config.beta)

    def decode(self, log_probs: np.ndarray, hotwords: list[str] | tuple[str, ...] = ()) -> tuple[str, list[DecodedWord]]:
        """The best transcript and its words with frame spans; ``hotwords`` add to the configured ones."""
        words = [*self.config.hotwords, *(w for w in hotwords if w.strip())]
        beams = self._decoder.decode_beams(np.asarray(log_probs, dtype=np.float32), beam_width=self.config.beam_width,
                                           hotwords=words or None, hotword_weight=self.config.hotword_weight)
        text, _, frames, *_ = beams[0]
        return text.strip(), [DecodedWord(word, start, end) for word, (start, end) in frames]


def labels_from_vocabulary(vocabulary: dict[str, int], blank: str, word_delimiter: str = "|") -> list[str]:
    """pyctcdecode's labels in id order: the blank (CTC's pad) as "", the word delimiter as a space."""
    labels = [token for token, _ in sorted(vocabulary.items(), key=lambda item: item[1])]
    return ["" if t == blank else " " if t == word_delimiter else t for t in labels]


def hotwords_from_prompt(prompt: str | None) -> list[str]:
    """A request's hint words (batch bias words, the prompt) as hotwords: comma-separated phrases."""
    return [part.strip(" .") for part in (prompt or "").split(",") if part.strip(" .")]
