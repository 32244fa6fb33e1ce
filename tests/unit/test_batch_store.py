"""The batch job store on SQLite and on a real PostgreSQL server: same tests, same results."""

from __future__ import annotations

import itertools
import threading
import time
import uuid

import pytest

from sunvai.batch.store import JobStateError, JobStore, NewFile
from tests.postgres import PostgresServer, binaries


@pytest.fixture(scope="module")
def postgres():
    if binaries() is None:
        pytest.skip("PostgreSQL is not installed here (make test-setup installs it)")
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'jobs.db'}"
    else:
        url = request.getfixturevalue("postgres").fresh_database(f"t_{uuid.uuid4().hex[:10]}")
    store = JobStore(url)
    yield store
    store.close()


def _job(store: JobStore, names=("a.wav", "b.wav", "c.wav"), start=True) -> str:
    job_id, _ = store.create_job({"language_code": "hi-IN"}, [NewFile(n) for n in names])
    if start:
        store.start_job(job_id)
    return job_id


def test_schema_matches_the_tables(store):
    """The Alembic migrations create exactly what database/tables.py declares."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import sunvai.database.tables  # noqa: F401
    from sunvai.database import Base

    with store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    JobStore(store.url).close()  # migrating again is a no-op


def test_files_of_a_running_job_are_claimed_in_order_once(store):
    job_id = _job(store)
    claims = [store.claim("w1", 30, 3) for _ in range(3)]
    assert [c.name for c in claims] == ["a.wav", "b.wav", "c.wav"]
    assert store.claim("w1", 30, 3) is None
    assert store.complete(claims[0], 1.0) is None
    assert store.fail(claims[1], "not audio") is None
    assert store.complete(claims[2], 2.0) == "PARTIAL_FAILURE"
    job = store.get_job(job_id)
    assert job.status == "PARTIAL_FAILURE" and job.counts == {"COMPLETED": 2, "FAILED": 1} and job.percent == 100


def test_created_jobs_wait_for_start(store):
    job_id = _job(store, start=False)
    assert store.claim("w1", 30, 3) is None
    store.start_job(job_id)
    assert store.claim("w1", 30, 3) is not None


def test_an_expired_lease_is_claimed_again_and_the_old_claim_cannot_complete(store):
    _job(store, names=("a.wav",))
    first = store.claim("dead-worker", 0.2, 3)
    assert store.claim("w2", 30, 3) is None  # leased
    time.sleep(0.4)
    second = store.claim("w2", 30, 3)
    assert second is not None and second.file_id == first.file_id and second.attempts == 2
    assert not store.renew(first, 30) and store.complete(first, 1.0) is None
    assert store.complete(second, 1.0) == "COMPLETED"


def test_attempts_run_out(store):
    job_id = _job(store, names=("a.wav",))
    for _ in range(2):
        assert store.claim("dying", 0.1, 2) is not None
        time.sleep(0.25)
    assert store.claim("w", 30, 2) is None
    assert store.fail_exhausted(2) == [job_id]
    files, _ = store.job_files(job_id)
    assert files[0].status == "FAILED" and "stopped 2 times" in files[0].error
    assert store.get_job(job_id).status == "FAILED"


def test_cancel_stops_pending_and_running_files(store):
    job_id = _job(store)
    running = store.claim("w", 30, 3)
    job = store.cancel_job(job_id, "changed my mind")
    assert job.status == "CANCELLED" and job.cancel_reason == "changed my mind"
    assert not store.renew(running, 30) and store.claim("w", 30, 3) is None
    assert {f.status for f in store.job_files(job_id)[0]} == {"CANCELLED"}
    with pytest.raises(JobStateError):
        store.start_job(job_id)


def test_released_files_go_back_to_the_queue(store):
    _job(store, names=("a.wav",))
    claim = store.claim("w", 30, 3)
    store.release(claim, "overloaded")
    again = store.claim("w", 30, 3)
    assert again.file_id == claim.file_id and again.attempts == 2


def test_cursor_pagination(store):
    jobs = [_job(store, names=[f"{i}.wav" for i in range(5)], start=False) for _ in range(5)]
    seen, cursor = [], None
    while True:
        page, cursor = store.list_jobs(limit=2, cursor=cursor)
        seen += [j.id for j in page]
        if cursor is None:
            break
    assert seen == jobs[::-1]  # newest first, each once
    names, cursor = [], None
    while True:
        files, cursor = store.job_files(jobs[0], limit=2, cursor=cursor)
        names += [f.name for f in files]
        if cursor is None:
            break
    assert names == [f"{i}.wav" for i in range(5)]
    with pytest.raises(ValueError, match="invalid cursor"):
        store.list_jobs(cursor="not-a-cursor!")


def test_racing_workers_never_share_a_file(store):
    """Four threads claim from one backlog: every file is claimed exactly once."""
    _job(store, names=[f"{i}.wav" for i in range(40)])
    claimed: list[str] = []
    lock = threading.Lock()

    def work(name: str) -> None:
        for _ in itertools.count():
            claim = store.claim(name, 30, 3)
            if claim is None:
                return
            with lock:
                claimed.append(claim.file_id)
            store.complete(claim, 1.0)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == 40 and len(set(claimed)) == 40


def test_callbacks_are_taken_once(store):
    job_id, _ = store.create_job({}, [NewFile("a.wav")], callback_url="https://example.org/hook")
    store.start_job(job_id)
    store.complete(store.claim("w", 30, 3), 1.0)
    assert store.pending_callbacks() == [job_id]
    assert store.take_callback(job_id) and not store.take_callback(job_id)
    store.callback_done(job_id, True)
    assert store.get_job(job_id).callback_status == "SENT" and store.pending_callbacks() == []


def test_retention_and_delete(store):
    job_id = _job(store, names=("a.wav",))
    store.complete(store.claim("w", 30, 3), 1.0)
    assert store.expired_jobs(3600) == []
    time.sleep(0.05)
    assert store.expired_jobs(0.01) == [job_id]
    store.delete_job(job_id)
    assert store.list_jobs()[0] == []
