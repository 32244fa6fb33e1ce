"""The job store: batch jobs and their files in SQLite (one machine) or PostgreSQL (a cluster).

Blocking SQLAlchemy calls; async callers run them with ``asyncio.to_thread``. Every state
change is one short transaction whose WHERE clause states the state it expects, so two
ingress replicas or two workers racing on the same row cannot both win:

- a worker *claims* a file with one UPDATE that picks the next claimable file (pending,
  or processing under an expired lease) and writes its claim id and lease;
- it renews the lease while it works; a renewal that matches nothing means the claim was
  lost (cancelled, or the lease ran out and another worker took the file), and the work stops;
- completing a file requires the claim id, so a file completes once, however many
  workers touched it; the job's final status is written by whoever finishes its last file.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from sunvai.database import Store
from sunvai.database.tables import FileRow, JobRow

# Job statuses: CREATED -> RUNNING -> one of the terminal ones.
TERMINAL = ("COMPLETED", "PARTIAL_FAILURE", "FAILED", "CANCELLED")
JOB_STATUSES = ("CREATED", "RUNNING", *TERMINAL)
FILE_TERMINAL = ("COMPLETED", "FAILED", "CANCELLED")
FILE_STATUSES = ("PENDING", "PROCESSING", *FILE_TERMINAL)


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class JobNotFound(LookupError):
    pass


class JobStateError(ValueError):
    """The job is not in a state that allows the operation (HTTP 409)."""


class JobLimitReached(RuntimeError):
    """The API key already has its maximum of unfinished jobs (HTTP 429)."""


@dataclass(frozen=True)
class NewFile:
    name: str
    source_url: str | None = None


@dataclass(frozen=True)
class Claim:
    file_id: str
    job_id: str
    claim_id: str
    name: str
    source_url: str | None
    config: dict
    attempts: int
    key_id: str | None = None  # the API key whose job this is (its audio is charged to it)


@dataclass(frozen=True)
class FileView:
    id: str
    job_id: str
    position: int
    name: str
    status: str
    duration_s: float | None
    progress_percent: int
    stage: str | None
    error: str | None


@dataclass(frozen=True)
class JobView:
    id: str
    status: str
    config: dict
    cancel_reason: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    counts: dict[str, int]  # file status -> count
    percent: int
    callback_url: str | None = None
    callback_status: str | None = None
    key_id: str | None = None  # the API key that created it

    @property
    def total_files(self) -> int:
        return sum(self.counts.values())


def encode_cursor(value: int) -> str:
    return base64.urlsafe_b64encode(str(value).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except Exception:
        raise ValueError(f"invalid cursor {cursor[:40]!r}: pass back next_cursor as it was given") from None


class JobStore(Store):
    """Batch jobs and their files in the shared database (blocking SQLAlchemy)."""

    # --- jobs ----------------------------------------------------------------
    def create_job(self, config: dict, files: list[NewFile], callback_url: str | None = None,
                   request_id: str | None = None, key_id: str | None = None,
                   max_unfinished: int | None = None) -> tuple[str, list[str]]:
        """A new job; with ``max_unfinished``, refused (:class:`JobLimitReached`) while ``key_id`` already has
        that many jobs not yet finished (counted in the same transaction as the insert)."""
        job_id = f"job_{uuid.uuid4().hex}"
        file_ids = [f"file_{uuid.uuid4().hex}" for _ in files]
        with self._session.begin() as session:
            if key_id is not None and max_unfinished is not None:
                unfinished = session.scalar(select(func.count()).select_from(JobRow).where(
                    JobRow.key_id == key_id, JobRow.status.in_(("CREATED", "RUNNING"))))
                if unfinished >= max_unfinished:
                    raise JobLimitReached(f"this API key has {unfinished} unfinished batch jobs, its limit "
                                          f"({max_unfinished}); wait for one to finish, or cancel or delete one")
            session.add(JobRow(id=job_id, status="CREATED", config=config, callback_url=callback_url,
                               callback_status="PENDING" if callback_url else None, request_id=request_id,
                               created_at=utcnow(), key_id=key_id))
            session.flush()
            for position, (file_id, new) in enumerate(zip(file_ids, files)):
                session.add(FileRow(id=file_id, job_id=job_id, position=position, name=new.name,
                                    source_url=new.source_url, status="PENDING", attempts=0, progress_percent=0))
        return job_id, file_ids

    def start_job(self, job_id: str) -> JobView:
        with self._session.begin() as session:
            job = self._job_row(session, job_id)
            if job.status == "CREATED":
                job.status, job.started_at = "RUNNING", utcnow()
            elif job.status != "RUNNING":
                raise JobStateError(f"job {job_id} is {job.status}; only a CREATED job can be started")
        return self.get_job(job_id)

    def cancel_job(self, job_id: str, reason: str | None = None) -> JobView:
        """Cancel pending and running files; running work notices at its next lease renewal."""
        now = utcnow()
        with self._session.begin() as session:
            job = self._job_row(session, job_id)
            if job.status in TERMINAL:
                raise JobStateError(f"job {job_id} is already {job.status}")
            job.status, job.cancel_reason, job.finished_at = "CANCELLED", reason or "cancelled by the caller", now
            session.execute(update(FileRow).where(FileRow.job_id == job_id,
                                                  FileRow.status.in_(("PENDING", "PROCESSING")))
                            .values(status="CANCELLED", lease_owner=None, lease_until=None, finished_at=now,
                                    stage=None))
        return self.get_job(job_id)

    def delete_job(self, job_id: str) -> None:
        with self._session.begin() as session:
            job = self._job_row(session, job_id)
            if job.status == "RUNNING":
                raise JobStateError(f"job {job_id} is RUNNING; cancel it before deleting it")
            session.execute(FileRow.__table__.delete().where(FileRow.job_id == job_id))
            session.delete(job)

    def get_job(self, job_id: str) -> JobView:
        with self._session() as session:
            return self._view(session, self._job_row(session, job_id))

    def list_jobs(self, status: str | None = None, limit: int = 20, cursor: str | None = None,
                  key_id: str | None = None) -> tuple[list[JobView], str | None]:
        """Newest first (only ``key_id``'s jobs when given); ``next_cursor`` is None on the last page."""
        query = select(JobRow).order_by(JobRow.seq.desc()).limit(limit + 1)
        if key_id is not None:
            query = query.where(JobRow.key_id == key_id)
        if status:
            query = query.where(JobRow.status == status)
        if cursor:
            query = query.where(JobRow.seq < decode_cursor(cursor))
        with self._session() as session:
            rows = list(session.scalars(query))
            views = [self._view(session, row) for row in rows[:limit]]
        more = len(rows) > limit
        return views, encode_cursor(rows[limit - 1].seq) if more else None

    def job_files(self, job_id: str, status: str | None = None, limit: int = 100,
                  cursor: str | None = None) -> tuple[list[FileView], str | None]:
        query = select(FileRow).where(FileRow.job_id == job_id).order_by(FileRow.position).limit(limit + 1)
        if status:
            query = query.where(FileRow.status == status)
        if cursor:
            query = query.where(FileRow.position > decode_cursor(cursor))
        with self._session() as session:
            self._job_row(session, job_id)
            rows = list(session.scalars(query))
        views = [_file_view(row) for row in rows[:limit]]
        return views, encode_cursor(rows[limit - 1].position) if len(rows) > limit else None

    def file(self, job_id: str, file_id: str) -> FileView:
        with self._session() as session:
            row = session.get(FileRow, file_id)
            if row is None or row.job_id != job_id:
                raise JobNotFound(f"no file {file_id} in job {job_id}")
            return _file_view(row)

    # --- workers ---------------------------------------------------------------
    def claim(self, owner: str, lease_s: float, max_attempts: int) -> Claim | None:
        """Claim the next file of a running job (oldest job first), or None when there is none."""
        now = utcnow()
        claim_id = f"{owner}:{uuid.uuid4().hex[:12]}"
        claimable = or_(FileRow.status == "PENDING",
                        (FileRow.status == "PROCESSING") & (FileRow.lease_until < now))
        running = select(JobRow.id).where(JobRow.status == "RUNNING")
        candidate = (select(FileRow.id).join(JobRow, JobRow.id == FileRow.job_id)
                     .where(claimable, FileRow.job_id.in_(running), FileRow.attempts < max_attempts)
                     .order_by(JobRow.seq, FileRow.position).limit(1)
                     .with_for_update(skip_locked=True, of=FileRow))
        with self._session.begin() as session:
            file_id = session.scalar(candidate)
            if file_id is None:
                return None
            claimed = session.execute(
                update(FileRow).where(FileRow.id == file_id, claimable)
                .values(status="PROCESSING", lease_owner=claim_id, lease_until=now + timedelta(seconds=lease_s),
                        attempts=FileRow.attempts + 1, stage="queued", progress_percent=0, error=None))
            if claimed.rowcount != 1:
                return None  # another worker won this one; the caller asks again
            row = session.get(FileRow, file_id)
            job = self._job_row(session, row.job_id)
            return Claim(file_id, row.job_id, claim_id, row.name, row.source_url, dict(job.config), row.attempts,
                         job.key_id)

    def renew(self, claim: Claim, lease_s: float, stage: str | None = None, percent: int | None = None,
              duration_s: float | None = None) -> bool:
        """Extend the lease (and record progress); False when the claim is no longer ours."""
        values: dict = {"lease_until": utcnow() + timedelta(seconds=lease_s)}
        if stage is not None:
            values["stage"] = stage
        if percent is not None:
            values["progress_percent"] = max(0, min(100, int(percent)))
        if duration_s is not None:
            values["duration_s"] = duration_s
        with self._session.begin() as session:
            return self._update_claimed(session, claim, values)

    def release(self, claim: Claim, error: str) -> None:
        """Give a claimed file back (a transient failure): pending again; claim() skips it once out of attempts."""
        self._finish(claim, "PENDING", error=error, requeue=True)

    def complete(self, claim: Claim, duration_s: float | None) -> str | None:
        """Mark the file done; returns the job's final status when this was its last file."""
        return self._finish(claim, "COMPLETED", duration_s=duration_s)

    def fail(self, claim: Claim, error: str) -> str | None:
        return self._finish(claim, "FAILED", error=error)

    def fail_exhausted(self, max_attempts: int) -> list[str]:
        """Files whose lease expired after their last allowed attempt fail; returns the jobs that ended."""
        now = utcnow()
        with self._session.begin() as session:
            rows = list(session.scalars(select(FileRow).where(
                FileRow.status == "PROCESSING", FileRow.lease_until < now, FileRow.attempts >= max_attempts)))
            for row in rows:
                row.status, row.finished_at, row.lease_owner, row.lease_until = "FAILED", now, None, None
                row.error = f"the worker stopped {row.attempts} times while transcribing this file"
            ended = [job for job in {r.job_id for r in rows} if self._settle_job(session, job)]
        return ended

    def _finish(self, claim: Claim, status: str, error: str | None = None, duration_s: float | None = None,
                requeue: bool = False) -> str | None:
        now = utcnow()
        values: dict = {"status": status, "lease_owner": None, "lease_until": None, "error": error}
        if not requeue:
            values.update(finished_at=now, stage=None, progress_percent=100 if status == "COMPLETED" else 0)
        if duration_s is not None:
            values["duration_s"] = duration_s
        with self._session.begin() as session:
            if not self._update_claimed(session, claim, values):
                return None
            return self._settle_job(session, claim.job_id) if not requeue else None

    @staticmethod
    def _update_claimed(session: Session, claim: Claim, values: dict) -> bool:
        """Write ``values`` to the claimed file only while the claim is still ours."""
        result = session.execute(update(FileRow).where(FileRow.id == claim.file_id,
                                                       FileRow.lease_owner == claim.claim_id,
                                                       FileRow.status == "PROCESSING").values(**values))
        return result.rowcount == 1

    def _settle_job(self, session: Session, job_id: str) -> str | None:
        """Write the job's final status if none of its files is left to do."""
        counts = _status_counts(session, job_id)
        if counts.get("PENDING") or counts.get("PROCESSING"):
            return None
        done, failed = counts.get("COMPLETED", 0), counts.get("FAILED", 0) + counts.get("CANCELLED", 0)
        final = "COMPLETED" if not failed else "FAILED" if not done else "PARTIAL_FAILURE"
        result = session.execute(update(JobRow).where(JobRow.id == job_id, JobRow.status == "RUNNING")
                                 .values(status=final, finished_at=utcnow()))
        return final if result.rowcount == 1 else None

    def backlog(self) -> int:
        """Files of running jobs still to do (pending or being transcribed): what batch replicas scale on."""
        with self._session() as session:
            return session.execute(select(func.count()).select_from(FileRow).join(JobRow, JobRow.id == FileRow.job_id)
                                   .where(JobRow.status == "RUNNING",
                                          FileRow.status.in_(("PENDING", "PROCESSING")))).scalar_one()

    # --- callbacks and retention ------------------------------------------------
    def pending_callbacks(self) -> list[str]:
        with self._session() as session:
            return list(session.scalars(select(JobRow.id).where(JobRow.status.in_(TERMINAL),
                                                                JobRow.callback_status == "PENDING")))

    def take_callback(self, job_id: str) -> bool:
        """Claim the job's callback for sending (once, across replicas)."""
        with self._session.begin() as session:
            result = session.execute(update(JobRow).where(JobRow.id == job_id, JobRow.callback_status == "PENDING")
                                     .values(callback_status="SENDING"))
            return result.rowcount == 1

    def callback_done(self, job_id: str, sent: bool) -> None:
        with self._session.begin() as session:
            session.execute(update(JobRow).where(JobRow.id == job_id)
                            .values(callback_status="SENT" if sent else "FAILED"))

    def expired_jobs(self, retention_s: float) -> list[str]:
        cutoff = utcnow() - timedelta(seconds=retention_s)
        with self._session() as session:
            return list(session.scalars(select(JobRow.id).where(JobRow.status.in_(TERMINAL),
                                                                JobRow.finished_at < cutoff)))

    # --- helpers ------------------------------------------------------------------
    @staticmethod
    def _job_row(session: Session, job_id: str) -> JobRow:
        row = session.scalar(select(JobRow).where(JobRow.id == job_id))
        if row is None:
            raise JobNotFound(f"no batch job {job_id}")
        return row

    @staticmethod
    def _view(session: Session, row: JobRow) -> JobView:
        counts = _status_counts(session, row.id)
        running = session.execute(select(func.coalesce(func.sum(FileRow.progress_percent), 0))
                                  .where(FileRow.job_id == row.id, FileRow.status == "PROCESSING")).scalar_one()
        total = sum(counts.values()) or 1
        finished = sum(counts.get(s, 0) for s in FILE_TERMINAL)
        percent = 100 if row.status in ("COMPLETED", "PARTIAL_FAILURE") else int((100 * finished + running) / total)
        return JobView(row.id, row.status, dict(row.config), row.cancel_reason, row.created_at, row.started_at,
                       row.finished_at, counts, min(percent, 100), row.callback_url, row.callback_status,
                       row.key_id)




def _status_counts(session: Session, job_id: str) -> dict[str, int]:
    """File status -> number of the job's files in it."""
    return dict(session.execute(select(FileRow.status, func.count()).where(FileRow.job_id == job_id)
                                .group_by(FileRow.status)).all())


def _file_view(row: FileRow) -> FileView:
    return FileView(row.id, row.job_id, row.position, row.name, row.status, row.duration_s, row.progress_percent,
                    row.stage, row.error)
