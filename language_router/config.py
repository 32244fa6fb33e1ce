"""``args.lid``: how languages are identified when a request names several."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class LidConfig(BaseModel):
    """Audio language identification for comma-separated language lists."""

    model_config = ConfigDict(extra="forbid")

    engine: Literal["whisper", "ecapa", "speechbrain", "first-candidate"] = Field(
        "whisper", description="ecapa: VoxLingua107 ECAPA in plain torch (language_router/ecapa.py); speechbrain: the "
        "same model through SpeechBrain, where it imports; first-candidate is a test stand-in, not a model")
    source: str = Field("packaged:whisper-base",
                        description="whisper: a Whisper model reference; ecapa: a library model (sunvai models pull "
                                    "speechbrain/lang-id-voxlingua107-ecapa) or a folder with its four files; "
                                    "speechbrain: a local dir or HF id of a VoxLingua107 classifier")
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = Field(0, ge=0)
    max_batch_size: int = Field(16, ge=1, le=256)
    batch_wait_timeout_s: float = Field(0.01, ge=0, le=5)
    method: Literal["detector", "decode"] = Field(
        "detector", description="detector: the lid deployment's language token probabilities. decode: where every "
        "candidate is served by one Whisper model, that model decodes the first window in each candidate language "
        "(one encoder pass) and the most likely transcript wins and is the transcript. The detector stays the default: "
        "decode is surer on pairs of languages and less sure of English (docs/language-id.md)")
    decode_max_candidates: int = Field(
        2, ge=1, le=12, description="method decode: at most this many candidates are decoded (each is a decoder "
        "pass): longer lists go to the detector (docs/language-id.md)")
    text_check: bool = Field(True, description="re-route once when the transcript is clearly another candidate's")
    asr_model: str | None = Field(
        None, description="the name of a configured Whisper model whose ASR replicas also identify languages, with "
        "the weights they already hold: no lid deployment and no second copy of a model (engine, source, device, "
        "compute_type and cpu_threads are then unused). None: the lid deployment, with its own model")
    stand_in_hold_s: float = Field(0.0, ge=0, le=60, description="engine first-candidate: each call blocks this long")
