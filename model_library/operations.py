"""``sunvai models`` pull, import, list and verify, on a :class:`~sunvai.asr.model_store.ModelStore`'s library."""

from __future__ import annotations

import datetime
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sunvai.asr.errors import ModelIntegrityError, ModelUnavailableError
from sunvai.asr.model_manifest import MANIFEST, ModelManifest, record_files
from sunvai.asr.model_store import ModelStore
from sunvai.model_library.archive import is_archive, unpack
from sunvai.model_library.prepare import prepare

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class Listed:
    name: str
    engine: str
    languages: list[str]
    source: str
    size: int
    state: str  # "present" (every file at its size) or what is wrong


@dataclass(frozen=True)
class Verified:
    name: str
    changed: list[str]  # files whose SHA-256 differs (or missing)
    checks: list[str]  # what the engine's own check found (empty: nothing wrong)

    @property
    def ok(self) -> bool:
        return not self.changed and not self.checks


def default_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9._-]+", "-", text.rsplit("/", 1)[-1].lower()).strip("-.")
    if not NAME.match(name):
        raise ModelUnavailableError(f"cannot make a model name of {text!r}: give one with --name")
    return name


def import_model(store: ModelStore, path: Path, name: str | None = None, source: str | None = None,
                 quantization: str | None = None, timestamps: bool | None = None,
                 language_token: bool | None = None) -> ModelManifest:
    """Place the model at ``path`` (a directory, or an archive of one) in the library, converted as its engine
    needs, with a manifest of checksums. A directory that ``pull`` made elsewhere is checked against its
    manifest and copied as it is."""
    path = Path(path).expanduser()
    if not path.exists():
        raise ModelUnavailableError(f"{path} does not exist")
    store.library_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=store.library_dir, prefix=".import-") as scratch:
        if is_archive(path):
            path = unpack(path, Path(scratch) / "unpacked")
        made = ModelManifest.read(path)
        if made is not None:
            return _copy_prepared(store, path, made, name)
        name = name or default_name(path.name)
        staging = Path(scratch) / "staging"
        staging.mkdir()
        prepared = prepare(path, staging, quantization, timestamps, language_token)
        manifest = ModelManifest(name=name, engine=prepared.engine, languages=prepared.languages,
                                 source=source or f"import:{path.resolve()}", files=record_files(staging),
                                 whisper=prepared.whisper, created=_now())
        manifest.write(staging)
        _publish(store, staging, name)
    return manifest


def pull(store: ModelStore, repo_id: str, name: str | None = None, revision: str | None = None,
         quantization: str | None = None, timestamps: bool | None = None,
         language_token: bool | None = None) -> ModelManifest:
    """Download ``repo_id`` from the Hugging Face hub and import it. Fails fast where the hub is unreachable."""
    if repo_id.count("/") != 1:
        raise ModelUnavailableError(f"{repo_id!r} is not a Hugging Face id (owner/name)")
    from huggingface_hub import snapshot_download

    if store.hub_offline() or not store.hub_reachable():
        raise ModelUnavailableError(
            f"cannot pull {repo_id}: the Hugging Face hub ({store.hub_endpoint()}) is not reachable from this machine. "
            f"On a machine that reaches it run `sunvai models pull {repo_id}`, copy its folder from `sunvai models "
            "list` here, and run `sunvai models import FOLDER`")
    with tempfile.TemporaryDirectory(dir=_ensure(store.library_dir), prefix=".pull-") as scratch:
        try:
            local = Path(snapshot_download(repo_id, revision=revision, local_dir=Path(scratch) / "download",
                                           ignore_patterns=["*rnnt*", "*joint*", "*.msgpack", "*.h5", "*.ot",
                                                            "flax_model*", "tf_model*"]))
        except Exception as exc:  # huggingface_hub raises many types
            raise ModelUnavailableError(f"downloading {repo_id} failed: {exc}") from exc
        from huggingface_hub import HfApi

        try:
            commit = HfApi().model_info(repo_id, revision=revision).sha
        except Exception:  # the download worked; the commit is only recorded
            commit = revision or "unknown"
        return import_model(store, local, name or default_name(repo_id), f"hf:{repo_id}@{commit}", quantization,
                            timestamps, language_token)


def list_models(store: ModelStore) -> list[Listed]:
    rows = []
    for directory, manifest in store.library():
        try:
            manifest.check_present(directory)
            state = "present"
        except ModelIntegrityError as exc:
            state = str(exc)
        rows.append(Listed(manifest.name, manifest.engine, manifest.languages, manifest.source, manifest.size, state))
    return rows


def verify(store: ModelStore, name: str) -> Verified:
    """Hash every file against the manifest, then load the model the way its engine does."""
    entry = next(((d, m) for d, m in store.library() if name in (m.name, d.name)), None)
    if entry is None:
        known = ", ".join(m.name for _, m in store.library()) or "none"
        raise ModelUnavailableError(f"no model {name!r} in {store.library_dir} (models: {known})")
    directory, manifest = entry
    changed = manifest.changed_files(directory)
    checks = [] if changed else engine_checks(directory, manifest)
    return Verified(manifest.name, changed, checks)


def engine_checks(directory: Path, manifest: ModelManifest) -> list[str]:
    """What the engine's loader finds wrong (empty: it loads and agrees with the release's own reference)."""
    from sunvai.model_library.checks import CHECKS

    try:
        return CHECKS[manifest.engine](directory)
    except ModelUnavailableError as exc:
        return [str(exc)]


def _copy_prepared(store: ModelStore, source: Path, manifest: ModelManifest, name: str | None) -> ModelManifest:
    changed = manifest.changed_files(source)
    if changed:
        raise ModelIntegrityError(f"{source}: {', '.join(changed)} differ from its manifest ({MANIFEST}): copy the "
                                  "folder again from the machine that pulled it")
    if name and name != manifest.name:
        manifest = manifest.model_copy(update={"name": name})
    with tempfile.TemporaryDirectory(dir=store.library_dir, prefix=".copy-") as scratch:
        staging = Path(scratch) / "staging"
        shutil.copytree(source, staging)
        manifest.write(staging)
        _publish(store, staging, manifest.name)
    return manifest


def _publish(store: ModelStore, staging: Path, name: str) -> None:
    target = store.library_dir / name
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)


def _ensure(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
