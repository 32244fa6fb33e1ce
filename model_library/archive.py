"""Unpack a model archive (what ``sunvai models pull`` made elsewhere, tarred or zipped) safely."""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

from sunvai.asr.errors import ModelUnavailableError

SUFFIXES = (".tar", ".tar.gz", ".tgz", ".zip")


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.endswith(SUFFIXES)


def unpack(archive: Path, into: Path) -> Path:
    """Extract ``archive`` into ``into``; returns the model directory (the single top folder, if there is one).
    Members that would land outside ``into`` (absolute paths, ``..``, links) are refused."""
    try:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as bundle:
                for member in bundle.namelist():
                    _inside(into, member, archive)
                bundle.extractall(into)
        else:
            with tarfile.open(archive) as bundle:
                bundle.extractall(into, filter="data")  # refuses absolute paths, .. and links leaving `into`
    except (tarfile.TarError, zipfile.BadZipFile, OSError) as exc:
        raise ModelUnavailableError(f"cannot unpack {archive}: {exc}") from exc
    entries = [p for p in into.iterdir() if not p.name.startswith(".")]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else into


def _inside(root: Path, member: str, archive: Path) -> None:
    target = (root / member).resolve()
    if not target.is_relative_to(root.resolve()):
        raise ModelUnavailableError(f"{archive}: member {member!r} would be written outside the model folder")
