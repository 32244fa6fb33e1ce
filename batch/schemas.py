"""The batch API's wire bodies (API.md §3), each built in one place: a job, its file list, the URL source a
job is created from, the callback a finished job sends, and the transcript document a file's link serves."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sunvai.batch.store import FileView, JobView


def iso(moment: datetime | None) -> str | None:
    """Naive UTC as ISO 8601 with milliseconds and ``Z``."""
    return moment.isoformat(timespec="milliseconds") + "Z" if moment else None


class JobProgress(BaseModel):
    percent: int
    total_files: int
    completed_files: int
    failed_files: int
    cancelled_files: int
    processing_files: int
    pending_files: int

    @classmethod
    def of(cls, job: JobView) -> JobProgress:
        counts = job.counts
        return cls(percent=job.percent, total_files=job.total_files, completed_files=counts.get("COMPLETED", 0),
                   failed_files=counts.get("FAILED", 0), cancelled_files=counts.get("CANCELLED", 0),
                   processing_files=counts.get("PROCESSING", 0), pending_files=counts.get("PENDING", 0))


class JobBody(BaseModel):
    """A job as every job route answers it (create excepted)."""

    job_id: str
    status: str
    config: dict
    cancel_reason: str | None
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    total_files: int
    completed_files: int
    failed_files: int
    progress: JobProgress
    callback_status: str | None

    @classmethod
    def of(cls, job: JobView) -> JobBody:
        progress = JobProgress.of(job)
        return cls(job_id=job.id, status=job.status, config=job.config, cancel_reason=job.cancel_reason,
                   created_at=iso(job.created_at), started_at=iso(job.started_at), finished_at=iso(job.finished_at),
                   total_files=job.total_files, completed_files=progress.completed_files,
                   failed_files=progress.failed_files, progress=progress, callback_status=job.callback_status)


class JobCreated(BaseModel):
    job_id: str
    status: Literal["CREATED"] = "CREATED"


class Pagination(BaseModel):
    next_cursor: str | None
    has_more: bool

    @classmethod
    def after(cls, cursor: str | None) -> Pagination:
        return cls(next_cursor=cursor, has_more=cursor is not None)


class JobList(BaseModel):
    data: list[JobBody]
    pagination: Pagination


class FileEntry(BaseModel):
    file_id: str
    original_path: str
    status: str
    duration_seconds: float | None
    error_message: str | None
    progress_percent: int
    stage: str | None
    transcript_url: str | None  # a signed, expiring link once the file is COMPLETED

    @classmethod
    def of(cls, file: FileView, transcript_url: str | None) -> FileEntry:
        return cls(file_id=file.id, original_path=file.name, status=file.status, duration_seconds=file.duration_s,
                   error_message=file.error, progress_percent=file.progress_percent, stage=file.stage,
                   transcript_url=transcript_url)


class FileList(BaseModel):
    data: list[FileEntry]
    pagination: Pagination


SOURCE_SHAPE = '{"type": "cloud_storage", "auth": {"mode": "public"}, "paths": ["https://..."]}'


class SourceAuth(BaseModel):
    mode: str = "public"


class UrlSource(BaseModel):
    """Where a job's audio is fetched from: public URLs."""

    type: str = "cloud_storage"
    auth: SourceAuth = Field(default_factory=SourceAuth)
    paths: list[str] = Field(min_length=1)


class UrlJobRequest(BaseModel):
    """``POST /stt/v3/batch/jobs`` as JSON: the job's audio by URL."""

    model_config = ConfigDict(extra="forbid")

    config: dict | str | None = None  # validated as a BatchJobConfig by the route
    source: UrlSource
    callback_url: str | None = None


class CallbackFile(BaseModel):
    file_id: str
    name: str
    status: str
    error_message: str | None


class CallbackBody(BaseModel):
    """What a finished job POSTs to its ``callback_url``."""

    job_id: str
    status: str
    cancel_reason: str | None
    progress: JobProgress
    files: list[CallbackFile]

    @classmethod
    def of(cls, job: JobView, files: list[FileView]) -> CallbackBody:
        return cls(job_id=job.id, status=job.status, cancel_reason=job.cancel_reason, progress=JobProgress.of(job),
                   files=[CallbackFile(file_id=f.id, name=f.name, status=f.status, error_message=f.error)
                          for f in files])


class TranscriptWord(BaseModel):
    word: str
    start_time: float
    end_time: float
    speaker_id: int | None
    probability: float | None = None  # the model's confidence in the word, 0-1


class TranscriptSegment(BaseModel):
    start_time: float
    end_time: float
    text: str
    speaker_id: int | None
    channel: int | None = None  # multi-channel jobs only (left out of the document otherwise)
    confidence: float | None = None  # the model's confidence in the segment, 0-1
    words: list[TranscriptWord]


class TranscriptDocument(BaseModel):
    """The transcript file a batch client downloads (the SDK reads ``full_transcript`` and ``segments``)."""

    job_id: str
    file_id: str
    name: str
    language_code: str
    model: str
    duration_seconds: float
    channels: int
    full_transcript: str
    segments: list[TranscriptSegment]
    redactions: dict[str, int] | None = None  # with the job's redact: the entities replaced, by kind
    warnings: list[str] | None = None  # what of the audio was not used (a last frame that did not decode)

    def wire(self) -> dict:
        """The JSON document: ``channel`` only where it was set."""
        return self.model_dump(exclude_unset=True)
