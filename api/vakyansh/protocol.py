"""The Vakyansh open speech API on the service: proto messages in, proto messages out.

One code path for both wire forms: the gRPC methods on the ingress pass the
messages the proxy decoded, and the REST routes parse gRPC-JSON into the same
messages (``google.protobuf.json_format``). Every unsupported value is a
:class:`BadRequest` naming what is accepted; surfaces turn it into
``INVALID_ARGUMENT`` (gRPC) or a 400 with the gRPC-JSON error body (REST).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from dataclasses import dataclass, field
from typing import AsyncIterator

import numpy as np

from sunvai.api.admission import AdmissionControl
from sunvai.api.vakyansh.proto import speech_recognition_pb2 as pb
from sunvai.asr.types import SAMPLE_RATE
from sunvai.audio import AudioDecodeError
from sunvai.audio.pcm import looks_like_container, pcm_to_float
from sunvai.auth.access import current_caller
from sunvai.errors import BadRequest, ServiceError
from sunvai.language_router.codes import BY_ISO, LanguageCodeError, canonical_code
from sunvai.redaction import Redaction
from sunvai.service.fetch import AudioFetcher
from sunvai.service.subtitles import to_srt
from sunvai.service.transcription import Transcription, TranscriptionOptions, TranscriptionService

log = logging.getLogger(__name__)
Config = pb.RecognitionConfig

# Vakyansh LanguageCode names for the languages sunvai serves (hi_en is Hinglish).
VAKYANSH_LANGUAGES = {**BY_ISO, "hi_en": "en-hi-in-cm"}
MAX_ALTERNATIVES = 5


ENCODINGS = {"linear": None, "pcm": None, "mulaw": "pcmu", "ulaw": "pcmu", "pcmu": "pcmu", "alaw": "pcma",
             "pcma": "pcma"}


@dataclass(frozen=True)
class Extensions:
    """What the proto has no field for, from gRPC metadata or HTTP headers (lower-case names):
    ``x-redact`` / ``x-redact-style``, ``x-audio-encoding`` (raw 8-bit audio that is G.711: mulaw, alaw) and, for
    the stream, ``x-profanity-filter``."""

    redaction: Redaction | None = None
    law: str | None = None
    profanity_filter: bool = False  # recognize_audio only: recognize has the proto's profanityFilter

    @classmethod
    def parse(cls, metadata: dict[str, str] | None) -> Extensions:
        metadata = metadata or {}
        encoding = str(metadata.get("x-audio-encoding", "linear")).strip().lower()
        if encoding not in ENCODINGS:
            raise BadRequest(f"x-audio-encoding must be one of linear, mulaw, alaw, got {encoding!r}",
                             code="invalid_audio_encoding")
        profanity = str(metadata.get("x-profanity-filter", "false")).strip().lower() in ("1", "true", "yes")
        return cls(Redaction.parse(metadata.get("x-redact"), metadata.get("x-redact-style")), ENCODINGS[encoding],
                   profanity)


def language_from_vakyansh(value: str) -> str:
    """A Vakyansh language name ("hi", "hi_en") or one of our codes -> our canonical code."""
    key = value.strip().lower()
    if key in VAKYANSH_LANGUAGES:
        return VAKYANSH_LANGUAGES[key]
    try:
        return canonical_code(value)
    except LanguageCodeError:
        served = ", ".join(sorted(VAKYANSH_LANGUAGES))
        raise BadRequest(f"language {value!r} is not served here; served Vakyansh languages: {served}",
                         code="invalid_language") from None


@dataclass(frozen=True)
class AudioSettings:
    rate: int
    bits: int
    channels: int
    law: str | None = None  # raw 8-bit G.711: pcmu (mu-law) or pcma (A-law)


class VakyanshApi:
    def __init__(self, service: TranscriptionService, admission: AdmissionControl, fetcher: AudioFetcher | None = None):
        self.service = service
        self.admission = admission  # shared with the replica's HTTP surfaces
        self.fetcher = fetcher or AudioFetcher(service.args.fetch)
        self.open_streams = 0  # recognize_audio streams in progress (state is per stream)

    # --- punctuate -------------------------------------------------------------
    async def punctuate(self, request: pb.PunctuateRequest) -> pb.PunctuateResponse:
        if len(request.text) > 20_000:
            raise BadRequest("text: at most 20000 characters", code="text_too_long")
        code = language_from_vakyansh(request.language)
        text = await self.service.punctuate_text(request.text, code, itn=request.enabledItn)
        return pb.PunctuateResponse(text=text, language=request.language)

    # --- recognize -------------------------------------------------------------
    async def recognize(self, request: pb.SpeechRecognitionRequest,
                        metadata: dict[str, str] | None = None) -> pb.SpeechRecognitionResult:
        """``metadata``: gRPC metadata or HTTP headers, lower-case, for what the proto has no field for
        (:class:`Extensions`)."""
        config = request.config
        extensions = Extensions.parse(metadata)
        language_code = self._language(config)
        output_format = config.transcriptionFormat.value if config.HasField("transcriptionFormat") else 0
        options = dataclasses.replace(self._options(config, language_code, output_format),
                                      redact=extensions.redaction)
        settings = dataclasses.replace(self._audio_settings(config), law=extensions.law)
        if not request.audio:
            raise BadRequest("the request has no audio: send one or more RecognitionAudio with audioContent or "
                             "audioUri", code="empty_audio")
        total = sum(len(a.audioContent) for a in request.audio)
        if total > self.service.args.limits.max_upload_bytes:
            raise BadRequest(f"audioContent totals {total} bytes; the limit is "
                             f"{self.service.args.limits.max_upload_bytes} bytes: send long audio as audioUri",
                             code="payload_too_large")
        async with self.admission.admitted():
            return await self._recognize(request, config, language_code, options, settings, output_format)

    async def _recognize(self, request: pb.SpeechRecognitionRequest, config: pb.RecognitionConfig, language_code: str,
                         options: TranscriptionOptions, settings: AudioSettings,
                         output_format: int) -> pb.SpeechRecognitionResult:
        samples = await asyncio.gather(*(self._samples(a, settings, n) for n, a in enumerate(request.audio)))
        outputs = []
        for audio in samples:
            if output_format == Config.alternatives:
                outputs.append(pb.SpeechRecognitionResult.Output(source=await self._alternatives(audio, options)))
                continue
            result = await self.service.transcribe_any_length(audio, options)
            outputs.append(pb.SpeechRecognitionResult.Output(source=self._render(result, output_format,
                                                                                 config.detailed)))
        heard = any(o.source.strip() for o in outputs)
        response = pb.SpeechRecognitionResult(
            status=pb.SpeechRecognitionResult.SUCCESS if heard else pb.SpeechRecognitionResult.NO_MATCH,
            output=outputs)
        if config.detailed:
            response.config.CopyFrom(pb.RecognitionDetails(
                language=config.language, samplingRate=settings.rate, bitsPerSample=settings.bits, channelTag=1))
        return response

    def _language(self, config: pb.RecognitionConfig) -> str:
        try:
            name = pb.Language.LanguageCode.Name(config.language.sourceLanguage)
        except ValueError:
            name = str(config.language.sourceLanguage)
        if name not in VAKYANSH_LANGUAGES:
            served = ", ".join(sorted(VAKYANSH_LANGUAGES))
            raise BadRequest(f"language {name!r} is not served by this server (no model for it); served: {served}",
                             code="unsupported_language")
        return VAKYANSH_LANGUAGES[name]

    def _options(self, config: pb.RecognitionConfig, language_code: str, output_format: int) -> TranscriptionOptions:
        domains = [Config.Domain.Name(d) for d in config.domain if d != Config.GENERAL]
        if len(domains) > 1:
            raise BadRequest(f"send at most one domain besides GENERAL, got {', '.join(domains)}",
                             code="invalid_domain")
        return TranscriptionOptions(
            language_code,
            format="transcribe" if config.enableInverseTextNormalization else "verbatim",
            punctuation=config.punctuation if config.HasField("punctuation") else False,
            domain=domains[0].lower() if domains else None,
            word_timestamps=config.detailed,  # detailed output carries each segment's words (and confidences)
            timed_segments=config.detailed or output_format == Config.srt,  # the plain transcript shows no times
            profanity_filter=config.profanityFilter,
        )

    @staticmethod
    def _audio_settings(config: pb.RecognitionConfig) -> AudioSettings:
        rate = config.samplingRate if config.HasField("samplingRate") else SAMPLE_RATE
        bits = 8 if config.bitsPerSample == Config.eight else 16
        channels = 2 if config.channel == Config.stereo else 1
        return AudioSettings(int(rate), bits, channels)

    async def _samples(self, audio: pb.RecognitionAudio, settings: AudioSettings, index: int) -> np.ndarray:
        if audio.HasField("audioContent") and audio.audioContent:
            data = audio.audioContent
        elif audio.HasField("audioUri") and audio.audioUri:
            data = (await self.fetcher.fetch(audio.audioUri)).data
        else:
            raise BadRequest(f"audio[{index}] is empty: set audioContent (PCM or an audio file) or audioUri",
                             code="empty_audio")
        if looks_like_container(data):
            return (await self.service.decode_long(data)).samples
        try:
            samples = await asyncio.to_thread(pcm_to_float, data, settings.rate, settings.bits, settings.channels,
                                              settings.law)
        except AudioDecodeError as exc:
            raise BadRequest(f"audio[{index}]: {exc.message}", code=exc.code) from exc
        limit = self.service.args.longform.max_duration_s
        if len(samples) > limit * SAMPLE_RATE:
            raise BadRequest(f"audio[{index}] is {len(samples) / SAMPLE_RATE:.0f} s long; the limit is {limit:g} s",
                             code="audio_too_long")
        await self.service.access.charge_audio(current_caller.get(), len(samples) / SAMPLE_RATE)
        return samples

    async def _alternatives(self, audio: np.ndarray, options: TranscriptionOptions) -> str:
        texts = await self.service.alternatives(audio, options, MAX_ALTERNATIVES)
        return json.dumps({"alternatives": [{"transcript": t, "rank": i} for i, t in enumerate(texts, start=1)]},
                          ensure_ascii=False)

    @staticmethod
    def _render(result: Transcription, output_format: int, detailed: bool) -> str:
        if output_format == Config.srt:
            return to_srt(result.segments)
        if detailed:
            return json.dumps({
                "transcript": result.transcript,
                "segments": [{"startTime": f"{s.start:.3f}", "endTime": f"{s.end:.3f}", "text": s.text,
                              **({"confidence": s.confidence} if s.confidence is not None else {}),
                              "words": [{"word": w.text, "startTime": f"{w.start:.3f}", "endTime": f"{w.end:.3f}",
                                         **({"confidence": w.probability} if w.probability is not None else {})}
                                        for w in s.words]}
                             for s in result.segments],
            }, ensure_ascii=False)
        return result.transcript

    # --- recognize_audio (bidirectional stream) --------------------------------
    async def recognize_audio(self, messages: AsyncIterator[pb.Message], interim: bool = False,
                              extensions: Extensions | None = None) -> AsyncIterator[pb.Response]:
        """Vakyansh streaming: buffer while ``speaking``, one final per utterance, ``isEnd`` terminates.
        ``extensions``: redaction and the profanity filter from the call's metadata (x-redact,
        x-profanity-filter), applied to partials and finals.

        State lives in this generator only, per ``user``: two streams never share it, and it is
        gone when the stream ends, however it ends.
        """
        users: dict[str, _UserState] = {}
        extensions = extensions or Extensions()
        config = self.service.args.streaming
        max_bytes = int(config.max_segment_s * 2 * SAMPLE_RATE * 2)  # ceiling per utterance, 16-bit PCM
        self.open_streams += 1
        try:
            async for message in messages:
                state = users.setdefault(message.user, _UserState())
                language = message.language or state.language or "en"
                state.language = language
                code = language_from_vakyansh(language)
                if message.isEnd:
                    users.pop(message.user, None)
                    yield pb.Response(transcription=json.dumps({"id": message.user, "success": True}),
                                      user=message.user, language=language, action="terminate")
                    continue
                state.buffer += message.audio
                if message.speaking and len(state.buffer) < max_bytes:
                    if interim and len(state.buffer) - state.interim_at >= config.interim_interval_s * 2 * SAMPLE_RATE:
                        state.interim_at = len(state.buffer)
                        text = await self._utterance(bytes(state.buffer), code, extensions, punctuation=False)
                        yield self._response(message.user, language, state.finals + [text], "partial")
                    continue
                # speaking ended (or the utterance reached its ceiling): transcribe it as one final
                if state.buffer:
                    text = await self._utterance(bytes(state.buffer), code, extensions)
                    if text:
                        state.finals.append(text)
                state.buffer, state.interim_at = bytearray(), 0
                yield self._response(message.user, language, state.finals, "True")
        finally:
            self.open_streams -= 1
            users.clear()

    async def _utterance(self, pcm: bytes, code: str, extensions: Extensions,
                         punctuation: bool | None = None) -> str:
        try:
            samples = pcm_to_float(pcm[: len(pcm) - len(pcm) % 2])
        except AudioDecodeError:
            return ""
        await self.service.access.charge_audio(current_caller.get(), len(samples) / SAMPLE_RATE)
        options = TranscriptionOptions(code, punctuation=punctuation, redact=extensions.redaction,
                                       profanity_filter=extensions.profanity_filter)
        result = await self.service.transcribe_any_length(samples, options)
        return result.transcript

    @staticmethod
    def _response(user: str, language: str, finals: list[str], action: str) -> pb.Response:
        body = {"transcription": " ".join(t for t in finals if t), "id": user, "success": True}
        return pb.Response(transcription=json.dumps(body, ensure_ascii=False), user=user, language=language,
                           action=action)


@dataclass
class _UserState:
    buffer: bytearray = field(default_factory=bytearray)
    finals: list[str] = field(default_factory=list)
    language: str = ""
    interim_at: int = 0


def grpc_code(error: ServiceError):
    """The gRPC status for a service error."""
    import grpc

    return {400: grpc.StatusCode.INVALID_ARGUMENT, 401: grpc.StatusCode.UNAUTHENTICATED,
            403: grpc.StatusCode.PERMISSION_DENIED, 413: grpc.StatusCode.INVALID_ARGUMENT,
            429: grpc.StatusCode.RESOURCE_EXHAUSTED, 503: grpc.StatusCode.UNAVAILABLE}.get(
        error.status, grpc.StatusCode.INTERNAL)


def error_result(error: ServiceError) -> pb.SpeechRecognitionResult:
    return pb.SpeechRecognitionResult(status=pb.SpeechRecognitionResult.ERROR, status_text=error.message)
