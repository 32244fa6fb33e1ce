"""Whisper on CTranslate2: the fast CPU/GPU backend (the engine faster-whisper wraps).

We call ``ctranslate2.models.Whisper`` directly rather than faster-whisper's
``transcribe`` so that windows of different requests share one batched
``generate`` call and features match the transformers engine exactly.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

import numpy as np

from sunvai.asr.solo_priority import SoloPriority
from sunvai.asr.whisper_decoding import Decoded, WhisperEngine, load_tokenizer
from sunvai.asr.word_timing import MEDIAN_FILTER_WIDTH

MAX_TOKENS = 448


class Ct2WhisperBackend:
    """CTranslate2's Whisper behind the calls :class:`WhisperEngine` makes.

    With ``parallel_requests`` > 1 (CPU), two copies of the weights: ``model`` with all
    ``cpu_threads`` for a call that runs alone, and ``shared`` with ``parallel_requests``
    workers of ``cpu_threads // parallel_requests`` threads for calls side by side. Each
    call picks when it starts, so one client gets every core and many clients do not
    oversubscribe them. ``solo_priority``: a call that runs alone does so under realtime
    scheduling (:mod:`asr.solo_priority`).
    """

    def __init__(self, model_dir: str, device: str = "cpu", compute_type: str = "default", cpu_threads: int = 0,
                 parallel_requests: int = 1, solo_priority: bool = False):
        import ctranslate2

        self._ct2 = ctranslate2
        ctranslate2.set_random_seed(0)  # sampled fallbacks repeat from one start of the process to the next
        self.model = ctranslate2.models.Whisper(
            str(model_dir), device=device, compute_type=compute_type, intra_threads=cpu_threads
        )
        self.shared = None
        if parallel_requests > 1:
            self.shared = ctranslate2.models.Whisper(
                str(model_dir), device=device, compute_type=compute_type, inter_threads=parallel_requests,
                intra_threads=max(1, cpu_threads // parallel_requests))
        self._running = 0
        self._lock = threading.Lock()
        self._solo = SoloPriority() if solo_priority else None
        self.n_mels = self.model.n_mels
        self.device = device

    @contextlib.contextmanager
    def _pick(self) -> Iterator:
        """The model for the call about to start: all threads if no other call is running."""
        if self.shared is None and self._solo is None:
            yield self.model
            return
        with self._lock:
            model = self.model if self._running == 0 or self.shared is None else self.shared
            self._running += 1
            self._solo_update()
        try:
            yield model
        finally:
            with self._lock:
                self._running -= 1
                self._solo_update()

    def _solo_update(self) -> None:
        if self._solo is not None:
            self._solo.update(self._running)

    def _run(self, method: str, *args, **kwargs):
        with self._pick() as model:
            return getattr(model, method)(*args, **kwargs)

    def encode(self, features: np.ndarray) -> np.ndarray | None:
        """The encoder's output [B, frames/2, d_model], which generate and align accept instead of features:
        with word timestamps the encoder then runs once per window, not twice. CPU only (None elsewhere)."""
        if self.device != "cpu":
            return None
        return np.array(self._run("encode", self._storage(features), to_cpu=True))

    def _storage(self, features: np.ndarray):
        return self._ct2.StorageView.from_array(np.ascontiguousarray(features, dtype=np.float32))

    def generate(self, features: np.ndarray, prompts: list[list[int]], max_new_tokens: int = MAX_TOKENS - 4,
                 repetition_penalty: float = 1.0, no_repeat_ngram_size: int = 0,
                 suppress_tokens: tuple[int, ...] = (), temperature: float = 0.0) -> list[Decoded]:
        sampling = {"sampling_topk": 0, "sampling_temperature": temperature} if temperature > 0 else {}
        results = self._run(
            "generate",
            self._storage(features),
            prompts,
            beam_size=1,
            max_length=min(MAX_TOKENS, max_new_tokens + max(len(p) for p in prompts)),
            suppress_blank=True,
            repetition_penalty=repetition_penalty,
            no_repeat_ngram_size=no_repeat_ngram_size,
            suppress_tokens=[-1, *suppress_tokens],  # -1: the model's own list
            return_scores=True,
            return_no_speech_prob=True,
            **sampling,
        )
        # The prompt is never part of sequences_ids for Whisper. The score is the sum of the tokens'
        # log-probabilities (end of text included) over their count: length_penalty 1.
        return [Decoded(list(r.sequences_ids[0]), avg_logprob=float(r.scores[0]),
                        no_speech_prob=float(r.no_speech_prob)) for r in results]

    def next_token_logprobs(self, features: np.ndarray, prompt: list[int], prefix: list[int]) -> np.ndarray:
        """Log-probabilities of the token after ``prompt + prefix`` (one window): the script lock's repair
        reads them to pick the most likely allowed token where decoding broke the lock."""
        sequence = [*prompt, *prefix]
        # CTranslate2 generates at most half the decoder positions it is given (as OpenAI's sample_len):
        # enough room for the prefix (returned as forced tokens) and one token more.
        max_length = min(MAX_TOKENS, 2 * (len(sequence) + 1))
        result = self._run("generate", self._storage(features), [sequence], beam_size=1, max_length=max_length,
                                     return_logits_vocab=True, suppress_blank=False, suppress_tokens=[-1])[0]
        steps = result.logits[0]
        return np.array(steps[min(len(prefix), len(steps) - 1)], dtype=np.float32)

    def align(self, features: np.ndarray, start_sequence: list[int], text_tokens: list[list[int]],
              num_frames: list[int]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """CTranslate2's implementation of OpenAI's alignment (see :mod:`asr.word_timing`), with each text
        token's probability."""
        results = self._run("align", self._storage(features), start_sequence, text_tokens, num_frames,
                                   median_filter_width=MEDIAN_FILTER_WIDTH)
        paths = []
        for result in results:
            pairs = np.array(result.alignments, dtype=np.int64).reshape(-1, 2)
            paths.append((pairs[:, 0], pairs[:, 1], np.array(result.text_token_probs, dtype=np.float64)))
        return paths

    def generate_nbest(self, features: np.ndarray, prompts: list[list[int]], count: int, max_new_tokens: int,
                       suppress_tokens: tuple[int, ...] = ()) -> list[list[list[int]]]:
        """Beam search of width ``count``; the ``count`` best hypotheses per window, best first."""
        results = self._run(
            "generate",
            self._storage(features), prompts, beam_size=count, num_hypotheses=count,
            max_length=min(MAX_TOKENS, max_new_tokens + max(len(p) for p in prompts)), suppress_blank=True,
            suppress_tokens=[-1, *suppress_tokens])
        return [[list(ids) for ids in r.sequences_ids] for r in results]

    def language_probs(self, features: np.ndarray) -> list[dict[str, float]]:
        return [dict(pairs) for pairs in self._run("detect_language", self._storage(features))]


def load_ct2_whisper(name: str, model_dir: str, device: str = "cpu", compute_type: str = "default",
                     cpu_threads: int = 0, fit_window: str = "never", script_lock: str = "strict",
                     fallback: str = "loops", parallel_requests: int = 1,
                     solo_priority: bool = False, timestamps: bool = True,
                     language_token: bool = True) -> WhisperEngine:
    backend = Ct2WhisperBackend(model_dir, device=device, compute_type=compute_type, cpu_threads=cpu_threads,
                                parallel_requests=parallel_requests, solo_priority=solo_priority)
    return WhisperEngine(name, backend, load_tokenizer(model_dir), n_mels=backend.n_mels, fit_window=fit_window,
                         script_lock=script_lock, fallback=fallback, timestamps=timestamps,
                         language_token=language_token)
