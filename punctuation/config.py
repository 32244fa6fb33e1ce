"""``args.punctuation``: the punctuator and when it runs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sunvai.punctuation.factory import build_punctuator
from sunvai.punctuation.types import PunctuationEngine, PunctuationRequest


class PunctuationConfig(BaseModel):
    """Punctuation of transcripts and the /v1/punctuate endpoint."""

    model_config = ConfigDict(extra="forbid")

    engine: Literal["rules", "transformers"] = "rules"
    source: str | None = Field(None, description="transformers: a token-classification checkpoint (dir or HF id)")
    device: str = "cpu"
    pause_s: float = Field(0.8, gt=0, description="a pause this long between ASR segments ends a sentence")
    respect_existing: bool = Field(True, description="leave text that already has sentence punctuation as it is")
    default_on: bool = Field(True, description="punctuate /stt/v3 transcripts unless the request says otherwise")
    max_batch_size: int = Field(32, ge=1, le=512)
    batch_wait_timeout_s: float = Field(0.005, ge=0, le=5)

    def build(self) -> PunctuationEngine:
        """The configured punctuator, run once so no request pays for its first call."""
        engine = build_punctuator(self.engine, self.source, self.device, self.pause_s, self.respect_existing)
        engine.punctuate_batch([PunctuationRequest("warm up", "en-IN")])
        return engine
