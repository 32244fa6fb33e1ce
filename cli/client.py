"""HTTP and WebSocket calls the command line makes to a running sunvai server."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import httpx

SHORT_LIMIT_S = 60.0  # /stt/v3 takes up to this; longer files go through a batch job (the long-form path)


class ServerError(Exception):
    """The server answered with an error: its status and message."""

    def __init__(self, status: int, message: str):
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message"))
    return str(body.get("message", body)) if isinstance(body, dict) else str(body)


@dataclass
class Client:
    url: str
    api_key: str | None = None
    timeout_s: float = 600.0

    def _headers(self) -> dict[str, str]:
        return {"X-API-Key-ID": self.api_key} if self.api_key else {}

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            raise ServerError(response.status_code, _message(response))
        return response

    def transcribe_short(self, path: Path, language: str, itn: bool, words: bool = False,
                         redaction: dict[str, str] | None = None) -> dict:
        """``POST /stt/v3``: transcript, language, segments. ``redaction``: redact and redact_style fields."""
        data = {"language_code": language, "format": "transcribe" if itn else "verbatim", **(redaction or {})}
        if words:
            data["word_timestamps"] = "true"
        with open(path, "rb") as audio:
            response = httpx.post(f"{self.url}/stt/v3", data=data, files={"audio_file": (path.name, audio)},
                                  headers=self._headers(), timeout=self.timeout_s)
        return self._check(response).json()

    # --- batch jobs ------------------------------------------------------------------
    def create_job(self, paths: list[Path], config: dict) -> str:
        handles = [open(p, "rb") for p in paths]  # noqa: SIM115 - closed below
        try:
            files = [("files", (p.name, h)) for p, h in zip(paths, handles)]
            response = httpx.post(f"{self.url}/stt/v3/batch/jobs", data={"config": json.dumps(config)}, files=files,
                                  headers=self._headers(), timeout=self.timeout_s)
        finally:
            for handle in handles:
                handle.close()
        job_id = self._check(response).json()["job_id"]
        self._check(httpx.post(f"{self.url}/stt/v3/batch/jobs/{job_id}/start", headers=self._headers(), timeout=60))
        return job_id

    def job(self, job_id: str) -> dict:
        return self._check(httpx.get(f"{self.url}/stt/v3/batch/jobs/{job_id}", headers=self._headers(),
                                     timeout=60)).json()

    def job_files(self, job_id: str) -> list[dict]:
        files, cursor = [], None
        while True:
            params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
            page = self._check(httpx.get(f"{self.url}/stt/v3/batch/jobs/{job_id}/files", params=params,
                                         headers=self._headers(), timeout=60)).json()
            files += page["data"]
            cursor = page["pagination"]["next_cursor"]
            if not page["pagination"]["has_more"]:
                return files

    def transcript(self, link: str) -> dict:
        return self._check(httpx.get(link, timeout=60)).json()

    def wait(self, job_id: str, on_progress: Callable[[dict, list[dict]], None], poll_s: float = 0.5) -> dict:
        """Poll until the job ends; ``on_progress(job, files)`` after each poll."""
        while True:
            job = self.job(job_id)
            on_progress(job, self.job_files(job_id))
            if job["status"] not in ("CREATED", "RUNNING"):
                return job
            time.sleep(poll_s)

    # --- realtime ------------------------------------------------------------------------
    def stream_url(self) -> str:
        return self.url.replace("http://", "ws://").replace("https://", "wss://") + "/stt/v3/stream"


def pcm_frames(samples, frame_samples: int = 512) -> Iterator[bytes]:
    """16 kHz float samples as s16le frames of ``frame_samples`` (Vachana's 1024-byte frames)."""
    import numpy as np

    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    size = frame_samples * 2
    for start in range(0, len(pcm), size):
        yield pcm[start:start + size]
