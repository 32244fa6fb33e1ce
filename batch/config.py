"""``args.batch``: where jobs, audio and transcripts live and how the workers run."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from sunvai.database.engine import database_url
from sunvai.settings import process_settings


class BatchConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, description="serve /stt/v3/batch/jobs and run the batch workers")
    data_dir: str = Field(default_factory=lambda: str(process_settings().data_dir),
                          description="the SQLite file and, unless storage_dir is set, the audio and transcripts (a "
                                      "shared volume on a cluster); default $SUNVAI_DATA_DIR")
    database_url: str | None = Field(None, description="SQLAlchemy URL of the database of jobs and API keys "
                                                       "(postgresql+psycopg://... on a cluster); default: $SUNVAI_DATABASE_URL, else SQLite "
                                                       "in data_dir")
    storage_dir: str | None = Field(None, description="uploaded audio and transcripts; default data_dir/storage")
    workers_per_replica: int = Field(2, ge=1, le=64, description="files one batch replica transcribes at once "
                                                                "(docs/benchmarks.md, levers)")
    word_timestamps: bool = Field(True, description="transcripts carry timed words (an alignment pass per "
                                                    "window; diarization labels words)")
    lease_s: float = Field(60.0, ge=2, description="a claimed file returns to the queue if its worker has not "
                                                   "renewed the claim for this long (a dead worker)")
    poll_s: float = Field(1.0, gt=0, le=60, description="how often an idle worker looks for work")
    max_attempts: int = Field(3, ge=1, description="claims of one file before it fails for good")
    max_files: int = Field(100, ge=1, le=10_000, description="files in one job (the SDK sends at most 100)")
    max_file_bytes: int = Field(256 * 1024 * 1024, gt=0, description="largest audio file accepted")
    max_archive_bytes: int = Field(2 * 1024 ** 3, gt=0, description="what a ZIP upload may unpack to, all its "
                                                                   "recordings together (batch/archive.py)")
    retention_s: float | None = Field(7 * 24 * 3600.0, gt=0, description="finished jobs' audio and transcripts are "
                                                                         "deleted this long after the job ends")
    transcript_url_ttl_s: float = Field(3600.0, gt=0, description="how long a transcript link stays valid")
    callback_attempts: int = Field(5, ge=1, le=20, description="tries of a callback POST (backoff 1, 2, 4... s)")

    def url(self) -> str:
        """database_url, else $SUNVAI_DATABASE_URL (a Kubernetes secret), else SQLite in data_dir."""
        return database_url(self.database_url, self.data_dir)

    def storage_path(self) -> Path:
        return Path(self.storage_dir or Path(self.data_dir) / "storage").expanduser()
