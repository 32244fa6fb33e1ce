"""The ingress: owns HTTP; reaches ASR deployments through handles."""

from __future__ import annotations

import logging
import time

from ray import serve
from ray.serve.handle import DeploymentHandle

from sunvai.api.admission import AdmissionControl
from sunvai.api.app import create_app
from sunvai.api.schemas import TranscriptionBody
from sunvai.api.vachana.batch import BatchApi
from sunvai.api.vakyansh.grpc import check_message, checked_messages
from sunvai.api.vakyansh.proto import speech_recognition_pb2 as pb
from sunvai.api.vakyansh.protocol import Extensions, VakyanshApi, error_result, grpc_code
from sunvai.auth.access import Caller
from sunvai.deployments.backends import build_service
from sunvai.deployments.calls import DRAIN_S
from sunvai.deployments.metrics import RayRecorder, relay_cluster_metrics
from sunvai.errors import ServiceError
from sunvai.redaction import Redaction
from sunvai.service.args import AppArgs
from sunvai.service.observe import RequestRecord, log_access
from sunvai.service.transcription import TranscriptionOptions

log = logging.getLogger("ray.serve")


def _route_access_log_to_serve_logs() -> None:
    """Access lines (one JSON object each) go where Serve writes this replica's log."""
    access = logging.getLogger("sunvai.access")
    access.setLevel(logging.INFO)
    access.propagate = False
    for handler in logging.getLogger("ray.serve").handlers:
        if handler not in access.handlers:
            access.addHandler(handler)


def _set_status(grpc_context, error: ServiceError) -> None:
    if grpc_context is not None:
        grpc_context.set_code(grpc_code(error))
        grpc_context.set_details(error.message)


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
        self.service = build_service(self.args, asr, lid, punctuation, itn, limits)
        self.admission = AdmissionControl(self.args.limits.max_concurrent_requests)  # HTTP and gRPC alike
        self.vakyansh = VakyanshApi(self.service, self.admission)
        self.batch = BatchApi.open(self.service) if self.args.batch.enabled else None
        self.recorder = RayRecorder()
        _route_access_log_to_serve_logs()

    def __serve_build_asgi_app__(self):
        app = create_app(self.service, self.vakyansh, self.batch, recorder=self.recorder,
                         metrics_source=relay_cluster_metrics, admission=self.admission)
        self.recorder.load = lambda: {"in_flight": self.admission.in_flight,
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
            metadata = {str(k).lower(): str(v) for k, v in grpc_context.invocation_metadata()} if grpc_context else {}
            return await self.vakyansh.recognize(check_message(request), metadata)
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
        metadata = {str(k).lower(): str(v) for k, v in grpc_context.invocation_metadata()} if grpc_context else {}
        interim = str(metadata.get("x-interim-results", "")).lower() in ("1", "true", "yes")
        try:
            caller = await self._authenticate(grpc_context)
            extensions = Extensions.parse(metadata)
            slot = await self.service.access.open_stream(caller)
            try:
                async for response in self.vakyansh.recognize_audio(checked_messages(messages), interim=interim,
                                                                     extensions=extensions):
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
        redact: str | None = None,
        redact_style: str | None = None,
        profanity_filter: bool = False,
        confidence: bool = False,
    ) -> dict:
        """Transcribe audio bytes (any accepted format) from Python.

        ``serve.get_app_handle("sunvai").transcribe.remote(data, "hi-IN")`` returns the body of a ``/stt/v3``
        answer without its request id and timestamp (:class:`api.schemas.TranscriptionBody` as a dict:
        ``transcript``, ``language_code``, ``model``, ``duration_s``, ``processing_time_ms``, ``segments``
        with ``words`` when ``word_timestamps``, the language fields when identified); bad input raises
        :class:`sunvai.errors.ServiceError` with a status and a message. ``redact`` (pii or a comma list of
        kinds), ``redact_style`` (tag or mask) and ``profanity_filter`` as on ``/stt/v3``.
        """
        options = TranscriptionOptions(language_code, preferred_language, format, itn_native_numerals, punctuation,
                                       word_timestamps=word_timestamps, redact=Redaction.parse(redact, redact_style),
                                       profanity_filter=profanity_filter, confidence=confidence)
        result = await self.service.transcribe_bytes(audio, options)
        return TranscriptionBody.of(result, word_timestamps).model_dump(exclude_none=True)
