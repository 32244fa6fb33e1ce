"""Process settings: what a sunvai process reads from its environment, in one place.

Everything here is per machine or per container, not per application (that is ``AppArgs``,
in the Serve config): where data and models live, the database's URL (a Kubernetes secret),
the Hugging Face hub. Read when asked, so a test or launcher that sets a variable first is heard.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ProcessSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SUNVAI_", extra="ignore")

    data_dir: Path = Field(Path.home() / ".local" / "share" / "sunvai",
                           description="$SUNVAI_DATA_DIR: the SQLite database, batch audio and transcripts")
    database_url: str | None = Field(None, description="$SUNVAI_DATABASE_URL: the database of batch jobs and API "
                                                       "keys when the config names none")
    model_cache: Path = Field(Path.home() / ".cache" / "sunvai" / "models",
                              description="$SUNVAI_MODEL_CACHE: prepared (joined, verified, converted) models")
    quiet_ray: bool = Field(False, description="$SUNVAI_QUIET_RAY=1: the launcher keeps Ray's worker logs out of "
                                               "its own output (tests, benchmarks)")
    hf_hub_offline: bool = Field(False, validation_alias=AliasChoices("HF_HUB_OFFLINE"),
                                 description="$HF_HUB_OFFLINE: never try the Hugging Face hub")
    hf_endpoint: str = Field("https://huggingface.co", validation_alias=AliasChoices("HF_ENDPOINT"),
                             description="$HF_ENDPOINT: the Hugging Face hub (or a mirror)")


def process_settings() -> ProcessSettings:
    """The settings as the environment holds them now."""
    return ProcessSettings()
