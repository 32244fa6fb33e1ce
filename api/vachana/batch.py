"""Vachana batch jobs (API.md §3): ``/stt/v3/batch/jobs``, as the official SDK's batch client drives it.

The routes only read and write the job store and the storage directory; the batch
worker deployment does the transcription. Errors come in the Vachana error shape.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import BinaryIO, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from sunvai.batch import archive
from sunvai.batch.archive import ArchiveLimits
from sunvai.batch.config import BatchConfig
from sunvai.batch.schemas import (SOURCE_SHAPE, FileEntry, FileList, JobBody, JobCreated, JobList, Pagination,
                                  UrlJobRequest)
from sunvai.auth.access import Caller
from sunvai.batch.job_config import SDK_MODELS, BatchJobConfig
from sunvai.batch.storage import BatchStorage
from sunvai.diarization.factory import diarization_available
from sunvai.batch.store import (FILE_STATUSES, JOB_STATUSES, JobLimitReached, JobNotFound, JobStateError, JobStore,
                                JobView, NewFile)
from sunvai.errors import BadRequest, Conflict, Forbidden, NotFound, RateLimited, ServiceError
from sunvai.service.fetch import AudioFetcher
from sunvai.service.transcription import TranscriptionService

router = APIRouter(prefix="/stt/v3/batch/jobs")
PREFIX = "/stt/v3/batch/jobs"
JOB_LIMIT_RETRY_AFTER_S = 30


def _caller(request: Request) -> Caller | None:
    """The API key of this request (auth on); it sees and controls only its own jobs."""
    return getattr(request.state, "caller", None)


def _owner(request: Request) -> tuple[str | None, int | None]:
    caller = _caller(request)
    if caller is None or caller.key_id is None:
        return None, None
    return caller.key_id, caller.limits.max_batch_jobs


async def _owned_job(request: Request, api: BatchApi, job_id: str) -> JobView:
    """The job, if this request's key created it (another key's job is as good as missing: 404)."""
    job = await _call(api.store.get_job, job_id)
    key_id, _ = _owner(request)
    if key_id is not None and job.key_id != key_id:
        raise NotFound(f"no batch job {job_id}", code="job_not_found")
    return job


@dataclass
class BatchApi:
    """What the routes need; built once per ingress replica."""

    store: JobStore
    storage: BatchStorage
    config: BatchConfig
    service: TranscriptionService
    fetcher: AudioFetcher

    @classmethod
    def open(cls, service: TranscriptionService) -> BatchApi:
        config = service.args.batch
        return cls(JobStore(config.url()), BatchStorage(config.storage_path()), config, service,
                   AudioFetcher(service.args.fetch))


def _api(request: Request) -> BatchApi:
    api = getattr(request.app.state, "batch", None)
    if api is None:
        raise NotFound("batch jobs are not enabled on this server (args.batch.enabled)", code="batch_disabled")
    return api


async def _call(function, *args):
    """Run a blocking store call off the event loop; store errors become HTTP errors."""
    try:
        return await asyncio.to_thread(function, *args)
    except JobNotFound as exc:
        raise NotFound(str(exc), code="job_not_found") from None
    except JobStateError as exc:
        raise Conflict(str(exc), code="invalid_job_state") from None
    except JobLimitReached as exc:
        raise RateLimited(str(exc), code="too_many_jobs", retry_after_s=JOB_LIMIT_RETRY_AFTER_S) from None
    except ValueError as exc:
        raise BadRequest(str(exc), code="invalid_cursor") from None


# --- create ------------------------------------------------------------------------
@router.post("")
async def create_job(request: Request) -> JSONResponse:
    api = _api(request)
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        return await _create_from_uploads(request, api)
    if content_type.startswith("application/json"):
        return await _create_from_urls(request, api)
    raise BadRequest("send multipart/form-data with `files` parts and a JSON `config` field, or a JSON body "
                     '{"config": {...}, "source": {"type": "cloud_storage", "paths": ["https://..."]}}',
                     code="invalid_content_type")


async def _create_from_uploads(request: Request, api: BatchApi) -> JSONResponse:
    try:
        form = await request.form(max_files=api.config.max_files, max_fields=16)
    except ServiceError:
        raise
    except Exception as exc:  # starlette's MultiPartException and friends
        raise BadRequest(f"the multipart body could not be parsed ({exc}); expected `files` parts (at most "
                         f"{api.config.max_files}) and a `config` field", code="invalid_multipart") from exc
    config = _job_config(api, form.get("config"))
    callback_url = _callback(api, form.get("callback_url"))
    uploads = [f for f in form.getlist("files") if isinstance(f, UploadFile)]
    if not uploads:
        raise BadRequest("no audio: attach one or more `files` parts", code="missing_files")
    for upload in uploads:
        if upload.size == 0:
            raise BadRequest(f"{upload.filename!r} is empty; every file must hold audio", code="empty_audio")
    sources = await asyncio.to_thread(_job_sources, uploads, api.config)
    job_id, file_ids = await _call(api.store.create_job, config.model_dump(exclude_none=True),
                                   [NewFile(name) for name, _ in sources],
                                   callback_url, request.state.request_id, *_owner(request))
    try:
        for (name, source), file_id in zip(sources, file_ids):
            await asyncio.to_thread(_save, api, job_id, file_id, name, source)
    except BaseException:
        await _call(api.store.delete_job, job_id)
        await asyncio.to_thread(api.storage.delete_job, job_id)
        raise
    return JSONResponse(JobCreated(job_id=job_id).model_dump(), status_code=201)


def _job_sources(uploads: list[UploadFile], config) -> list[tuple[str, Callable[[], BinaryIO]]]:
    """(job file name, opener of its bytes) for every recording: an upload, or each recording of a ZIP upload
    (batch/archive.py: checked before anything is stored). Runs off the event loop (reads the archives'
    directories)."""
    limits = ArchiveLimits(config.max_files, config.max_file_bytes, config.max_archive_bytes)
    sources: list[tuple[str, Callable[[], BinaryIO]]] = []
    for n, upload in enumerate(uploads):
        name = upload.filename or f"audio_{n}"
        head = upload.file.read(4)
        upload.file.seek(0)
        if not archive.is_zip(name, head):
            sources.append((name, lambda upload=upload: upload.file))
            continue
        opened = archive.open_zip(upload.file, name)
        for recording in archive.recordings(opened, name, limits):
            if archive.first_bytes_nested(opened, recording, name):
                raise BadRequest(f"{name!r}: the entry {recording.name!r} is an archive inside the archive; send "
                                 "the recordings themselves", code="nested_archive")
            sources.append((f"{name}/{recording.name}", lambda opened=opened, entry=recording.entry: opened.open(entry)))
    if len(sources) > config.max_files:
        raise BadRequest(f"{len(sources)} recordings; a job takes at most {config.max_files} (args.batch.max_files)",
                         code="too_many_files")
    return sources


def _save(api: BatchApi, job_id: str, file_id: str, name: str, source: Callable[[], BinaryIO]) -> None:
    try:
        api.storage.save_audio(job_id, file_id, source(), api.config.max_file_bytes)
    except ValueError:
        raise BadRequest(f"{name!r} is larger than {api.config.max_file_bytes} bytes, the limit per file "
                         "(args.batch.max_file_bytes)", code="file_too_large") from None
    except archive.UNPACK_ERRORS as exc:
        archive_name, _, entry = name.partition("/")
        raise archive.unpack_failed(archive_name, entry, exc) from exc


async def _create_from_urls(request: Request, api: BatchApi) -> JSONResponse:
    try:
        body = await request.json()
    except ValueError as exc:
        raise BadRequest(f"the body is not valid JSON ({exc})", code="invalid_json") from None
    if not isinstance(body, dict):
        raise BadRequest("the JSON body must be an object with config and source", code="invalid_json")
    try:
        job = UrlJobRequest.model_validate(body)
    except ValidationError as exc:
        raise _url_job_error(exc) from None
    config = _job_config(api, job.config)
    callback_url = _callback(api, job.callback_url)
    source = job.source
    if source.type != "cloud_storage":
        raise BadRequest(f"source must be {SOURCE_SHAPE} with at least one URL", code="invalid_source")
    if source.auth.mode != "public":
        raise BadRequest("only public URLs (auth mode public) are fetched", code="invalid_source")
    if len(source.paths) > api.config.max_files:
        raise BadRequest(f"{len(source.paths)} URLs; a job takes at most {api.config.max_files}", code="too_many_files")
    for url in source.paths:
        api.fetcher.check_url(url)
    files = [NewFile(url.rsplit("/", 1)[-1].split("?")[0] or url, source_url=url) for url in source.paths]
    job_id, _ = await _call(api.store.create_job, config.model_dump(exclude_none=True), files, callback_url,
                            request.state.request_id, *_owner(request))
    return JSONResponse(JobCreated(job_id=job_id).model_dump(), status_code=201)


def _url_job_error(exc: ValidationError) -> BadRequest:
    """The first problem of a URL job's body, said as the batch API says it."""
    error = exc.errors()[0]
    where = error["loc"]
    if error["type"] == "extra_forbidden":
        unknown = sorted({str(e["loc"][0]) for e in exc.errors() if e["type"] == "extra_forbidden"})
        return BadRequest(f"unknown fields {', '.join(unknown)}; accepted: {', '.join(UrlJobRequest.model_fields)}",
                          code="invalid_field")
    if where[0] == "callback_url":
        return BadRequest("callback_url must be a URL string", code="invalid_callback_url")
    if where[:2] == ("source", "paths") and len(where) == 3:
        return BadRequest("every path must be a URL string", code="invalid_source")
    if where[0] == "source":
        return BadRequest(f"source must be {SOURCE_SHAPE} with at least one URL", code="invalid_source")
    return BadRequest("config must be a JSON object", code="invalid_config")


def _job_config(api: BatchApi, raw) -> BatchJobConfig:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise BadRequest(f"config is not valid JSON ({exc})", code="invalid_config") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise BadRequest("config must be a JSON object", code="invalid_config")
    try:
        config = BatchJobConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in exc.errors())
        raise BadRequest(f"invalid config: {problems}. Accepted keys: {', '.join(BatchJobConfig.model_fields)}",
                         code="invalid_config") from None
    if config.unsupported():
        raise BadRequest(f"{', '.join(config.unsupported())} is not supported by this server yet; send the job "
                         "without it", code="unsupported_option")
    if config.conflicts():
        raise BadRequest(config.conflicts(), code="invalid_config")
    if config.diarize and not diarization_available(api.service.args.diarization):
        raise BadRequest("diarization is not installed on this server (pip install 'sunvai[diarization]')",
                         code="unsupported_option")
    api.service.selection_for(config.language_list())  # a clear 400 for a bad code, now rather than per file
    served = [m.name for m in api.service.args.models]
    if config.model in SDK_MODELS:
        config = config.model_copy(update={"model": None})
    elif config.model is not None and config.model not in served:
        raise BadRequest(f"model {config.model!r} is not served here; models: {', '.join(served)} (or leave it "
                         "out: the server routes by language)", code="invalid_model")
    return config


def _callback(api: BatchApi, value) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise BadRequest("callback_url must be a URL string", code="invalid_callback_url")
    api.fetcher.check_url(value)
    return value


# --- read and control --------------------------------------------------------------
def _limit(value: str | None, default: int) -> int:
    try:
        limit = int(value) if value not in (None, "") else default
    except ValueError:
        raise BadRequest(f"limit must be a whole number from 1 to 100, got {value!r}", code="invalid_limit") from None
    if not 1 <= limit <= 100:
        raise BadRequest(f"limit must be from 1 to 100, got {limit}", code="invalid_limit")
    return limit


def _status(value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value in (None, ""):
        return None
    if value not in allowed:
        raise BadRequest(f"status must be one of {', '.join(allowed)}, got {value!r}", code="invalid_status")
    return value


@router.get("")
async def list_jobs(request: Request) -> JSONResponse:
    api = _api(request)
    params = request.query_params
    jobs, cursor = await _call(api.store.list_jobs, _status(params.get("status"), JOB_STATUSES),
                               _limit(params.get("limit"), 20), params.get("cursor"), _owner(request)[0])
    return JSONResponse(JobList(data=[JobBody.of(j) for j in jobs], pagination=Pagination.after(cursor)).model_dump())


@router.get("/{job_id}")
async def get_job(request: Request, job_id: str) -> JSONResponse:
    api = _api(request)
    return JSONResponse(JobBody.of(await _owned_job(request, api, job_id)).model_dump())


@router.post("/{job_id}/start")
async def start_job(request: Request, job_id: str) -> JSONResponse:
    api = _api(request)
    await _owned_job(request, api, job_id)
    return JSONResponse(JobBody.of(await _call(api.store.start_job, job_id)).model_dump())


@router.post("/{job_id}/cancel")
async def cancel_job(request: Request, job_id: str) -> JSONResponse:
    api = _api(request)
    await _owned_job(request, api, job_id)
    reason = None
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = await request.json()
        except ValueError:
            body = {}
        reason = body.get("reason") if isinstance(body, dict) else None
    return JSONResponse(JobBody.of(await _call(api.store.cancel_job, job_id, reason)).model_dump())


@router.delete("/{job_id}")
async def delete_job(request: Request, job_id: str) -> Response:
    """Delete a job that is not running, with its audio and transcripts."""
    api = _api(request)
    await _owned_job(request, api, job_id)
    await _call(api.store.delete_job, job_id)
    await asyncio.to_thread(api.storage.delete_job, job_id)
    return Response(status_code=204)


@router.get("/{job_id}/files")
async def job_files(request: Request, job_id: str) -> JSONResponse:
    api = _api(request)
    await _owned_job(request, api, job_id)
    params = request.query_params
    files, cursor = await _call(api.store.job_files, job_id, _status(params.get("status"), FILE_STATUSES),
                                _limit(params.get("limit"), 100), params.get("cursor"))
    base = str(request.base_url).rstrip("/")
    entries = []
    for f in files:
        link = None
        if f.status == "COMPLETED":
            expires, signature = api.storage.sign(job_id, f.id, api.config.transcript_url_ttl_s)
            link = f"{base}{PREFIX}/{job_id}/files/{f.id}/transcript?expires={expires}&signature={signature}"
        entries.append(FileEntry.of(f, link))
    return JSONResponse(FileList(data=entries, pagination=Pagination.after(cursor)).model_dump())


@router.get("/{job_id}/files/{file_id}/transcript")
async def transcript(request: Request, job_id: str, file_id: str) -> Response:
    """The transcript JSON behind a signed, expiring link (no API key: the SDK sends none here)."""
    api = _api(request)
    params = request.query_params
    try:
        expires = int(params.get("expires", ""))
    except ValueError:
        expires = 0
    if not api.storage.verify(job_id, file_id, expires, params.get("signature", "")):
        raise Forbidden("the transcript link is invalid or has expired; list the job's files for a fresh one",
                        code="link_expired")
    try:
        data = await asyncio.to_thread(api.storage.read_transcript, job_id, file_id)
    except FileNotFoundError:
        raise NotFound(f"no transcript for file {file_id} (deleted after the retention time?)",
                       code="transcript_not_found") from None
    return Response(data, media_type="application/json")
