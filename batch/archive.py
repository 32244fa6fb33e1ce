"""ZIP uploads of batch jobs: one job file per recording inside, with the limits that keep a zip bomb out.

The gnani batch SDK sends a ``.zip`` of recordings as one ``files`` part. Before anything is stored, the
archive's directory is checked: at most ``max_files`` recordings, none encrypted, no path that leaves the
archive (absolute, ``..``, a drive), no archive inside, each at most ``max_file_bytes`` and all together at
most ``max_archive_bytes`` uncompressed, as declared; extraction then stops at the declared size of each entry
(Python's zipfile reads no more than it), so the declared sizes bound what is written. Folders, and the
``__MACOSX/`` and dot-files Finder adds, are skipped.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from sunvai.errors import BadRequest

ARCHIVE_SUFFIXES = (".zip", ".jar", ".tar", ".tgz", ".gz", ".bz2", ".xz", ".7z", ".rar", ".zst")
ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class ArchiveLimits:
    max_files: int
    max_file_bytes: int
    max_archive_bytes: int


@dataclass(frozen=True)
class Recording:
    """One recording inside an archive: its path there (the job file's name) and its entry."""

    name: str
    entry: zipfile.ZipInfo


def is_zip(name: str, head: bytes) -> bool:
    return name.lower().endswith(".zip") or head.startswith(ZIP_MAGIC)


def recordings(archive: zipfile.ZipFile, label: str, limits: ArchiveLimits) -> list[Recording]:
    """The recordings of ``archive`` (an upload named ``label``), checked; a 400 naming the first problem."""
    found: list[Recording] = []
    total = 0
    for entry in archive.infolist():
        name = entry.filename
        path = PurePosixPath(name.replace("\\", "/"))
        if entry.is_dir() or path.parts[:1] == ("__MACOSX",) or path.name.startswith("."):
            continue
        if name.startswith(("/", "\\")) or ".." in path.parts or (len(name) > 1 and name[1] == ":"):
            raise _refused(label, f"the entry {name!r} has a path outside the archive (absolute or with ..)",
                           "unsafe_archive_path")
        if entry.flag_bits & 0x1:
            raise _refused(label, f"the entry {name!r} is encrypted; send the recordings unencrypted",
                           "encrypted_archive")
        if path.suffix.lower() in ARCHIVE_SUFFIXES:
            raise _refused(label, f"the entry {name!r} is an archive inside the archive; send the recordings "
                                  "themselves", "nested_archive")
        if entry.file_size == 0:
            raise _refused(label, f"the entry {name!r} is empty; every file must hold audio", "empty_audio")
        if entry.file_size > limits.max_file_bytes:
            raise _refused(label, f"the entry {name!r} unpacks to {entry.file_size} bytes, over "
                                  f"{limits.max_file_bytes} per file (args.batch.max_file_bytes)", "file_too_large")
        total += entry.file_size
        if total > limits.max_archive_bytes:
            raise _refused(label, f"the archive unpacks to more than {limits.max_archive_bytes} bytes "
                                  "(args.batch.max_archive_bytes)", "archive_too_large")
        found.append(Recording(str(path), entry))
        if len(found) > limits.max_files:
            raise _refused(label, f"the archive holds more than {limits.max_files} recordings, the limit of a job "
                                  "(args.batch.max_files)", "too_many_files")
    if not found:
        raise _refused(label, "the archive holds no recordings", "missing_files")
    return found


def open_zip(source: BinaryIO, label: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _refused(label, f"it is not a readable ZIP archive ({exc})", "invalid_archive") from exc


UNPACK_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError)


def first_bytes_nested(archive: zipfile.ZipFile, recording: Recording, label: str) -> bool:
    """An archive inside under an audio name (checked on its first bytes before it is stored)."""
    try:
        with archive.open(recording.entry) as entry:
            return entry.read(4) == ZIP_MAGIC
    except UNPACK_ERRORS as exc:
        raise unpack_failed(label, recording.name, exc) from exc


def unpack_failed(label: str, name: str, exc: Exception) -> BadRequest:
    return _refused(label, f"the entry {name!r} could not be unpacked ({exc}); send an undamaged ZIP archive",
                    "invalid_archive")


def _refused(label: str, why: str, code: str) -> BadRequest:
    return BadRequest(f"{label!r}: {why}", code=code)
