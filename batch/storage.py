"""Uploaded audio and transcripts on disk (a shared volume on a cluster), written atomically."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


class BatchStorage:
    """``jobs/<job>/audio/<file>`` and ``jobs/<job>/transcripts/<file>.json`` under ``root``."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self._secret = _secret(self.root / ".transcript-url-key")

    def audio_path(self, job_id: str, file_id: str) -> Path:
        return self.root / "jobs" / job_id / "audio" / file_id

    def transcript_path(self, job_id: str, file_id: str) -> Path:
        return self.root / "jobs" / job_id / "transcripts" / f"{file_id}.json"

    def save_audio(self, job_id: str, file_id: str, source: BinaryIO, max_bytes: int) -> int:
        """Copy an upload to storage; raises ValueError past ``max_bytes``. Returns the size."""
        target = self.audio_path(job_id, file_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        size = 0
        partial = target.with_suffix(".part")
        with open(partial, "wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    out.close()
                    partial.unlink(missing_ok=True)
                    raise ValueError(f"more than {max_bytes} bytes")
                out.write(chunk)
        os.replace(partial, target)
        return size

    def read_audio(self, job_id: str, file_id: str) -> bytes:
        return self.audio_path(job_id, file_id).read_bytes()

    def write_transcript(self, job_id: str, file_id: str, document: dict) -> None:
        """Write the transcript whole or not at all (a rewrite by a second worker replaces it)."""
        target = self.transcript_path(job_id, file_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
        partial.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, target)

    def read_transcript(self, job_id: str, file_id: str) -> bytes:
        return self.transcript_path(job_id, file_id).read_bytes()

    def delete_job(self, job_id: str) -> None:
        shutil.rmtree(self.root / "jobs" / job_id, ignore_errors=True)

    # --- transcript links (like presigned URLs: no API key needed, valid for a while) ---
    def sign(self, job_id: str, file_id: str, ttl_s: float) -> tuple[int, str]:
        expires = int(time.time() + ttl_s)
        return expires, self._signature(job_id, file_id, expires)

    def verify(self, job_id: str, file_id: str, expires: int, signature: str) -> bool:
        return expires >= time.time() and hmac.compare_digest(self._signature(job_id, file_id, expires), signature)

    def _signature(self, job_id: str, file_id: str, expires: int) -> str:
        message = f"{job_id}/{file_id}/{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()


def _secret(path: Path) -> bytes:
    """A random key kept beside the data, so every replica that shares the volume signs alike."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process may be writing it right now
            data = path.read_bytes()
            if len(data) == 32:
                return data
            time.sleep(0.02)
        raise RuntimeError(f"{path} is not a 32-byte key; delete it to make a new one")
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key
