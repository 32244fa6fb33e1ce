"""The request flow shared by every surface: decode once, route, transcribe, post-process."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Literal

from sunvai.asr.types import SAMPLE_RATE, AsrRequest, Segment, TokenLogprob
from sunvai.audio import AudioDecodeError, decode_audio
from sunvai.audio.decode import BATCH_HINT
from sunvai.auth.access import AccessControl, current_caller
from sunvai.errors import BadRequest
from sunvai.language_router import LanguageCodeError, LanguageSelection, parse_language_selection
from sunvai.language_router.lid import LidResult
from sunvai.language_router.text_check import check_transcript
from sunvai.punctuation.rules import has_sentence_punctuation
from sunvai.punctuation.types import PunctuationRequest, TimedText
from sunvai.redaction import PROFANITY, Redaction, TextFilter, redact_logprobs, redact_text, redact_words
from sunvai.service.args import WHISPER_ENGINES, AppArgs
from sunvai.service.backend import AsrBackend, InProcessTextBackend, LidBackend, TextBackend
from sunvai.service.longform import ProgressCallback, cut_in_speech, plan_chunks, speech_regions, transcribe_chunks
from sunvai.service.no_speech import has_speech

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class TextPiece:
    """A piece of the transcript as it is final: the pieces concatenate to the transcript."""

    text: str
    logprobs: tuple[TokenLogprob, ...] = ()  # the model's tokens behind it, when asked for


TextCallback = Callable[[TextPiece], Awaitable[None]]


class InOrder:
    """Hands each chunk's segments to ``on_text`` in chunk order, as pieces that concatenate to the transcript
    (" ".join of every segment's text): a chunk waits for those before it."""

    def __init__(self, on_text: TextCallback | None):
        self.on_text = on_text
        self.waiting: dict[int, list[Segment]] = {}
        self.next = 0
        self.started = False
        self.lock = asyncio.Lock()

    async def done(self, index: int, segments: list[Segment]) -> None:
        if self.on_text is None:
            return
        async with self.lock:
            self.waiting[index] = segments
            while self.next in self.waiting:
                for segment in self.waiting.pop(self.next):
                    await self.on_text(TextPiece((" " if self.started else "") + segment.text, segment.logprobs))
                    self.started = True
                self.next += 1

OutputFormat = Literal["verbatim", "transcribe"]
Task = Literal["transcribe", "translate"]


@dataclass(frozen=True)
class TranscriptionOptions:
    language_code: str
    preferred_language: str | None = None
    format: OutputFormat = "verbatim"
    itn_native_numerals: bool = False
    punctuation: bool | None = None  # None: the server's default
    vad_segment: bool = False  # the audio is one utterance cut by the realtime VAD
    domain: str | None = None  # a domain-specific model where one is configured (args.domains)
    model: str | None = None  # a configured model by name instead of the routing policy's choice
    task: Task = "transcribe"  # translate: Whisper's speech-to-English task
    prompt: str | None = None  # Whisper's initial prompt (spellings, names, the text before)
    temperature: float = 0.0  # 0: greedy; above 0: sampled
    word_timestamps: bool = False  # segments carry timed words
    # the caller shows segment times (subtitles, segment lists), not only the transcript: long audio whose
    # pauses are dropped (longform.drop_pauses) is then timed by its words to split segments at the pauses
    timed_segments: bool = True
    prompt_is_hint: bool = False  # batch bias words: engines without a prompt go on without it
    logprobs: bool = False  # segments carry the model's token log-probabilities (Whisper engines)
    confidence: bool = False  # segments carry a confidence (and words a probability); Whisper: an alignment pass
    longform_vad: tuple[tuple[str, float], ...] = ()  # this request's args.longform VAD overrides (name, value)
    redact: Redaction | None = None  # identifiers replaced in everything the service returns
    profanity_filter: bool = False  # listed profanity masked (first letter kept) in everything returned

    @property
    def text_filters(self) -> tuple[TextFilter, ...]:
        """What replaces text before anything leaves the service: the profanity mask, then redaction."""
        return ((PROFANITY,) if self.profanity_filter else ()) + ((self.redact,) if self.redact else ())

    @property
    def whisper_only(self) -> list[str]:
        """The options set here that only Whisper engines implement."""
        asked = {"task=translate": self.task == "translate", "prompt": bool(self.prompt) and not self.prompt_is_hint,
                 "temperature": self.temperature > 0}
        return [name for name, on in asked.items() if on]


@dataclass(frozen=True)
class Transcription:
    transcript: str
    language_code: str
    model: str
    duration_s: float
    processing_time_ms: int
    segments: tuple[Segment, ...] = ()
    language_confidence: float | None = None  # set when the language was identified
    language_runner_up: str | None = None
    language_candidates: dict[str, float] = field(default_factory=dict)
    rerouted_from: str | None = None  # the identified language the transcript overruled
    reroute_reason: str | None = None
    redactions: dict[str, int] | None = None  # entities redacted, by kind (None: redaction not asked)
    warnings: tuple[str, ...] = ()  # what of the input was not used (a last frame that did not decode)

    @property
    def confidence(self) -> float | None:
        """The transcript's confidence: its segments' mean, weighted by their length (None where unknown)."""
        known = [(s.confidence, max(s.end - s.start, 0.01)) for s in self.segments if s.confidence is not None]
        return round(sum(c * w for c, w in known) / sum(w for _, w in known), 4) if known else None

    @property
    def logprobs(self) -> tuple[TokenLogprob, ...]:
        """The model's tokens with their log-probabilities, in order (asked with ``logprobs``; Whisper engines)."""
        return tuple(entry for segment in self.segments for entry in segment.logprobs)

    @property
    def no_speech(self) -> bool:
        """No speech was found: the VAD gate found none, or the model judged every window silent."""
        return not self.transcript.strip()


ITN_LANGUAGES = {"hi-IN", "en-IN", "en-hi-in-cm", "en-hi-IN-latn"}


def _drop_outcome(task: asyncio.Future) -> None:
    """Retrieve a dropped task's error, so asyncio does not report it as never retrieved."""
    if not task.cancelled():
        task.exception()


def filtered_text(text: str, filters: tuple[TextFilter, ...], language: str) -> tuple[str, Counter]:
    """``text`` through each filter; the identifiers redacted, by kind (profanity is not counted)."""
    counts: Counter = Counter()
    for text_filter in filters:
        done = redact_text(text, text_filter, language)
        text = done.text
        counts.update({kind: n for kind, n in done.counts.items() if kind != "profanity"})
    return text, counts


def filtered_segment(segment: Segment, filters: tuple[TextFilter, ...], language: str) -> tuple[Segment, Counter]:
    """The segment with its text, its timed words and its tokens through the filters; what was redacted."""
    text, counts = filtered_text(segment.text, filters, language)
    words, logprobs = segment.words, segment.logprobs
    for text_filter in filters:
        words = redact_words(words, text_filter, language)
        logprobs = redact_logprobs(logprobs, text_filter, language)
    return dataclasses.replace(segment, text=text, words=words, logprobs=logprobs), counts


def filtered(result: Transcription, options: TranscriptionOptions) -> Transcription:
    """``result`` with profanity masked and identifiers replaced, as asked, everywhere it carries text."""
    filters = options.text_filters
    if not filters:
        return result
    text, counts = filtered_text(result.transcript, filters, result.language_code)
    segments = tuple(filtered_segment(s, filters, result.language_code)[0] for s in result.segments)
    return dataclasses.replace(result, transcript=text, segments=segments,
                               redactions=dict(counts) if options.redact is not None else None)


class TranscriptionService:
    def __init__(self, args: AppArgs, backend: AsrBackend, text: TextBackend | None = None,
                 lid: LidBackend | None = None, access: AccessControl | None = None):
        self.args = args
        self.access = access or AccessControl(None)  # API keys (args.auth); None store: off
        self.backend = backend
        self.text = text or InProcessTextBackend()
        self.lid = lid
        self.router = args.routing()

    async def readiness(self) -> dict[str, bool]:
        """Every stage of the graph and whether it takes requests now."""
        stages = {**await self.backend.readiness(), **await self.text.readiness()}
        if self.lid is not None:
            stages.update(await self.lid.readiness())
        return stages

    def selection(self, options: TranscriptionOptions) -> LanguageSelection:
        return self.selection_for(options.language_code, options.preferred_language)

    def selection_for(self, language_code: str | None, preferred: str | None = None) -> LanguageSelection:
        """The parsed language selection; 403 if the request's API key does not cover its languages."""
        try:
            selection = parse_language_selection(language_code, preferred)
        except LanguageCodeError as exc:
            raise BadRequest(str(exc), code="invalid_language") from exc
        self.access.check_languages(current_caller.get(), selection.candidates)
        return selection

    async def transcribe_bytes(self, data: bytes, options: TranscriptionOptions) -> Transcription:
        """Validate, decode ``data`` off the event loop, and transcribe it."""
        started = time.perf_counter()
        selection = self.selection(options)  # parameters first: cheap errors before decoding
        decoded = await self._decode(data, self.args.limits.max_audio_duration_s, BATCH_HINT)
        result = await self._transcribe(decoded.samples, selection, options, started)
        return dataclasses.replace(result, warnings=decoded.warnings) if decoded.warnings else result

    async def transcribe_samples(self, samples, options: TranscriptionOptions) -> Transcription:
        """Transcribe audio that is already 16 kHz mono float32 (streams, batch jobs)."""
        return await self._transcribe(samples, self.selection(options), options, time.perf_counter())

    async def decode_long(self, data: bytes, keep_channels: bool = False):
        """Decode audio of any length up to the long-form cap, off the event loop.

        ``keep_channels``: samples come back [channels, n] (multi-channel batch jobs)."""
        return await self._decode(data, self.args.longform.max_duration_s,
                                  "The limit is args.longform.max_duration_s; split the recording into parts",
                                  keep_channels)

    async def _decode(self, data: bytes, max_duration_s: float, too_long_hint: str, keep_channels: bool = False):
        """Decode off the event loop (a decoding error is a 400 with the decoder's message); the audio's
        length is charged to the request's API key."""
        try:
            decoded = await asyncio.to_thread(decode_audio, data, max_duration_s, too_long_hint, keep_channels)
        except AudioDecodeError as exc:
            raise BadRequest(exc.message, code=exc.code) from exc
        await self.access.charge_audio(current_caller.get(), decoded.duration_s)
        return decoded

    async def transcribe_any_length(self, samples, options: TranscriptionOptions,
                                    progress: ProgressCallback | None = None,
                                    on_text: TextCallback | None = None) -> Transcription:
        """One pass for audio that fits one chunk; the long-form path (VAD chunks in parallel) beyond.
        ``on_text``: the transcript's pieces in order as they are final (one piece for a single pass)."""
        if len(samples) <= self.args.longform.chunk_s * SAMPLE_RATE:
            result = await self.transcribe_samples(samples, options)
            if on_text is not None and result.transcript:
                await on_text(TextPiece(result.transcript, result.logprobs))
            return result
        return await self.transcribe_long(samples, options, progress, on_text)

    async def alternatives(self, samples, options: TranscriptionOptions, count: int) -> list[str]:
        """The n-best transcripts (beam search) of one clip of at most one Whisper window, best first."""
        if len(samples) > 30 * SAMPLE_RATE:
            raise BadRequest(f"alternatives are computed for audio up to 30 s; this audio is "
                             f"{len(samples) / SAMPLE_RATE:.1f} s. Ask for transcript or srt instead",
                             code="audio_too_long")
        selection = self.selection(options)
        if selection.fixed is None:
            raise BadRequest("alternatives need one language, not a list", code="invalid_language")
        route = self._route(selection.fixed, options.domain)
        result = await self.backend.transcribe(route.model, AsrRequest(samples, route.asr_language,
                                                                       alternatives=count, writing=route.writing))
        texts = list(result.alternatives) or ([result.text] if result.text else [])
        processed = await asyncio.gather(*(self.post_process(t, selection.fixed, options) for t in texts))
        processed = [filtered_text(t, options.text_filters, selection.fixed)[0] for t in processed]
        return list(dict.fromkeys(t for t in processed if t))  # distinct, best first

    async def transcribe_long(self, samples, options: TranscriptionOptions,
                              progress: ProgressCallback | None = None,
                              on_text: TextCallback | None = None) -> Transcription:
        """Long audio: speech chunks of at most ``longform.chunk_s`` through ASR in parallel, stitched (at most
        the model's window where it has a shorter one: IndicConformer's 15 s).

        With a comma list, the language is identified once, on the first chunk of speech. Each chunk is
        post-processed as soon as it is done; ``on_text`` gets the transcript's pieces in order as they are
        final (the first once the first chunk is), which concatenate to the transcript.
        """
        started = time.perf_counter()
        selection = self.selection(options)
        config = self.args.longform.model_copy(update=dict(options.longform_vad))
        window = self._window_s(selection, options)
        if window is not None and window < config.chunk_s:
            config = config.model_copy(update={"chunk_s": window})
        chunks = plan_chunks(await asyncio.to_thread(speech_regions, samples, config), config.chunk_s,
                             config.merge_gap_s, config.min_chunk_s, config.drop_pauses)
        if not chunks:  # VAD found no speech anywhere
            return self._no_speech(samples, selection, options, started)
        identified = None
        language_code = selection.fixed
        if language_code is None:
            first = chunks[0].audio(samples)
            identified, _, _ = await self._identify_and_transcribe(first, selection, options)
            language_code = identified.language
        route = self._route(language_code, options.domain, options.model, options)

        # Whisper runs a segment on over a dropped pause: words tell where to split it (+10% time, measured); and
        # where a run of speech is cut between chunks, words tell which chunk keeps which (longform.overlapped)
        timing = dataclasses.replace(options, word_timestamps=options.word_timestamps or (
            config.drop_pauses and options.timed_segments) or (config.overlap_s > 0 and any(cut_in_speech(chunks))))

        async def asr(chunk_samples, whole: bool):
            return await self.backend.transcribe(route.model, self._asr_request(chunk_samples, route, timing, whole))

        output_language = self._output_language(language_code, options)
        ordered = InOrder(on_text)
        found: Counter = Counter()

        async def finish(index: int, placed: list[Segment]) -> list[Segment]:
            if not options.word_timestamps:
                placed = [dataclasses.replace(s, words=()) for s in placed]
            # Whisper's segments end mid-sentence: where the chunk's text is punctuated already, no segment gets a
            # sentence end of its own (as one pass decides for the whole transcript)
            chunk_options = options
            if self.args.punctuation.respect_existing and has_sentence_punctuation(" ".join(s.text for s in placed)):
                chunk_options = dataclasses.replace(options, punctuation=False)
            texts = await asyncio.gather(*(self.post_process(s.text, output_language, chunk_options, (s,))
                                           for s in placed))
            final = [dataclasses.replace(s, text=t) for s, t in zip(placed, texts) if t]
            if options.text_filters:  # before any piece leaves: the stream gets filtered text too
                final = [filtered_segment(s, options.text_filters, output_language) for s in final]
                found.update(sum((counts for _, counts in final), Counter()))
                final = [s for s, _ in final]
            await ordered.done(index, final)
            return final

        segments = await transcribe_chunks(samples, chunks, asr, config, progress, finish)
        return Transcription(
            transcript=" ".join(s.text for s in segments),
            language_code=language_code,
            model=route.model,
            duration_s=round(len(samples) / SAMPLE_RATE, 3),
            processing_time_ms=int((time.perf_counter() - started) * 1000),
            segments=tuple(segments),
            language_confidence=identified.confidence if identified else None,
            language_runner_up=identified.runner_up if identified else None,
            language_candidates=identified.ranking if identified else {},
            redactions=dict(found) if options.redact is not None else None,
        )

    def _window_s(self, selection: LanguageSelection, options: TranscriptionOptions) -> float | None:
        """The shortest window among the models that may serve this request (None: no model needs one)."""
        codes = [selection.fixed] if selection.fixed is not None else list(selection.candidates)
        windows = {m.name: m.window_s for m in self.args.models}
        served = [windows.get(self._route(code, options.domain, options.model).model) for code in codes]
        return min((w for w in served if w is not None), default=None)

    async def _transcribe(self, samples, selection: LanguageSelection, options: TranscriptionOptions,
                          started: float) -> Transcription:
        window = self._window_s(selection, options)
        if window is not None and len(samples) > window * SAMPLE_RATE:  # beyond the model's window: long-form
            return await self.transcribe_long(samples, options)
        identified = None
        language_code = selection.fixed
        if language_code is not None:
            result, route = await self._asr_unless_silent(samples, language_code, options)
            if result is None:
                return self._no_speech(samples, selection, options, started)
        else:
            if not options.vad_segment and not await self._has_speech(samples):
                return self._no_speech(samples, selection, options, started)
            identified, result, route = await self._identify_and_transcribe(samples, selection, options)
            language_code = identified.language
            if result is None:
                result, route = await self._asr(samples, language_code, options)
        rerouted_from = reason = None
        if identified is not None and self.args.lid.text_check and options.task == "transcribe":
            verdict = await asyncio.to_thread(check_transcript, result.text, language_code,
                                              list(selection.candidates))
            if verdict.language is not None:  # re-route once, and say so
                rerouted_from, reason, language_code = language_code, verdict.reason, verdict.language
                result, route = await self._asr(samples, language_code, options)
        text = await self.post_process(result.text, self._output_language(language_code, options), options,
                                       result.segments)
        return filtered(Transcription(
            transcript=text,
            language_code=language_code,
            model=route.model,
            duration_s=round(len(samples) / 16_000, 3),
            processing_time_ms=int((time.perf_counter() - started) * 1000),
            segments=result.segments,
            language_confidence=identified.confidence if identified else None,
            language_runner_up=identified.runner_up if identified else None,
            language_candidates=identified.ranking if identified else {},
            rerouted_from=rerouted_from,
            reroute_reason=reason,
        ), options)

    async def _asr_unless_silent(self, samples, language_code: str, options: TranscriptionOptions):
        """(ASR result, route), or (None, None) where the no-speech gate finds no speech. The gate runs beside
        the ASR call, so a request with speech does not wait for it (17 ms for 5 s); without speech the ASR call
        is cancelled and whatever it answers is dropped. A VAD segment skips the gate (VAD found its speech)."""
        if options.vad_segment:
            return await self._asr(samples, language_code, options)
        asr = asyncio.ensure_future(self._asr(samples, language_code, options))
        try:
            speech = await self._has_speech(samples)
        except BaseException:
            asr.cancel()
            raise
        if speech:
            return await asr
        asr.cancel()
        asr.add_done_callback(_drop_outcome)
        return None, None

    async def _has_speech(self, samples) -> bool:
        """The no-speech gate (service/no_speech.py), off the event loop; always true when switched off."""
        config = self.args.no_speech
        return not config.vad_gate or await asyncio.to_thread(has_speech, samples, config)

    def _no_speech(self, samples, selection: LanguageSelection, options: TranscriptionOptions,
                   started: float) -> Transcription:
        """The answer for audio without speech: an empty transcript, no ASR pass, no language identified."""
        language_code = selection.fixed or selection.preferred or selection.candidates[0]
        return Transcription(transcript="", language_code=language_code,
                             model=self._route(language_code, options.domain, options.model).model,
                             duration_s=round(len(samples) / SAMPLE_RATE, 3),
                             processing_time_ms=int((time.perf_counter() - started) * 1000),
                             redactions={} if options.redact is not None else None)

    @staticmethod
    def _output_language(language_code: str, options: TranscriptionOptions) -> str:
        """The language of the text: English after translation, else the language spoken."""
        return "en-IN" if options.task == "translate" else language_code

    async def punctuate_text(self, text: str, language_code: str, itn: bool = False) -> str:
        """The Vakyansh punctuate call: punctuation always, ITN when asked."""
        options = TranscriptionOptions(language_code, format="transcribe" if itn else "verbatim", punctuation=True)
        return await self.post_process(text, language_code, options)

    async def post_process(self, text: str, language_code: str, options: TranscriptionOptions,
                           segments: tuple[Segment, ...] = ()) -> str:
        """Punctuation, then ITN for format=transcribe: the order every surface uses."""
        config = self.args.punctuation
        punctuate = config.default_on if options.punctuation is None else options.punctuation
        if punctuate and config.respect_existing and has_sentence_punctuation(text):
            punctuate = False  # nothing to add: skip the round trip to the punctuation deployment
        if punctuate and text:
            timed = tuple(TimedText(s.start, s.end, s.text) for s in segments)
            text = await self.text.punctuate(PunctuationRequest(text, language_code, timed))
        if options.format == "transcribe" and language_code in ITN_LANGUAGES and text:
            text = await self.text.inverse_normalize(text, language_code, options.itn_native_numerals)
        return text

    def _route(self, language_code: str, domain: str | None = None, model: str | None = None,
               options: TranscriptionOptions | None = None):
        try:
            route = self.router.route(language_code, domain)
        except LanguageCodeError as exc:
            raise BadRequest(str(exc), code="unsupported_language") from exc
        route = dataclasses.replace(route, model=model) if model else route
        if options is not None and options.whisper_only:
            engine = self.args.model(route.model).engine
            if engine not in WHISPER_ENGINES:
                raise BadRequest(f"{', '.join(options.whisper_only)} need a Whisper model; {language_code} is served "
                                 f"by {route.model} ({engine})", code="unsupported_parameter")
        return route

    async def _asr(self, samples, language_code: str, options: TranscriptionOptions):
        route = self._route(language_code, options.domain, options.model, options)
        return await self.backend.transcribe(route.model, self._asr_request(samples, route, options)), route

    @staticmethod
    def _asr_request(samples, route, options: TranscriptionOptions, vad_segment: bool | None = None) -> AsrRequest:
        return AsrRequest(samples, route.asr_language,
                          vad_segment=options.vad_segment if vad_segment is None else vad_segment,
                          task=options.task, prompt=options.prompt, temperature=options.temperature,
                          word_timestamps=options.word_timestamps, writing=route.writing, logprobs=options.logprobs,
                          confidence=options.confidence)

    async def _identify_and_transcribe(self, samples, selection: LanguageSelection, options: TranscriptionOptions):
        """(identification, ASR result or None, route or None) for a comma list of candidates.

        With ``lid.method: decode``, at most ``lid.decode_max_candidates`` candidates and every one served by
        one Whisper model, that model identifies by decoding (asr/whisper_decoding.py) and its transcript comes
        back with the language; otherwise the lid deployment's detector picks, and the caller transcribes."""
        candidates = list(selection.candidates)
        routes = {code: self._route(code, options.domain, options.model, options) for code in candidates}
        models = {route.model for route in routes.values()}
        config = self.args.lid
        if (config.method != "decode" or len(models) != 1 or options.task != "transcribe"
                or len(candidates) > config.decode_max_candidates
                or self.args.model(next(iter(models))).engine not in WHISPER_ENGINES):
            return await self._identify(samples, candidates), None, None
        by_pair: dict[tuple[str, str], str] = {}
        for code, route in routes.items():
            by_pair.setdefault((route.asr_language, route.writing), code)
        request = dataclasses.replace(self._asr_request(samples, next(iter(routes.values())), options),
                                      language=None, candidates=tuple(by_pair))
        model = next(iter(models))
        result = await self.backend.transcribe(model, request)
        code = by_pair.get((result.language, result.writing)) or next(
            (c for (iso, _), c in by_pair.items() if iso == result.language), candidates[0])
        ranking: dict[str, float] = {}
        for (iso, _), candidate in by_pair.items():
            ranking.setdefault(candidate, result.language_scores.get(iso, 0.0))
        ranking = dict(sorted(ranking.items(), key=lambda kv: -kv[1]))
        return LidResult(code, ranking.get(code, 0.0), ranking), result, routes[code]

    async def _identify(self, samples, candidates: list[str]):
        if self.lid is None:
            raise BadRequest("language identification is not configured on this server; send one language_code",
                             code="lid_unavailable")
        return await self.lid.identify(samples, candidates)
