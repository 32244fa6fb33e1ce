"""``sunvai models``: pull, import, list and verify the models in the model cache (``SUNVAI_MODEL_CACHE``).

A config names a library model by its name or by the Hugging Face id it was pulled from, so the
same config serves a networked machine (``pull``) and an air-gapped one (``import`` of the folder
``pull`` made).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from rich.console import Console
from rich.table import Table

from sunvai.asr.errors import ModelUnavailableError
from sunvai.asr.model_manifest import ModelManifest
from sunvai.asr.model_store import ModelStore
from sunvai.model_library import operations

app = typer.Typer(help="Pull, import, list and verify models in the model cache.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

CacheOption = Annotated[Optional[Path], typer.Option(
    "--cache", envvar="SUNVAI_MODEL_CACHE", help="the model cache (default: ~/.cache/sunvai/models); the library is its library/ folder")]
NameOption = Annotated[Optional[str], typer.Option("--name", help="the model's name in the library")]
QuantOption = Annotated[Optional[str], typer.Option(
    "--quantization", help="Whisper: CTranslate2 weight type (float16, int8_float16, int8...); default keeps the "
                           "checkpoint's")]
TimestampsOption = Annotated[Optional[bool], typer.Option(
    "--timestamps/--no-timestamps", help="Whisper: the model predicts timestamps (default: read from its config)")]
LanguageTokenOption = Annotated[Optional[bool], typer.Option(
    "--language-token/--no-language-token",
    help="Whisper: trained with a language token (default: read from its config)")]


def _fail(exc: Exception) -> None:
    err.print(f"[red]error:[/red] {exc}")
    raise typer.Exit(1)


def _place(cache: Path | None, operation: Callable[[ModelStore], ModelManifest]) -> None:
    """Run a pull or an import on the cache's library and say where the model is and how to name it."""
    store = ModelStore(cache)
    try:
        manifest = operation(store)
    except ModelUnavailableError as exc:
        _fail(exc)
    out.print(f"{manifest.name}: {manifest.engine}, {len(manifest.files)} files, {manifest.size / 1e6:.1f} MB in "
              f"{store.library_dir / manifest.name}")
    out.print(f"use it with   source: {manifest.name}")


@app.command("pull")
def pull_command(repo_id: Annotated[str, typer.Argument(help="Hugging Face id, e.g. "
                                                             "ai4bharat/indic-conformer-600m-multilingual")],
                 name: NameOption = None, revision: Annotated[Optional[str], typer.Option(help="branch, tag or "
                                                                                              "commit")] = None,
                 quantization: QuantOption = None, timestamps: TimestampsOption = None,
                 language_token: LanguageTokenOption = None, cache: CacheOption = None) -> None:
    """Download a model, verify it, convert it (Whisper: CTranslate2) and place it in the cache with checksums."""
    _place(cache, lambda store: operations.pull(store, repo_id, name, revision, quantization, timestamps,
                                                language_token))


@app.command("import")
def import_command(path: Annotated[Path, typer.Argument(help="a folder or archive that `pull` made, or a plain "
                                                             "Hugging Face model folder")],
                   name: NameOption = None, quantization: QuantOption = None, timestamps: TimestampsOption = None,
                   language_token: LanguageTokenOption = None, cache: CacheOption = None) -> None:
    """Import a model without a network: checked against its manifest, or converted like `pull` does."""
    _place(cache, lambda store: operations.import_model(store, path, name, None, quantization, timestamps,
                                                        language_token))


@app.command("list")
def list_command(cache: CacheOption = None,
                 as_json: Annotated[bool, typer.Option("--json", help="one JSON object per model")] = False) -> None:
    """Every model in the cache: name, engine, languages, source, size, and whether its files are all there."""
    rows = operations.list_models(ModelStore(cache))
    if as_json:
        for row in rows:
            out.print(json.dumps(row.__dict__, ensure_ascii=False))
        return
    table = Table("name", "engine", "languages", "source", "size", "files")
    for row in rows:
        table.add_row(row.name, row.engine, ",".join(row.languages) or "all of the model's", row.source,
                      f"{row.size / 1e6:.1f} MB", row.state)
    out.print(table if rows else f"no models in {ModelStore(cache).library_dir}")


@app.command("verify")
def verify_command(names: Annotated[Optional[list[str]], typer.Argument(help="models to verify (default: all)")] = None,
                   cache: CacheOption = None) -> None:
    """Hash every file against its manifest and load each model as its engine does."""
    store = ModelStore(cache)
    names = names or [m.name for _, m in store.library()]
    failed = False
    for name in names:
        try:
            result = operations.verify(store, name)
        except ModelUnavailableError as exc:
            _fail(exc)
        if result.ok:
            out.print(f"{result.name}: verified")
            continue
        failed = True
        for relative in result.changed:
            out.print(f"{result.name}: {relative} differs from the manifest (pull or import it again)")
        for problem in result.checks:
            out.print(f"{result.name}: {problem}")
    if failed:
        raise typer.Exit(1)
