"""The application arguments: one pydantic model, passed as ``applications[].args``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sunvai.asr.factory import ModelConfig
from sunvai.auth.config import AuthConfig
from sunvai.batch.config import BatchConfig
from sunvai.diarization.types import DiarizationConfig
from sunvai.language_router.codes import LANGUAGES, canonical_code
from sunvai.language_router.config import LidConfig
from sunvai.language_router.routing import RoutingPolicy
from sunvai.punctuation.config import PunctuationConfig
from sunvai.service.fetch import FetchConfig
from sunvai.service.longform import LongformConfig
from sunvai.service.no_speech import NoSpeechConfig


WHISPER_ENGINES = ("whisper-ct2", "whisper-hf")


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_audio_duration_s: float = Field(60.0, gt=0, description="longest clip /stt/v3 accepts")
    max_upload_bytes: int = Field(50 * 1024 * 1024, gt=0, description="largest request body accepted (413 above)")
    max_concurrent_requests: int = Field(
        64, ge=1, description="transcription requests one ingress replica works on at once; beyond that a request "
                              "is refused at once with 503 and Retry-After instead of waiting in a queue. Size it "
                              "from the ASR replicas' capacity (replicas x max_ongoing_requests, plus their queue)")


class StreamingConfig(BaseModel):
    """The realtime WebSocket: voice activity detection, limits and timeouts."""

    model_config = ConfigDict(extra="forbid")

    max_streams: int = Field(32, ge=1, description="concurrent streams per ingress replica")
    max_streams_per_key: int = Field(8, ge=1, description="concurrent streams per API key (per replica); streams "
                                     "without a key count only against max_streams")
    idle_timeout_s: float = Field(30.0, gt=0, description="close a stream that sends nothing for this long")
    max_frame_bytes: int = Field(64 * 1024, gt=0)
    max_inflight_segments: int = Field(4, ge=1, description="segments awaiting ASR before reading pauses")
    vad_threshold: float = Field(0.5, gt=0, lt=1)
    min_silence_ms: int = Field(500, ge=100, description="silence that closes a segment")
    max_segment_s: float = Field(15.0, gt=1, le=60, description="a segment is closed at this length")
    pad_ms: int = Field(400, ge=0, le=1000, description="audio kept before and after each segment")
    interim_interval_s: float = Field(1.0, gt=0.1, description="partial transcripts this often when asked")


class AppArgs(BaseModel):
    """Everything ``graph:build_app`` needs to build the deployment graph."""

    model_config = ConfigDict(extra="forbid")

    models: list[ModelConfig] = Field(default_factory=lambda: [ModelConfig(name="whisper-base")])
    languages: dict[str, str] = Field(
        default_factory=dict, description="language code -> model name; unlisted codes use fallback_model"
    )
    fallback_model: str | None = Field("whisper-base", description="model for languages not in `languages`")
    domains: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="domain -> (language code -> model): domain-specific models")
    lid: LidConfig = Field(default_factory=LidConfig)
    punctuation: PunctuationConfig = Field(default_factory=PunctuationConfig)
    streaming: StreamingConfig = Field(default_factory=StreamingConfig)
    limits: Limits = Field(default_factory=Limits)
    longform: LongformConfig = Field(default_factory=LongformConfig)
    no_speech: NoSpeechConfig = Field(default_factory=NoSpeechConfig)
    fetch: FetchConfig = Field(default_factory=FetchConfig)
    batch: BatchConfig = Field(default_factory=BatchConfig)
    auth: AuthConfig = Field(default_factory=AuthConfig)
    diarization: DiarizationConfig = Field(default_factory=DiarizationConfig)
    model_cache_dir: str | None = Field(None, description="where prepared model files are cached")
    text_stages: Literal["deployments", "ingress"] = Field(
        "deployments", description="where punctuation and ITN run. deployments: each in its own deployment, scaled "
        "on its own (clusters; a transformers punctuator). ingress: inside each ingress and batch replica, with no "
        "deployment of their own: the rules and ITN take well under a millisecond, and each replica is a process "
        "with its own memory, start-up and idle wake-ups (docs/benchmarks.md, levers). Rules punctuation only")
    background_niceness: int = Field(
        0, ge=0, le=19, description="Unix nice of the replicas whose work is small or can wait (punctuation, "
        "ITN, key limits, batch workers); the local launcher also sets it on Ray's own processes (GCS, Serve's "
        "controller, dashboard agent, log monitor). On a small CPU machine 19 keeps their periodic wake-ups from "
        "pre-empting a decode (docs/benchmarks.md, levers). 0 leaves them as Ray starts them. The ingress, the proxy and the ASR and LID replicas are never lowered")

    @model_validator(mode="after")
    def _check_references(self) -> AppArgs:
        names = [m.name for m in self.models]
        if len(set(names)) != len(names):
            raise ValueError(f"model names must be unique: {names}")
        if not names:
            raise ValueError("configure at least one model")
        self.languages = {canonical_code(code): model for code, model in self.languages.items()}
        for code, model in self.languages.items():
            if model not in names:
                raise ValueError(f"language {code} routes to unknown model {model!r}; models: {names}")
        self.domains = {domain.lower(): {canonical_code(c): m for c, m in routes.items()}
                        for domain, routes in self.domains.items()}
        for domain, routes in self.domains.items():
            for code, model in routes.items():
                if model not in names:
                    raise ValueError(f"domain {domain} routes {code} to unknown model {model!r}; models: {names}")
        if self.fallback_model is not None and self.fallback_model not in names:
            raise ValueError(f"fallback_model {self.fallback_model!r} is not among models: {names}")
        if self.lid.asr_model is not None:
            if self.lid.asr_model not in names:
                raise ValueError(f"lid.asr_model {self.lid.asr_model!r} is not among models: {names}")
            if self.model(self.lid.asr_model).engine not in WHISPER_ENGINES:
                raise ValueError(f"lid.asr_model {self.lid.asr_model!r} must be a Whisper model ("
                                 f"{', '.join(WHISPER_ENGINES)}); it is {self.model(self.lid.asr_model).engine}")
        if self.text_stages == "ingress" and self.punctuation.engine != "rules":
            raise ValueError("text_stages: ingress runs rules punctuation only; a punctuation model "
                             f"({self.punctuation.engine}) needs text_stages: deployments")
        for model, pairs in self.routing().served_languages().items():
            latin = [iso for iso, writing in pairs if iso == "en" or writing != "native"]
            if self.model(model).engine == "indic-conformer" and latin:
                raise ValueError(
                    f"model {model!r} (indic-conformer) writes Indic scripts only, but English or Hinglish route to "
                    "it (Hinglish follows hi-IN unless listed): route en-IN, en-hi-in-cm and en-hi-IN-latn to a "
                    "Whisper model in `languages`")
        if self.fallback_model is None:
            missing = [c for c in LANGUAGES if c not in self.languages and not c.startswith("en-hi-")]
            if missing:
                raise ValueError(f"no model for {', '.join(missing)}: route them or set fallback_model")
        return self

    def database_url(self) -> str:
        """The database of batch jobs and API keys."""
        return self.auth.database_url or self.batch.url()

    def model(self, name: str) -> ModelConfig:
        return next(m for m in self.models if m.name == name)

    def routing(self) -> RoutingPolicy:
        """Which model serves each language code and domain."""
        return RoutingPolicy(self.languages, self.fallback_model, self.domains)
