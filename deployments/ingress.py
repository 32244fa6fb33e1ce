"""The ingress: owns HTTP; reaches ASR deployments through handles."""

from __future__ import annotations

import asyncio
import logging
import time

import numpy as np
from ray import serve
from ray.serve.handle import DeploymentHandle

from sunvai.api.app import create_app
from sunvai.api.batch import BatchApi
from sunvai.api.grpc_server import check_message, checked_messages
from sunvai.deployments.calls import DRAIN_S, call_stage
from sunvai.deployments.limits import ServeLimiter
from sunvai.deployments.metrics import RayRecorder, relay_cluster_metrics
from sunvai.api.proto import speech_recognition_pb2 as pb
from sunvai.api.schemas import segments_out
from sunvai.api.vakyansh_protocol import VakyanshApi, error_result, grpc_code
from sunvai.asr.types import AsrRequest, AsrResult
from sunvai.auth.access import AccessControl, Caller
from sunvai.auth.keys import KeyStore
from sunvai.language_router.lid import LidResult
from sunvai.punctuation.types import PunctuationRequest
from sunvai.service.args import AppArgs
from sunvai.service.backend import InProcessTextBackend, TextBackend
from sunvai.service.errors import ServiceError
from sunvai.service.observe import RequestRecord, log_access
from sunvai.service.transcription import TranscriptionOptions, TranscriptionService

log = logging.getLogger("ray.serve")
READY_TIMEOUT_S = 2.0


def _route_access_log_to_serve_logs() -> None:
    """Access lines (one JSON object each) go where Serve writes this replica's log."""
    access = logging.getLogger("sunvai.access")
    access.setLevel(logging.INFO)
    access.propagate = False
    for handler in logging.getLogger("ray.serve").handlers:
        if handler not in access.handlers:
            access.addHandler(handler)


class ServeAsrBackend:
    """:class:`service.backend.AsrBackend` over Serve deployment handles."""

    def __init__(self, handles: dict[str, DeploymentHandle]):
        self.handles = handles

    async def transcribe(self, model: str, request: AsrRequest) -> AsrResult:
        return await call_stage(f"the ASR model {model}", lambda: self.handles[model].transcribe.remote(request))

    async def readiness(self) -> dict[str, bool]:
        names = list(self.handles)
        results = await asyncio.gather(*(_ready(self.handles[n]) for n in names))
        return dict(zip(names, results))


class ServeLidBackend:
    """:class:`service.backend.LidBackend` over the language-ID deployment."""

    def __init__(self, lid: DeploymentHandle):
        self.lid = lid

    async def identify(self, audio: np.ndarray, candidates: list[str]) -> LidResult:
        return await call_stage("language identification", lambda: self.lid.identify.remote((audio, candidates)))

    async def readiness(self) -> dict[str, bool]:
        return {"lid": await _ready(self.lid)}


def _set_status(grpc_context, error: ServiceError) -> None:
    if grpc_context is not None:
        grpc_context.set_code(grpc_code(error))
        grpc_context.set_details(error.message)


async def _ready(handle: DeploymentHandle) -> bool:
    try:
        return await asyncio.wait_for(handle.ready.remote(), READY_TIMEOUT_S)
    except Exception:
        return False


class ServeTextBackend:
    """:class:`service.backend.TextBackend` over the punctuation and ITN deployments."""

    def __init__(self, punctuation: DeploymentHandle, itn: DeploymentHandle):
        self.punctuation = punctuation
        self.itn = itn

    async def punctuate(self, request: PunctuationRequest) -> str:
        return await call_stage("punctuation", lambda: self.punctuation.punctuate.remote(request))

    async def inverse_normalize(self, text: str, language_code: str, native_numerals: bool) -> str:
        return await call_stage("inverse text normalization",
                                lambda: self.itn.normalize.remote((text, language_code, native_numerals)))

    async def readiness(self) -> dict[str, bool]:
        punctuation, itn = await asyncio.gather(_ready(self.punctuation), _ready(self.itn))
        return {"punctuation": punctuation, "itn": itn}


def stage_backends(args: AppArgs, asr: dict[str, DeploymentHandle], lid: DeploymentHandle | None,
                   punctuation: DeploymentHandle | None,
                   itn: DeploymentHandle | None) -> tuple[ServeAsrBackend, TextBackend, ServeLidBackend]:
    """The service's ASR, text and LID backends over the graph's handles. Stages the config keeps out of
    deployments of their own have no handle: ``text_stages: ingress`` runs punctuation and ITN in this
    replica, and ``lid.asr_model`` asks that model's ASR replicas to identify languages."""
    if args.text_stages == "ingress":
        text = InProcessTextBackend.warmed(args.punctuation.build())
    else:
        text = ServeTextBackend(punctuation, itn)
    return ServeAsrBackend(asr), text, ServeLidBackend(asr[args.lid.asr_model] if args.lid.asr_model else lid)


@serve.deployment(ray_actor_options={"num_cpus": 0.25}, max_ongoing_requests=64, graceful_shutdown_timeout_s=DRAIN_S)
@serve.ingress()
class Ingress:
    """HTTP ingress, the Vakyansh gRPC methods, and the Python entry point for ``serve.get_app_handle``.

    The gRPC methods are named exactly like the RPCs of ``ekstep.speech_recognition.SpeechRecognizer``:
    Serve's gRPC proxy calls the method named by the last segment of the RPC's path.
    """

    def __init__(self, args: dict, asr: dict[str, DeploymentHandle], lid: DeploymentHandle | None,
                 punctuation: DeploymentHandle | None, itn: DeploymentHandle | None,
                 batch: DeploymentHandle | None = None, limits: DeploymentHandle | None = None):
        self.args = AppArgs.model_validate(args)
        self.batch_workers = batch  # the batch deployment (args.batch); jobs reach it through the store
        access = AccessControl(None)
        if self.args.auth.enabled:  # keys from the shared database; counts in the limits deployment
            access = AccessControl(KeyStore(self.args.database_url()), ServeLimiter(limits), self.args.auth.cache_s)
        self.service = TranscriptionService(self.args, *stage_backends(self.args, asr, lid, punctuation, itn), access)
        self.vakyansh = VakyanshApi(self.service)
        self.batch = BatchApi.open(self.service) if self.args.batch.enabled else None
        self.recorder = RayRecorder()
        _route_access_log_to_serve_logs()

    def __serve_build_asgi_app__(self):
        app = create_app(self.service, self.vakyansh, self.batch, recorder=self.recorder,
                         metrics_source=relay_cluster_metrics)
        self.recorder.load = lambda: {"in_flight": self.service.in_flight,
                                      "open_streams": app.state.stream_limiter.total}
        return app

    # --- Vakyansh gRPC (Serve's gRPC proxy, grpc_options in the config) -------------------
    async def _authenticate(self, grpc_context) -> Caller | None:
        """The caller of a gRPC method from its metadata (sets :data:`current_caller` for this call).

        No ``grpc_context``: a Python handle call, which is not checked."""
        if grpc_context is None:
            return None
        metadata = {str(k).lower(): str(v) for k, v in grpc_context.invocation_metadata()}
        return await self.service.access.enter(metadata, "vakyansh")

    async def recognize(self, request: pb.SpeechRecognitionRequest, grpc_context=None) -> pb.SpeechRecognitionResult:
        started, status, caller = time.perf_counter(), 200, None
        try:
            caller = await self._authenticate(grpc_context)
            return await self.vakyansh.recognize(check_message(request))
        except ServiceError as error:
            status = error.status
            _set_status(grpc_context, error)
            return error_result(error)
        finally:
            language = getattr(getattr(getattr(request, "config", None), "language", None), "sourceLanguage", -1)
            record = RequestRecord("vakyansh_grpc", status, time.perf_counter() - started,
                                   pb.Language.LanguageCode.Name(language)
                                   if language in pb.Language.LanguageCode.values() else "unknown",
                                   key_name=caller.name if caller else "")
            self.recorder.record(record)
            log_access(record)

    async def punctuate(self, request: pb.PunctuateRequest, grpc_context=None) -> pb.PunctuateResponse:
        try:
            await self._authenticate(grpc_context)
            return await self.vakyansh.punctuate(check_message(request))
        except ServiceError as error:
            _set_status(grpc_context, error)
            return pb.PunctuateResponse()

    async def recognize_audio(self, messages, grpc_context=None):
        """Bidirectional stream; ``x-interim-results: true`` metadata adds ``partial`` responses."""
        metadata = dict(grpc_context.invocation_metadata()) if grpc_context is not None else {}
        interim = str(metadata.get("x-interim-results", "")).lower() in ("1", "true", "yes")
        try:
            caller = await self._authenticate(grpc_context)
            slot = await self.service.access.open_stream(caller)
            try:
                async for response in self.vakyansh.recognize_audio(checked_messages(messages), interim=interim):
                    yield response
            finally:
                await slot.close()
        except ServiceError as error:
            # A streaming method ends with a status by raising after setting it (Serve keeps the code).
            _set_status(grpc_context, error)
            raise

    def open_vakyansh_streams(self) -> int:
        """recognize_audio streams in progress on this replica (tests check nothing is left behind)."""
        return self.vakyansh.open_streams

    async def transcribe(
        self,
        audio: bytes,
        language_code: str,
        preferred_language: str | None = None,
        format: str = "verbatim",
        itn_native_numerals: bool = False,
        punctuation: bool | None = None,
        word_timestamps: bool = False,
    ) -> dict:
        """Transcribe audio bytes (any accepted format) from Python.

        ``serve.get_app_handle("sunvai").transcribe.remote(data, "hi-IN")`` returns
        a dict with ``transcript``, ``language_code``, ``model``, ``duration_s``,
        ``processing_time_ms`` and ``segments`` (with ``words`` when ``word_timestamps``); bad input raises
        :class:`service.errors.ServiceError` with a status and a message.
        """
        options = TranscriptionOptions(language_code, preferred_language, format, itn_native_numerals, punctuation,
                                       word_timestamps=word_timestamps)
        result = await self.service.transcribe_bytes(audio, options)
        return {
            "transcript": result.transcript,
            "language_code": result.language_code,
            "model": result.model,
            "duration_s": result.duration_s,
            "processing_time_ms": result.processing_time_ms,
            "segments": [s.model_dump(exclude_none=True) for s in segments_out(result.segments, word_timestamps)],
            "language_confidence": result.language_confidence,
            "language_runner_up": result.language_runner_up,
        }
