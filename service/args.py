"""The application arguments: one pydantic model, passed as ``applications[].args``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from asr.factory import ModelConfig
from language_router.codes import LANGUAGES, canonical_code


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_audio_duration_s: float = Field(60.0, gt=0, description="longest clip /stt/v3 accepts")
    max_upload_bytes: int = Field(50 * 1024 * 1024, gt=0, description="largest request body accepted (413 above)")


class AppArgs(BaseModel):
    """Everything ``graph:build_app`` needs to build the deployment graph."""

    model_config = ConfigDict(extra="forbid")

    models: list[ModelConfig] = Field(default_factory=lambda: [ModelConfig(name="whisper-base")])
    languages: dict[str, str] = Field(
        default_factory=dict, description="language code -> model name; unlisted codes use fallback_model"
    )
    fallback_model: str | None = Field("whisper-base", description="model for languages not in `languages`")
    limits: Limits = Field(default_factory=Limits)
    model_cache_dir: str | None = Field(None, description="where prepared model files are cached")

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
        if self.fallback_model is not None and self.fallback_model not in names:
            raise ValueError(f"fallback_model {self.fallback_model!r} is not among models: {names}")
        if self.fallback_model is None:
            missing = [c for c in LANGUAGES if c not in self.languages and not c.startswith("en-hi-")]
            if missing:
                raise ValueError(f"no model for {', '.join(missing)}: route them or set fallback_model")
        return self

    def model(self, name: str) -> ModelConfig:
        return next(m for m in self.models if m.name == name)
