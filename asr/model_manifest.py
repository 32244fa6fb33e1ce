"""What ``sunvai models pull`` / ``import`` record beside a model's files: ``sunvai-model.json``.

The manifest names the engine, the languages, where the files came from, each file's size and
SHA-256, and for Whisper fine-tunes how to prompt them (timestamps, a language token). The
model store resolves a configured ``source`` to such a directory and checks that every file is
there at its recorded size (cheap, at each deploy); ``sunvai models verify`` hashes them.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from sunvai.asr.errors import ModelIntegrityError

MANIFEST = "sunvai-model.json"
LibraryEngine = Literal["whisper-ct2", "indic-conformer", "ecapa"]


class FileRecord(BaseModel):
    size: int
    sha256: str


class WhisperTraits(BaseModel):
    """How a Whisper checkpoint was trained, so it is prompted the same way."""

    model_config = ConfigDict(extra="forbid")

    timestamps: bool = Field(True, description="predicts timestamp tokens; most fine-tunes do not")
    language_token: bool = Field(True, description="trained with a language token after <|startoftranscript|>")


class ModelManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    engine: LibraryEngine
    languages: list[str] = Field(default_factory=list, description="ISO codes; empty: every language the model has")
    source: str = Field(description="hf:OWNER/NAME@COMMIT, or import:PATH for a plain directory")
    files: dict[str, FileRecord]
    whisper: WhisperTraits | None = None
    created: str

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files.values())

    def write(self, directory: Path) -> None:
        (directory / MANIFEST).write_text(self.model_dump_json(indent=1), encoding="utf-8")

    @classmethod
    def read(cls, directory: Path) -> ModelManifest | None:
        path = Path(directory) / MANIFEST
        if not path.is_file():
            return None
        try:
            return cls.model_validate_json(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ModelIntegrityError(f"{path} is not a valid manifest ({exc.__class__.__name__}): run "
                                      f"`sunvai models import` again from the original") from exc

    def check_present(self, directory: Path) -> None:
        """Every file there at its recorded size (no hashing): what each deploy checks."""
        for relative, record in self.files.items():
            path = directory / relative
            if not path.is_file():
                raise ModelIntegrityError(f"{path} is missing from model {self.name!r}: pull or import it again "
                                          f"(sunvai models pull / sunvai models import)")
            if path.stat().st_size != record.size:
                raise ModelIntegrityError(
                    f"{path} is {path.stat().st_size} bytes, the manifest says {record.size}: the copy is truncated "
                    f"or changed; pull or import model {self.name!r} again")

    def changed_files(self, directory: Path) -> list[str]:
        """Files whose SHA-256 differs from the manifest (missing ones included)."""
        changed = []
        for relative, record in self.files.items():
            path = directory / relative
            if not path.is_file() or path.stat().st_size != record.size or sha256_file(path) != record.sha256:
                changed.append(relative)
        return changed


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def record_files(directory: Path) -> dict[str, FileRecord]:
    """Size and SHA-256 of every file below ``directory`` except the manifest."""
    return {str(path.relative_to(directory)): FileRecord(size=path.stat().st_size, sha256=sha256_file(path))
            for path in sorted(directory.rglob("*")) if path.is_file() and path.name != MANIFEST}


def whisper_traits(directory: Path) -> WhisperTraits:
    """The traits a prepared model records (defaults for a directory without a manifest)."""
    manifest = ModelManifest.read(directory)
    return manifest.whisper if manifest is not None and manifest.whisper is not None else WhisperTraits()
