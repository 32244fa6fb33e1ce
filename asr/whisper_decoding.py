"""One Whisper decoding algorithm shared by every Whisper compute backend.

Both the transformers and the CTranslate2 engines compute the same log-mel
features, cut audio into the same 30 s windows, and parse timestamp tokens the
same way; they differ only in the backend that runs the network
(:class:`WhisperBackend`). So the two engines give the same tokens for the same
audio, and every window of every request in a batch goes through one forward
pass.

Long audio follows OpenAI's sequential algorithm: decode a window with
timestamps; if its last segment is cut off, resume at that segment's start,
otherwise move on by a whole window.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from sunvai.asr.script_constraint import SCRIPT_BLOCKS, ScriptConstraint, allowed_ranges, token_bytes
from sunvai.asr.script_lock import RepairBudget, cut_at_break, enforce
from sunvai.asr.types import SAMPLE_RATE, AsrRequest, AsrResult, Segment, TokenLogprob
from sunvai.audio.speech_check import has_speech
from sunvai.asr.word_timing import attach_words, words_from_path

log = logging.getLogger(__name__)

N_FRAMES = 3000  # mel frames in a 30 s window
HOP = 160  # samples per mel frame
TIME_PRECISION = 0.02  # seconds per timestamp token
WINDOW_SAMPLES = N_FRAMES * HOP
SILENCE_PEAK = 10 ** (-55 / 20)  # below -55 dBFS peak a clip holds no speech
MAX_NEW_TOKENS = 444  # the decoder's 448 positions less the prompt
DECODER_POSITIONS = 448
MAX_PROMPT_TOKENS = 223  # of an initial prompt, the last this many (OpenAI's n_text_ctx // 2 - 1)
TASKS = ("transcribe", "translate")
TOKENS_PER_SECOND = 30  # generous: Indic scripts take many byte-level tokens per word
MIN_NEW_TOKENS = 64
LOOP_COMPRESSION_RATIO = 2.4  # OpenAI's threshold: text this repetitive is a decoding loop
MAX_SPOKEN_CHARS_PER_S = 25  # characters a second no speaker reaches (espeak-ng at 200 words a minute: ~17)
LOGPROB_THRESHOLD = -1.0  # OpenAI's: a window below this average log-probability is decoded again
NO_SPEECH_THRESHOLD = 0.6  # OpenAI's: no-speech probability above this, with a low log-probability: silence
RETRY_REPETITION_PENALTY = 1.3
RETRY_NO_REPEAT_NGRAM = 4
FALLBACK_TEMPERATURES = (0.2, 0.4, 0.6, 0.8, 1.0)  # OpenAI's schedule after the greedy pass
SPEECH_AFTER_MARGIN_S = 0.3  # after the last timestamp, audio this far on may still be the last word's tail
MIN_SPEECH_AFTER_S = 0.5  # less audio than this after it is not decoded again
MIN_EARLY_STOP_S = 1.0  # decoding goes on after a window's last words only from at least this far into it
STRETCHED_S_PER_TOKEN = 0.6  # a segment this many seconds a text token may have stopped early (speech: ~0.3)
FALLBACK_TIME_FACTOR = 3.0  # the fallback may take this many times the first pass's time, no more


@dataclass(frozen=True)
class Decoded:
    """One window's generated tokens with the scores the fallback and the no-speech decision read."""

    tokens: list[int]
    avg_logprob: float = 0.0  # mean log-probability of the generated tokens (end of text included)
    no_speech_prob: float = 0.0  # probability of <|nospeech|> right after <|startoftranscript|>


class WhisperBackend(Protocol):
    """What a compute backend does: run the network on batches of feature windows."""

    def generate(self, features: np.ndarray, prompts: list[list[int]], max_new_tokens: int = 444,
                 repetition_penalty: float = 1.0, no_repeat_ngram_size: int = 0,
                 suppress_tokens: tuple[int, ...] = (), temperature: float = 0.0) -> list[Decoded]:
        """Decode each [80, frames] window after its prompt; return the new tokens with their scores.

        A prompt is ``[<|startofprev|>, *previous text]`` (optional), then ``<|startoftranscript|>``,
        the language and the task; every prompt of one call has the same previous text and task.
        Greedy at temperature 0, sampled above. ``suppress_tokens`` are suppressed on top of the
        model's own list."""
        ...

    def align(self, features: np.ndarray, start_sequence: list[int], text_tokens: list[list[int]],
              num_frames: list[int]) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """OpenAI's cross-attention alignment of each window's text: (token, frame) index path, and each text
        token's probability in that forced pass.

        ``start_sequence`` is ``[sot, language, task]``; the path has one token row for
        ``<|notimestamps|>`` and one for each text token (see :mod:`asr.word_timing`)."""
        ...

    def language_probs(self, features: np.ndarray) -> list[dict[str, float]]:
        """Probability of each language token ("<|hi|>") for each window."""
        ...

    def generate_nbest(self, features: np.ndarray, prompts: list[list[int]], count: int, max_new_tokens: int,
                       suppress_tokens: tuple[int, ...] = ()) -> list[list[list[int]]]:
        """Beam search: the ``count`` best token sequences for each window, best first."""
        ...


@dataclass(frozen=True)
class SpecialTokens:
    eot: int
    sot: int
    transcribe: int
    translate: int
    sot_prev: int
    no_timestamps: int
    timestamp_begin: int
    languages: dict[str, int]  # "hi" -> id of "<|hi|>"

    @classmethod
    def from_tokenizer(cls, tokenizer) -> SpecialTokens:
        """Read the ids off a ``tokenizers.Tokenizer``."""
        ids = {t.content: i for i, t in tokenizer.get_added_tokens_decoder().items()}
        no_ts = ids["<|notimestamps|>"]
        languages = {
            token[2:-2]: token_id
            for token, token_id in ids.items()
            if token_id > ids["<|startoftranscript|>"]
            and token_id < ids["<|translate|>"]
            and token.startswith("<|")
        }
        return cls(
            eot=ids["<|endoftext|>"],
            sot=ids["<|startoftranscript|>"],
            transcribe=ids["<|transcribe|>"],
            translate=ids["<|translate|>"],
            sot_prev=ids["<|startofprev|>"],
            no_timestamps=no_ts,
            timestamp_begin=no_ts + 1,
            languages=languages,
        )


def load_tokenizer(model_dir: str | Path):
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))


class FeatureExtractor:
    """Whisper log-mel features, computed the same way for every backend."""

    def __init__(self, n_mels: int = 80):
        from transformers import WhisperFeatureExtractor

        self._extract = WhisperFeatureExtractor(feature_size=n_mels, sampling_rate=SAMPLE_RATE)

    def __call__(self, windows: list[np.ndarray]) -> np.ndarray:
        """[B, n_mels, 3000] float32 for B audio windows of at most 30 s each."""
        return self._extract(windows, sampling_rate=SAMPLE_RATE, return_tensors="np").input_features.astype(
            np.float32, copy=False
        )


FIT_MARGIN_FRAMES = 100  # 1 s of padding after the audio, so the model still sees the end
FIT_MIN_FRAMES = 500
FIT_STEP_FRAMES = 100


def fit_encoder_window(features: np.ndarray, longest_samples: int) -> np.ndarray:
    """Cut padded 30 s features down to the audio plus 1 s, in whole seconds (at least 5 s).

    Whisper was trained on 30 s windows; a shorter one is outside its training, so this is
    an option (``fit_encoder_window``), measured in docs/benchmarks.md: on whole utterances
    cut by VAD it gave the same text for a third to a quarter of the encoder time; on clips
    cut mid-word it changed the text in a third of the cases, and on a 15 s clip it looped.
    Only backends that accept any window length (CTranslate2) can use it.
    """
    needed = longest_samples // HOP + FIT_MARGIN_FRAMES
    frames = min(N_FRAMES, max(FIT_MIN_FRAMES, -(-needed // FIT_STEP_FRAMES) * FIT_STEP_FRAMES))
    return np.ascontiguousarray(features[:, :, :frames])


@dataclass
class _Job:
    """Decoding state for one request across its windows."""

    index: int
    audio: np.ndarray
    language: str | None
    vad_segment: bool = False
    task: str = "transcribe"
    previous: tuple[int, ...] = ()  # ``[<|startofprev|>, *prompt tokens]`` or empty
    temperature: float = 0.0
    word_timestamps: bool = False
    logprobs: bool = False
    confidence: bool = False
    writing: str = "native"
    candidates: tuple[tuple[str, str], ...] = ()  # (language, writing) to identify among by decoding
    language_scores: dict[str, float] = field(default_factory=dict)
    seek: int = 0  # in samples
    segments: list[Segment] = field(default_factory=list)
    window_tokens: list[list[int]] = field(default_factory=list)  # text tokens of this window's segments

    @property
    def done(self) -> bool:
        # Less than one mel frame left is nothing to decode.
        return self.seek >= len(self.audio) - HOP


class WhisperEngine:
    """An :class:`asr.types.AsrEngine` for Whisper over a given compute backend."""

    def __init__(self, name: str, backend: WhisperBackend, tokenizer, n_mels: int = 80,
                 fit_window: str = "never", script_lock: str | bool = "strict", fallback: str = "loops",
                 timestamps: bool = True, language_token: bool = True):
        """``timestamps``: the model predicts timestamp tokens (most fine-tunes do not: then it decodes after
        ``<|notimestamps|>``, a window is one segment, and words are timed by alignment). ``language_token``:
        the model was trained with a language token after ``<|startoftranscript|>`` (IndicWhisper's Odia was
        not)."""
        self.timestamps = timestamps
        self.language_token = language_token
        self.name = name
        self.backend = backend
        self.tokenizer = tokenizer
        self.tokens = SpecialTokens.from_tokenizer(tokenizer)
        self.features = FeatureExtractor(n_mels)
        if fit_window not in ("never", "vad_segments", "always"):
            raise ValueError(f"fit_window must be never, vad_segments or always, not {fit_window!r}")
        self.fit_window = fit_window
        self.script_lock = {True: "strict", False: "off"}.get(script_lock, script_lock)  # asr/factory.py
        self._constraints: dict[tuple[str, bool], ScriptConstraint | None] = {}  # computed once each
        self._token_bytes: dict[int, bytes] | None = None
        if fallback not in ("loops", "whisper"):
            raise ValueError(f"fallback must be loops or whisper, not {fallback!r}")
        self.logprob_fallback = fallback == "whisper"  # also unsure windows, not only loops (asr/factory.py)

    def constraint_for(self, language: str | None, writing: str = "native",
                       task: str = "transcribe") -> ScriptConstraint | None:
        """The byte-level script lock for a transcript in ``language`` (None: unlocked).

        Translation writes English; ``latin`` (Hinglish in Latin letters) is written as English is."""
        if self.script_lock in ("off", False) or language is None:
            return None
        if task == "translate" or writing == "latin":
            language, writing = "en", "native"
        with_latin = writing == "mixed" or self.script_lock == "script+latin"
        key = (language, with_latin)
        if key not in self._constraints:
            ranges = allowed_ranges(language, mixed_with_latin=with_latin)
            if ranges is None:
                self._constraints[key] = None
            else:
                vocab_size = max(self.tokenizer.get_vocab().values()) + 1
                # a window must hold a letter (of the script; code-mixed, or a Latin one): not only marks or a danda
                self._constraints[key] = ScriptConstraint(self.token_bytes, vocab_size, ranges,
                                                          SCRIPT_BLOCKS.get(language), latin_letters=with_latin)
        return self._constraints[key]

    @property
    def token_bytes(self) -> dict[int, bytes]:
        """Each text token's exact bytes (built on first use: the script lock and log-probabilities read them)."""
        if self._token_bytes is None:
            self._token_bytes = token_bytes(self.tokenizer.get_vocab())
        return self._token_bytes

    def prepare_languages(self, languages: list[tuple[str, str]]) -> None:
        """Build the script lock for each (language, writing) now, not on its first request (0.2-0.4 s each)."""
        for language, writing in languages:
            self.suppressed_for(language, writing)

    def suppressed_for(self, language: str | None, writing: str = "native") -> tuple[int, ...]:
        """Tokens the script lock never allows for ``language`` (empty when unlocked)."""
        constraint = self.constraint_for(language, writing)
        return constraint.never_allowed() if constraint is not None else ()

    def language_probabilities(self, audios: list[np.ndarray]) -> list[dict[str, float]]:
        """For each clip, every language's probability (ISO code keys) from its first 30 s."""
        probs = self.backend.language_probs(self.features([audio[:WINDOW_SAMPLES] for audio in audios]))
        return [{token[2:-2]: p for token, p in row.items()} for row in probs]

    # --- public API -------------------------------------------------------
    def transcribe_batch(self, requests: list[AsrRequest]) -> list[AsrResult]:
        started = time.perf_counter()
        jobs = [self._job(i, r) for i, r in enumerate(requests)]
        for job in jobs:
            if len(job.audio) == 0 or float(np.max(np.abs(job.audio))) < SILENCE_PEAK:
                job.seek = len(job.audio)  # silence: nothing to say, nothing to hallucinate
        for job in jobs:
            if job.language is None and job.candidates and not job.done:
                self._identify_and_decode_first_window(job)
        self._detect_missing_languages([j for j in jobs if j.language is None and not j.done])
        nbest = {i: r.alternatives for i, r in enumerate(requests) if r.alternatives > 0}
        for i in nbest:  # beam search below replaces the greedy pass for these: decode once
            jobs[i].seek = len(jobs[i].audio)
        while active := [j for j in jobs if not j.done]:
            # One generate call per script lock, previous text, task and temperature.
            groups: dict[tuple, list[_Job]] = {}
            for job in active:
                key = (id(self._constraint_for_job(job)), job.previous, job.task, job.temperature)
                groups.setdefault(key, []).append(job)
            for group in groups.values():
                self._decode_windows(group, self._constraint_for_job(group[0]))
        log.debug("%s decoded %d requests in %.3fs", self.name, len(jobs), time.perf_counter() - started)
        results = [self._result(job) for job in jobs]
        for i, count in nbest.items():
            best = self.alternatives(requests[i].audio, jobs[i].language, count, requests[i].writing)
            results[i] = dataclasses.replace(results[i], text=best[0] if best else "", alternatives=tuple(best))
        return results

    def _job(self, index: int, request: AsrRequest) -> _Job:
        if request.language is not None and request.language not in self.tokens.languages and self.language_token:
            raise ValueError(f"{self.name} does not know language {request.language!r}")
        if request.task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}, not {request.task!r}")
        unknown = [language for language, _ in request.candidates if language not in self.tokens.languages]
        if unknown:
            raise ValueError(f"{self.name} does not know language {unknown[0]!r}")
        previous: tuple[int, ...] = ()
        if request.prompt and request.prompt.strip():
            ids = self.tokenizer.encode(" " + request.prompt.strip(), add_special_tokens=False).ids
            previous = (self.tokens.sot_prev, *ids[-MAX_PROMPT_TOKENS:])
        return _Job(index, request.audio, request.language, request.vad_segment, task=request.task,
                    previous=previous, temperature=float(request.temperature),
                    word_timestamps=request.word_timestamps, logprobs=request.logprobs,
                    confidence=request.confidence or request.word_timestamps, writing=request.writing,
                    candidates=tuple(request.candidates) if request.language is None else ())

    def _constraint_for_job(self, job: _Job) -> ScriptConstraint | None:
        return self.constraint_for(job.language, job.writing, job.task)

    def _prompt(self, job: _Job) -> list[int]:
        tail = [] if self.timestamps else [self.tokens.no_timestamps]
        return [*job.previous, *self._start_sequence(job.language, job.task), *tail]

    def _start_sequence(self, language: str, task: str = "transcribe") -> list[int]:
        """``<|startoftranscript|>``, the language (where the model was trained with one) and the task."""
        task_token = self.tokens.translate if task == "translate" else self.tokens.transcribe
        language_tokens = [self.tokens.languages[language]] if self.language_token else []
        return [self.tokens.sot, *language_tokens, task_token]

    def alternatives(self, audio: np.ndarray, language: str, count: int, writing: str = "native") -> list[str]:
        """The ``count`` best transcripts of the first 30 s by beam search, best first, without timestamps."""
        if len(audio) == 0 or float(np.max(np.abs(audio))) < SILENCE_PEAK:
            return []
        window = audio[:WINDOW_SAMPLES]
        prompt = [*self._start_sequence(language), self.tokens.no_timestamps]
        budget = min(MAX_NEW_TOKENS, max(MIN_NEW_TOKENS, int(TOKENS_PER_SECOND * len(window) / SAMPLE_RATE)))
        constraint = self.constraint_for(language, writing)
        rows = self.backend.generate_nbest(self.features([window]), [prompt], count, budget,
                                           constraint.never_allowed() if constraint else ())[0]
        texts: list[str] = []
        for tokens in rows:
            if constraint is not None:  # a hypothesis that breaks the lock is kept up to the break
                tokens = cut_at_break(constraint, tokens, self.tokens.eot)
            text = self.tokenizer.decode([t for t in tokens if t < self.tokens.eot]).strip()
            if text and text not in texts:
                texts.append(text)
        return texts

    def detect_language(self, audio: np.ndarray, candidates: list[str] | None = None) -> dict[str, float]:
        """Language probabilities from the first 30 s, renormalised over ``candidates``."""
        probs = self.language_probabilities([audio])[0]
        if candidates:
            probs = {code: probs.get(code, 0.0) for code in candidates}
        total = sum(probs.values()) or 1.0
        return dict(sorted(((c, p / total) for c, p in probs.items()), key=lambda kv: -kv[1]))

    # --- internals ---------------------------------------------------------
    def _detect_missing_languages(self, jobs: list[_Job]) -> None:
        if not jobs:
            return
        for job, probs in zip(jobs, self.language_probabilities([j.audio for j in jobs])):
            if not probs:  # a fine-tune that no longer scores language tokens
                raise ValueError(f"{self.name} cannot identify the language of a request that names none; "
                                 "name the language (or set the model's `language` in the config)")
            job.language = max(probs, key=probs.get)

    def _decode_windows(self, jobs: list[_Job], constraint: ScriptConstraint | None = None) -> None:
        windows, features = self._window_features(jobs)
        prompts, budget, options = self._decoding_setup(jobs, windows, constraint)
        dropped = self._silence_judge(windows)
        repairs = [RepairBudget() for _ in jobs]
        started = time.perf_counter()
        outputs = self._generate(constraint, features, prompts, budget, options, repairs, dropped)
        outputs = self._fall_back(constraint, features, prompts, outputs, budget, options, repairs,
                                  time.perf_counter() - started, [len(w) / SAMPLE_RATE for w in windows])
        self._finish_windows(jobs, windows, features, outputs, dropped)

    def _window_features(self, jobs: list[_Job]) -> tuple[list[np.ndarray], np.ndarray]:
        """Each job's next window and its features; on CPU CTranslate2, the encoder's output, so the first pass,
        the script lock's repairs, the fallback, the alignment and identification share one encoder pass."""
        windows = [j.audio[j.seek : j.seek + WINDOW_SAMPLES] for j in jobs]
        features = self.features(windows)
        if self.fit_window == "always" or (self.fit_window == "vad_segments" and all(j.vad_segment for j in jobs)):
            features = fit_encoder_window(features, max(len(w) for w in windows))
        if hasattr(self.backend, "encode"):
            encoded = self.backend.encode(features)
            features = features if encoded is None else encoded
        return windows, features

    def _decoding_setup(self, jobs: list[_Job], windows: list[np.ndarray],
                        constraint: ScriptConstraint | None) -> tuple[list[list[int]], int, dict]:
        prompts = [self._prompt(j) for j in jobs]
        # A window of speech never needs more than ~30 tokens a second; the cap bounds the cost of a loop.
        longest_s = max(len(w) for w in windows) / SAMPLE_RATE
        budget = min(MAX_NEW_TOKENS, max(MIN_NEW_TOKENS, int(TOKENS_PER_SECOND * longest_s)),
                     DECODER_POSITIONS - len(prompts[0]) - 1)
        options: dict = {"suppress_tokens": constraint.never_allowed()} if constraint is not None else {}
        if constraint is not None and getattr(self.backend, "applies_script_lock", False):
            options["constraint"] = constraint  # the backend applies the lock at every step
        if jobs[0].temperature > 0:
            options["temperature"] = jobs[0].temperature
        return prompts, budget, options

    def _silence_judge(self, windows: list[np.ndarray]) -> Callable[[int, Decoded], bool]:
        heard: dict[int, bool] = {}  # row -> Silero hears speech in the window (asked only of silence candidates)

        def dropped(row: int, decoded: Decoded) -> bool:
            """Both detectors agree the window holds no speech: Whisper (see _is_silence) and Silero VAD."""
            if not self._is_silence(decoded):
                return False
            if row not in heard:
                heard[row] = has_speech(windows[row])
            return not heard[row]

        return dropped

    def _finish_windows(self, jobs: list[_Job], windows: list[np.ndarray], features: np.ndarray,
                        outputs: list[Decoded], dropped: Callable[[int, Decoded], bool]) -> None:
        aligning = []
        for row, (job, window, decoded) in enumerate(zip(jobs, windows, outputs)):
            first_new, offset_s = len(job.segments), job.seek / SAMPLE_RATE
            job.window_tokens = []
            if dropped(row, decoded):
                job.seek += len(window)
                continue
            self._consume(job, len(window), decoded.tokens, features[row:row + 1])
            if (job.word_timestamps or job.logprobs or job.confidence) and len(job.segments) > first_new:
                aligning.append((row, job, first_new, offset_s, len(window)))
        if aligning:
            self._add_words(features, aligning)

    def _identify_and_decode_first_window(self, job: _Job) -> None:
        """Language identification by decoding: the first window decoded under each candidate language (each
        under its own script lock) from one encoder pass; the candidate whose tokens the model finds most likely
        (mean log-probability) wins, and its decoding is the window's transcript: nothing is decoded twice."""
        windows, features = self._window_features([job])
        first: dict[tuple[str, str], tuple] = {}  # candidate -> (decoded, constraint, prompts, budget, options, repairs)
        started = time.perf_counter()
        for language, writing in job.candidates:
            job.language, job.writing = language, writing
            constraint = self._constraint_for_job(job)
            prompts, budget, options = self._decoding_setup([job], windows, constraint)
            repairs = [RepairBudget()]
            decoded = self._generate(constraint, features, prompts, budget, options, repairs)[0]
            first[(language, writing)] = (decoded, constraint, prompts, budget, options, repairs)
        elapsed = (time.perf_counter() - started) / max(1, len(first))
        scores = {candidate: item[0].avg_logprob for candidate, item in first.items()}
        (job.language, job.writing), (decoded, constraint, prompts, budget, options, repairs) = max(
            first.items(), key=lambda item: item[1][0].avg_logprob)
        shares = {language: float(np.exp(score)) for (language, _), score in scores.items()}
        total = sum(shares.values()) or 1.0
        job.language_scores = dict(sorted(((c, round(p / total, 4)) for c, p in shares.items()), key=lambda kv: -kv[1]))
        outputs = self._fall_back(constraint, features, prompts, [decoded], budget, options, repairs, elapsed,
                                  [len(windows[0]) / SAMPLE_RATE])
        self._finish_windows([job], windows, features, outputs, self._silence_judge(windows))

    def _generate(self, constraint: ScriptConstraint | None, features: np.ndarray, prompts: list[list[int]],
                  budget: int, options: dict, repairs: list[RepairBudget],
                  dropped: Callable[[int, Decoded], bool] | None = None) -> list[Decoded]:
        """One pass over the windows; under a script lock, each window's breaks repaired out of its
        ``repairs`` (not in a window that will be ``dropped`` as silent: repairing a loop over noise costs
        a decoder pass a break)."""
        outputs = self.backend.generate(features, prompts, max_new_tokens=budget, **options)
        if constraint is None:
            return outputs
        return [d if dropped is not None and dropped(row, d) else
                dataclasses.replace(d, tokens=self._locked(constraint, features[row:row + 1], prompts[row],
                                                           d.tokens, budget, options, repairs[row]))
                for row, d in enumerate(outputs)]

    def _fall_back(self, constraint: ScriptConstraint | None, features: np.ndarray, prompts: list[list[int]],
                   outputs: list[Decoded], budget: int, options: dict, repairs: list[RepairBudget],
                   first_pass_s: float, seconds: list[float] | None = None) -> list[Decoded]:
        """Decode again the windows that looped (and, with ``fallback: whisper``, those the model was unsure of).

        First with repetition discouraged (deterministic), then sampled at rising temperatures,
        until each window has a hypothesis that neither loops nor falls below the log-probability
        threshold, or the fallback has taken ``FALLBACK_TIME_FACTOR`` times the first pass. Each
        window keeps its best hypothesis: one that does not loop before one that does, then the
        higher average log-probability. A window the model calls silent is not retried.
        """
        best = list(outputs)
        deadline = time.perf_counter() + FALLBACK_TIME_FACTOR * first_pass_s
        attempts: list[dict] = [{"repetition_penalty": RETRY_REPETITION_PENALTY,
                                 "no_repeat_ngram_size": RETRY_NO_REPEAT_NGRAM}]
        attempts += [{"temperature": t} for t in FALLBACK_TEMPERATURES if t > options.get("temperature", 0.0)]
        for extra in attempts:
            span = seconds or [None] * len(best)  # each window's audio: a loop writes faster than anyone speaks
            retry = [i for i, d in enumerate(best) if self._needs_fallback(d, span[i], budget)]
            if not retry or time.perf_counter() > deadline:
                break
            again = self._generate(constraint, features[retry], [prompts[i] for i in retry], budget,
                                   {**options, **extra}, [repairs[i] for i in retry])
            for i, decoded in zip(retry, again):
                if self._rank(decoded, span[i], budget) > self._rank(best[i], span[i], budget):
                    best[i] = decoded
        return best

    def _needs_fallback(self, decoded: Decoded, seconds: float | None = None, budget: int | None = None) -> bool:
        if decoded.no_speech_prob > NO_SPEECH_THRESHOLD:
            return False  # silence: _is_silence drops it, or its text was confident
        unsure = self.logprob_fallback and decoded.avg_logprob < LOGPROB_THRESHOLD
        return unsure or self._looks_like_a_loop(decoded.tokens, seconds, budget)

    def _rank(self, decoded: Decoded, seconds: float | None = None, budget: int | None = None) -> tuple[bool, float]:
        return (not self._looks_like_a_loop(decoded.tokens, seconds, budget), decoded.avg_logprob)

    def _is_silence(self, decoded: Decoded) -> bool:
        """OpenAI's rule (the model says no speech and is unsure of its text), and also where its text is a loop:
        a confident loop over noise is the classic hallucination. A window is dropped only where Silero VAD
        also hears no speech: whisper-base gives espeak-ng Telugu a no-speech probability near 0.6."""
        return decoded.no_speech_prob > NO_SPEECH_THRESHOLD and (
            decoded.avg_logprob < LOGPROB_THRESHOLD or self._looks_like_a_loop(decoded.tokens))

    def _add_words(self, features: np.ndarray, aligning: list[tuple[int, _Job, int, float, int]]) -> None:
        """Word timings (and, where asked, token log-probabilities) for the segments each window just produced,
        one alignment call per start sequence."""
        by_start: dict[tuple[int, ...], list] = {}
        for item in aligning:
            start = tuple(self._start_sequence(item[1].language, item[1].task))
            by_start.setdefault(start, []).append(item)
        for start, items in by_start.items():
            texts = [[t for tokens in job.window_tokens for t in tokens] for _, job, *_ in items]
            frames = [max(2, window // HOP) for *_, window in items]
            aligned = self.backend.align(features[[row for row, *_ in items]], list(start), texts, frames)
            for (_, job, first_new, offset_s, _), text, (token_idx, frame_idx, probs) in zip(items, texts, aligned):
                new = job.segments[first_new:]
                counts = [len(tokens) for tokens in job.window_tokens]
                if job.logprobs:
                    new = self._with_logprobs(new, counts[-len(new):], text, probs)
                if job.confidence:
                    new = self._with_confidence(new, counts[-len(new):], text, probs)
                if job.word_timestamps:
                    words = words_from_path(self.tokenizer.decode, text, self.tokens.eot, token_idx, frame_idx, probs)
                    last_speech = job.segments[first_new - 1].end if first_new else 0.0
                    new = attach_words(new, counts, words, offset_s, last_speech)
                job.segments[first_new:] = new

    def _token_text(self, token: int) -> str:
        return self.token_bytes.get(token, b"").decode("utf-8", errors="replace")

    @staticmethod
    def _with_confidence(segments: list[Segment], counts: list[int], text: list[int],
                         probs: np.ndarray) -> list[Segment]:
        """Each segment's confidence: the mean probability of its tokens in the alignment pass."""
        at = len(text) - sum(counts)
        out = []
        for segment, count in zip(segments, counts):
            mine = probs[at:at + count]
            out.append(dataclasses.replace(segment, confidence=round(float(np.mean(mine)), 4) if len(mine) else None))
            at += count
        return out

    def _with_logprobs(self, segments: list[Segment], counts: list[int], text: list[int],
                       probs: np.ndarray) -> list[Segment]:
        """Each segment with its tokens' log-probabilities under the alignment pass (the window's text forced
        after ``<|notimestamps|>``: faster-whisper's word probabilities come from the same pass)."""
        tail = len(text) - sum(counts)  # tokens of segments before these in the window
        out, at = [], tail
        for segment, count in zip(segments, counts):
            entries = tuple(TokenLogprob(self._token_text(t), tuple(self.token_bytes.get(t, b"")),
                                         round(float(np.log(max(p, 1e-12))), 6))
                            for t, p in zip(text[at:at + count], probs[at:at + count]))
            out.append(dataclasses.replace(segment, logprobs=entries))
            at += count
        return out

    def _locked(self, constraint: ScriptConstraint, features: np.ndarray, prompt: list[int], tokens: list[int],
                budget: int, options: dict, repairs: RepairBudget) -> list[int]:
        """One window's tokens with every break of the script lock repaired while ``repairs`` last, then cut
        at the break (asr/script_lock.py); a strict lock still gets one letter of its script."""
        step = getattr(self.backend, "next_token_logprobs", None)

        def next_token_logprobs(prefix: list[int]) -> np.ndarray:
            return step(features, prompt, prefix)

        def continue_from(prefix: list[int]) -> list[int]:
            left = max(1, budget - len(prefix))
            out = self.backend.generate(features, [prompt + prefix], max_new_tokens=left, **options)[0].tokens
            return out[len(prefix):] if out[:len(prefix)] == prefix else out

        def has_letter(candidate: list[int]) -> bool:
            return constraint.has_letter(self.tokenizer.decode([t for t in candidate if t < self.tokens.eot]))

        tokens = enforce(constraint, tokens, self.tokens.eot, next_token_logprobs if step else None,
                         continue_from if step else None, repairs)
        if step is None or has_letter(tokens):
            return tokens
        # No letter of the script: the model took the lock's way out (end of text, a lone space, punctuation).
        # Start again after the leading timestamp with the most likely token that begins a letter of the script.
        prefix = [t for t in tokens[:1] if t >= self.tokens.timestamp_begin] or [self.tokens.timestamp_begin]
        prefix = prefix if self.timestamps else []
        scores = np.array(next_token_logprobs(prefix), dtype=np.float64)
        scores[~constraint.letter_starts(len(scores))] = -np.inf
        best = int(np.argmax(scores))
        if not np.isfinite(scores[best]):
            return tokens
        restarted = [*prefix, best, *continue_from([*prefix, best])]
        return enforce(constraint, restarted, self.tokens.eot, next_token_logprobs, continue_from, repairs, has_letter)

    def _looks_like_a_loop(self, tokens: list[int], seconds: float | None = None, budget: int | None = None) -> bool:
        """OpenAI's test (text that compresses more than 2.4 times); knowing the window's length and token budget,
        only where the text also comes faster than speech or runs to the budget: a sentence said six times
        compresses as well as a loop, but takes its time and ends."""
        decoded = self.tokenizer.decode([t for t in tokens if t < self.tokens.eot])
        text = decoded.encode("utf-8")
        repetitive = len(text) > 40 and len(text) / len(zlib.compress(text)) > LOOP_COMPRESSION_RATIO
        if not repetitive or seconds is None:
            return repetitive
        ran_out = budget is not None and len(tokens) >= budget - 2
        return ran_out or len(decoded) / max(seconds, 1.0) > MAX_SPOKEN_CHARS_PER_S

    def _consume(self, job: _Job, window_samples: int, tokens: list[int], features: np.ndarray | None = None) -> None:
        """Turn one window's tokens into segments and advance the job's seek (``features``: the window's, to time
        its words where the model may have stopped early)."""
        ts_begin = self.tokens.timestamp_begin
        tokens = self._monotonic(tokens)
        offset_s = job.seek / SAMPLE_RATE
        window_s = window_samples / SAMPLE_RATE
        is_ts = [t >= ts_begin for t in tokens]
        single_ending = len(tokens) >= 2 and is_ts[-2:] == [False, True]
        cuts = [i + 1 for i in range(len(tokens) - 1) if is_ts[i] and is_ts[i + 1]]
        if cuts:
            if single_ending:
                cuts.append(len(tokens))
            start = 0
            for cut in cuts:
                piece = tokens[start:cut]
                self._add_segment(job, piece, offset_s, window_s)
                start = cut
            if single_ending:
                last = tokens[cuts[-2] if len(cuts) > 1 else 0:]  # cuts ends with len(tokens) here
                job.seek += self._advance_after(job, window_samples, last, features, offset_s, tokens)
            else:
                resume = (tokens[cuts[-1] - 1] - ts_begin) * TIME_PRECISION
                job.seek += max(int(resume * SAMPLE_RATE), HOP)
        else:
            self._add_segment(job, tokens, offset_s, window_s)
            ended = len(tokens) >= 2 and is_ts[-1] and not is_ts[-2]  # one segment, closed by a timestamp
            job.seek += self._advance_after(job, window_samples, tokens, features, offset_s, tokens) if ended \
                else window_samples

    def _advance_after(self, job: _Job, window_samples: int, last: list[int], features: np.ndarray | None,
                       offset_s: float, window: list[int] | None = None) -> int:
        """How far to seek after a window whose last segment (``last``: its tokens, timestamps around them) ends
        it: the whole window (OpenAI's rule: a single timestamp at the end means no speech after it), unless
        speech goes on after the segment's words. Whisper ends a window early where speech repeats: six
        repeats of a sentence came out once, timed over the first seven seconds, the rest skipped as silent.
        Where Silero hears speech after the last timestamp, or the segment is stretched thin over its time,
        the words are timed by alignment and decoding goes on from the last word's end (or, untimed, from the
        last timestamp) if speech follows it. The alignment is of the whole window's text (``window``: its
        tokens), and its last word must end inside the last segment: aligned alone, a short segment's text lands
        anywhere in the window, and going back there decoded the window's sentences twice. Where the words run
        past the last timestamp, decoding goes on after them, not from the stamp (which wrote them twice)."""
        ts_begin = self.tokens.timestamp_begin
        stamps = [t - ts_begin for t in last if t >= ts_begin]
        text = [t for t in last if t < self.tokens.eot]
        if not stamps:
            return window_samples
        start_s, end_s = stamps[0] * TIME_PRECISION, stamps[-1] * TIME_PRECISION
        after_stamp = self._speech_from(job, end_s, window_samples)
        stretched = text and (end_s - start_s) / len(text) > STRETCHED_S_PER_TOKEN
        if not (after_stamp or stretched):
            return window_samples
        if self._looks_like_a_loop(last) or end_s < MIN_EARLY_STOP_S:
            return window_samples  # a loop, or too little decoded to go on from: OpenAI's rule
        window_text = [t for t in (window if window is not None else last) if t < self.tokens.eot]
        word_end = self._last_word_end(job, window_text, features, window_samples) if features is not None else None
        if word_end is not None and word_end >= end_s:  # the words run past the stamp: they are written already
            return min(max(int(word_end * SAMPLE_RATE), HOP), window_samples) \
                if self._speech_from(job, word_end, window_samples) else window_samples
        if (word_end is not None and max(MIN_EARLY_STOP_S, start_s) < word_end < end_s
                and self._speech_from(job, word_end, window_samples)):
            if job.segments and job.segments[-1].start >= offset_s and job.segments[-1].end > offset_s + word_end:
                # this window's last segment ends with its words
                job.segments[-1] = dataclasses.replace(job.segments[-1], end=round(offset_s + max(word_end, 0.02), 3))
            return max(int(word_end * SAMPLE_RATE), HOP)
        return max(int(end_s * SAMPLE_RATE), HOP) if after_stamp else window_samples

    def _speech_from(self, job: _Job, at_s: float, window_samples: int) -> bool:
        """Silero hears speech in the window from ``at_s`` (plus a margin for the word's tail) to its end."""
        rest = job.audio[job.seek + int((at_s + SPEECH_AFTER_MARGIN_S) * SAMPLE_RATE):job.seek + window_samples]
        return len(rest) >= MIN_SPEECH_AFTER_S * SAMPLE_RATE and has_speech(rest)

    def _last_word_end(self, job: _Job, text: list[int], features: np.ndarray, window_samples: int) -> float | None:
        """The end (seconds into the window) of the last of ``text``'s words, by alignment; None if untimed."""
        start = self._start_sequence(job.language, job.task)
        token_idx, frame_idx, _ = self.backend.align(features, start, [text], [max(2, window_samples // HOP)])[0]
        words = words_from_path(self.tokenizer.decode, text, self.tokens.eot, token_idx, frame_idx)
        return words[-1].end if words else None

    def _monotonic(self, tokens: list[int]) -> list[int]:
        """Drop end-of-text and stop at a timestamp that goes backwards.

        Time never decreases within a window (OpenAI's rule); transformers'
        short-form generate can start a new 0.00 segment after the last one.
        """
        kept: list[int] = []
        last_ts = -1
        for token in tokens:
            if token == self.tokens.eot:
                break
            if token >= self.tokens.timestamp_begin:
                if token < last_ts:
                    break
                last_ts = token
            kept.append(token)
        return kept

    def _add_segment(self, job: _Job, piece: list[int], offset_s: float, window_s: float) -> None:
        ts_begin = self.tokens.timestamp_begin
        stamps = [t for t in piece if t >= ts_begin]
        text_ids = [t for t in piece if t < self.tokens.eot]
        text = self.tokenizer.decode(text_ids).strip()
        if not text:
            return
        job.window_tokens.append(text_ids)
        start = (stamps[0] - ts_begin) * TIME_PRECISION if stamps else 0.0
        end = (stamps[-1] - ts_begin) * TIME_PRECISION if len(stamps) > 1 else window_s
        end = min(max(end, start), window_s)
        job.segments.append(Segment(start=round(offset_s + start, 3), end=round(offset_s + end, 3), text=text))

    def _result(self, job: _Job) -> AsrResult:
        text = " ".join(s.text for s in job.segments).strip()
        return AsrResult(text=text, language=job.language, segments=tuple(job.segments), model=self.name,
                         language_scores=job.language_scores, writing=job.writing)
