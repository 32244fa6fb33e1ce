"""The ``config`` of a batch job as the official SDK sends it, validated once at creation."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sunvai.language_router.codes import BY_ISO
from sunvai.redaction import KINDS, Redaction

SDK_MODELS = ("gnani-prisma-v2.5",)  # the SDK's default name: the server's own routing picks the model
BIAS_SCORES = (0.0, 0.5, 1.0, 1.5, 2.0)


class BatchJobConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model: str | None = Field(None, description="a served model's name, or the SDK's default (server routing)")
    mode: Literal["transcribe"] = "transcribe"
    language_code: str = Field("en-IN", description="one code, a comma list (identified once per file), or auto")
    with_diarization: bool = False
    num_speakers: int | None = Field(None, ge=1, le=8)
    is_multi_channel: bool = False
    with_denoise: bool = False
    bias_list: list[str] = Field(default_factory=list, max_length=100)
    bias_score: float | None = None
    format: Literal["verbatim", "transcribe"] = Field("verbatim", description="sunvai extension: transcribe applies "
                                                                             "ITN (hi-IN, en-IN), as /stt/v3 does")
    redact: list[str] = Field(default_factory=list, description=f"sunvai extension: pii or entity kinds of "
                                                                 f"{', '.join(KINDS)} (a list or a comma string)")
    redact_style: Literal["tag", "mask"] = "tag"
    profanity_filter: bool = Field(False, description="sunvai extension: listed profanity masked")

    @field_validator("redact", mode="before")
    @classmethod
    def _redact(cls, value):
        names = value.split(",") if isinstance(value, str) else value or []
        names = [str(n).strip().lower() for n in names if str(n).strip()]
        unknown = sorted(set(names) - set(KINDS) - {"pii"})
        if unknown:
            raise ValueError(f"redact: unknown entity kind {', '.join(unknown)}; accepted: pii, {', '.join(KINDS)}")
        return names

    def redaction(self) -> Redaction | None:
        return Redaction.parse(self.redact, self.redact_style)

    @field_validator("bias_score")
    @classmethod
    def _score(cls, value: float | None) -> float | None:
        if value is not None and value not in BIAS_SCORES:
            raise ValueError(f"bias_score must be one of {', '.join(map(str, BIAS_SCORES))}")
        return value

    @field_validator("bias_list")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        return [w.strip() for w in value if w.strip()]

    def unsupported(self) -> list[str]:
        """Options this server does not implement yet (refused with 400, never ignored)."""
        asked = {"with_denoise": self.with_denoise}
        return [name for name, on in asked.items() if on]

    @property
    def diarize(self) -> bool:
        return self.with_diarization or self.num_speakers is not None

    def conflicts(self) -> str | None:
        if self.diarize and self.is_multi_channel:
            return ("with_diarization and is_multi_channel together: each channel is labelled as its own speaker; "
                    "send one of them")
        return None

    def language_list(self) -> str:
        """The language selection for the transcription service: ``auto`` means all ten."""
        return ",".join(BY_ISO.values()) if self.language_code.strip().lower() == "auto" else self.language_code

    def prompt(self) -> str | None:
        """Bias words become Whisper's initial prompt (a bias_score of 0 turns them off)."""
        if not self.bias_list or self.bias_score == 0.0:
            return None
        return ", ".join(self.bias_list) + "."
