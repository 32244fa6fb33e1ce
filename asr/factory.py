"""Build an ASR engine from its configuration (the ``models`` entries of the app args)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sunvai.asr.ctc_lm import CtcLmConfig
from sunvai.asr.model_manifest import whisper_traits
from sunvai.asr.model_store import ModelStore
from sunvai.asr.types import AsrEngine

EngineKind = Literal["whisper-ct2", "whisper-hf", "ctc", "indic-conformer", "fixed-text"]  # fixed-text: a test stand-in
# The longest audio each engine hears in one pass; the service sends longer audio through the long-form path.
WINDOW_S = {"indic-conformer": 15.0}  # IndicConformer drops words past 15 s


class StandIn(BaseModel):
    """The test stand-in engine's settings (see :mod:`sunvai.asr.standin`)."""

    model_config = ConfigDict(extra="forbid")

    text: str
    hold_s: float = Field(0.0, ge=0, le=60, description="each call blocks this long")


class ModelConfig(BaseModel):
    """One ASR model; each becomes its own Serve deployment named ``asr-<name>``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", description="deployment suffix and the `model` in responses")
    engine: EngineKind = "whisper-ct2"
    source: str = Field("packaged:whisper-base", description="packaged:NAME, a local directory, or a Hugging Face id")
    device: str = "cpu"
    compute_type: str = Field("default", description="CTranslate2 compute type: int8, float32, float16, int8_float16…")
    dtype: Literal["float32", "float16", "bfloat16"] = Field("float32", description="torch dtype (whisper-hf, ctc)")
    cpu_threads: int = Field(0, ge=0, description="intra-op threads; 0 lets the runtime choose")
    language: str | None = Field(None, description="ISO code a single-language model transcribes (CTC, a Whisper "
                                                   "fine-tune for one language): its warm-up, and CTC's results")
    fit_encoder_window: Literal["never", "vad_segments", "always"] = Field(
        "never", description="whisper-ct2: run the encoder on the audio's length (+1 s) instead of a fixed 30 s "
                             "window: faster on short clips but outside Whisper's training. vad_segments: only "
                             "for whole utterances cut by the realtime VAD (docs/benchmarks.md, levers)")
    script_lock: Literal["strict", "script+latin", "off"] = Field(
        "strict", description="Whisper's byte-level script lock for Indic languages: strict keeps a transcript to "
        "the language's own script, digits and punctuation (English loanwords written in the script, as Vachana "
        "writes them); script+latin also allows Latin letters; off lets the model drift (whisper-base writes Hindi "
        "in Urdu script). English is Latin, Hinglish Latin + Devanagari under any lock. How each compares: "
        "docs/quality.md. true/false mean strict/off")
    fallback: Literal["loops", "whisper"] = Field(
        "loops", description="Whisper engines: which windows are decoded again (with a repetition penalty, then "
        "sampled at Whisper's temperatures). loops: windows whose text loops; whisper: also windows below an "
        "average log-probability of -1, as OpenAI does (what each costs: docs/quality.md)")
    lm: CtcLmConfig | dict[str, CtcLmConfig] | None = Field(
        None, description="ctc: beam search with a KenLM n-gram model and hotwords (pip install 'sunvai[lm]'); "
        "indic-conformer: one such model per ISO language code ({hi: {path: ...}}), greedy for the others")
    parallel_requests: int = Field(
        1, ge=1, le=16, description="whisper-ct2 on cpu, with max_batch_size 1: requests one replica decodes side by "
        "side. Each model call alone gets all cpu_threads; calls side by side get cpu_threads // parallel_requests "
        "each (a second copy of the weights serves them): one client gets every thread, several the parallelism of "
        "one-thread replicas (docs/benchmarks.md, levers)")
    solo_priority: Literal["normal", "realtime"] = Field(
        "normal", description="whisper-ct2 on cpu: realtime runs a model call that is alone in the replica under "
        "SCHED_FIFO, ahead of every other process, for the first 2 s of a busy stretch, and back to normal the moment "
        "a second call starts beside it (docs/benchmarks.md, levers). Linux with "
        "CAP_SYS_NICE (root outside a container); elsewhere it warns once and runs at normal priority")
    timestamps: bool | None = Field(
        None, description="Whisper engines: the model predicts timestamp tokens. None: as `sunvai models import` "
        "recorded it (most fine-tunes do not; then segment times come from the window and words from alignment)")
    language_token: bool | None = Field(
        None, description="Whisper engines: the model was trained with a language token. None: as recorded by "
        "`sunvai models import` (IndicWhisper's Odia was trained without one)")
    max_batch_size: int = Field(8, ge=1, le=256)
    batch_wait_timeout_s: float = Field(0.02, ge=0, le=5)
    stand_in: StandIn | None = Field(None, description="engine fixed-text only: what the stand-in returns")

    @field_validator("script_lock", mode="before")
    @classmethod
    def _lock_from_bool(cls, value):
        return {True: "strict", False: "off"}.get(value, value) if isinstance(value, bool) else value

    @model_validator(mode="after")
    def _fit_window_needs_ct2(self) -> "ModelConfig":
        if self.fit_encoder_window != "never" and self.engine != "whisper-ct2":
            raise ValueError("fit_encoder_window works only with engine whisper-ct2 (transformers requires 30 s)")
        return self

    @model_validator(mode="after")
    def _parallel_needs_cpu_ct2(self) -> "ModelConfig":
        if self.parallel_requests == 1:
            return self
        if self.engine != "whisper-ct2" or self.device != "cpu":
            raise ValueError("parallel_requests > 1 works only with engine whisper-ct2 on device cpu")
        if self.max_batch_size != 1:
            raise ValueError("parallel_requests > 1 decodes requests side by side instead of batching them: "
                             "set max_batch_size: 1")
        if self.cpu_threads < self.parallel_requests:
            raise ValueError(f"parallel_requests {self.parallel_requests} needs cpu_threads of at least as many "
                             f"(got {self.cpu_threads}): each request side by side gets cpu_threads // "
                             "parallel_requests threads")
        return self

    @model_validator(mode="after")
    def _solo_needs_cpu_ct2(self) -> "ModelConfig":
        if self.solo_priority != "normal" and (self.engine != "whisper-ct2" or self.device != "cpu"):
            raise ValueError("solo_priority realtime works only with engine whisper-ct2 on device cpu")
        return self

    @model_validator(mode="after")
    def _lm_needs_ctc(self) -> "ModelConfig":
        if self.lm is None:
            return self
        if self.engine == "ctc" and not isinstance(self.lm, CtcLmConfig):
            raise ValueError("engine ctc takes one lm (path, alpha, ...): the model writes one language")
        if self.engine == "indic-conformer" and not isinstance(self.lm, dict):
            raise ValueError("engine indic-conformer takes lm per language code: {hi: {path: hi.arpa}, ...}")
        if self.engine not in ("ctc", "indic-conformer"):
            raise ValueError("lm (an n-gram language model) works only with engines ctc and indic-conformer")
        return self

    @property
    def window_s(self) -> float | None:
        """The longest audio one engine call may hear (the service sends longer audio through the long-form
        path); None: the engine windows long audio itself (Whisper)."""
        return WINDOW_S.get(self.engine)

    @model_validator(mode="after")
    def _stand_in_settings(self) -> "ModelConfig":
        if (self.engine == "fixed-text") != (self.stand_in is not None):
            raise ValueError("stand_in is required with engine fixed-text, and only there")
        return self


def build_engine(config: ModelConfig, store: ModelStore | None = None) -> AsrEngine:
    """Resolve the model's files and load the engine; raises ModelUnavailableError."""
    store = store or ModelStore()
    if config.engine == "whisper-ct2":
        from sunvai.asr.whisper_ct2 import load_ct2_whisper

        path = store.resolve(config.source, "ctranslate2")
        return load_ct2_whisper(config.name, str(path), config.device, config.compute_type, config.cpu_threads,
                                config.fit_encoder_window, config.script_lock, config.fallback,
                                parallel_requests=config.parallel_requests,
                                solo_priority=config.solo_priority == "realtime", **_traits(config, path))
    if config.engine == "whisper-hf":
        from sunvai.asr.whisper_hf import load_hf_whisper

        path = store.resolve(config.source, "transformers")
        recorded = store.library_entry(config.source) or path  # a converted library model: its manifest's traits
        return load_hf_whisper(config.name, str(path), config.device, config.dtype, config.cpu_threads,
                               config.script_lock, config.fallback, **_traits(config, recorded))
    if config.engine == "fixed-text":
        from sunvai.asr.standin import FixedTextEngine

        return FixedTextEngine(config.name, config.stand_in.text, config.stand_in.hold_s)
    if config.engine == "indic-conformer":
        from sunvai.asr.indic_conformer import IndicConformerEngine

        path = store.resolve(config.source, "indic-conformer")
        return IndicConformerEngine(config.name, str(path), config.device, config.cpu_threads, config.lm,
                                    config.language)
    from sunvai.asr.ctc import CtcEngine

    path = store.resolve(config.source, "transformers")
    return CtcEngine(config.name, str(path), config.language, config.device, config.cpu_threads, config.lm)


def _traits(config: ModelConfig, path) -> dict[str, bool]:
    """How to prompt a Whisper checkpoint: the config's settings, else what its manifest recorded."""
    recorded = whisper_traits(Path(path))
    return {"timestamps": recorded.timestamps if config.timestamps is None else config.timestamps,
            "language_token": recorded.language_token if config.language_token is None else config.language_token}
