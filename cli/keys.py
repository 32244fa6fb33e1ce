"""``sunvai keys``: create, list and revoke API keys in the server's database (run it where the server runs).

The key is printed once, at creation; the database keeps only a salted hash of it.
"""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from sunvai.auth.keys import SURFACES, KeyLimits, KeyRecord, KeyStore
from sunvai.language_router.codes import LanguageCodeError, canonical_code

app = typer.Typer(help="Create, list and revoke API keys (in the database the server uses).", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True)

DatabaseOption = Annotated[Optional[str], typer.Option(
    "--database-url", envvar="SUNVAI_DATABASE_URL",
    help="SQLAlchemy URL of the server's database (default: --config's, else SQLite in $SUNVAI_DATA_DIR)")]
ConfigOption = Annotated[Optional[str], typer.Option(
    "--config", help="the server's Serve config: its args.auth / args.batch say where the database is")]


def _store(database_url: str | None, config: str | None) -> KeyStore:
    if database_url:
        return KeyStore(database_url)
    from sunvai.database import database_url as default_url

    if config:
        from sunvai.deployments.launch import load_config
        from sunvai.service.args import AppArgs

        app_config = load_config(config).applications[0]
        return KeyStore(AppArgs.model_validate(app_config.args).database_url())
    return KeyStore(default_url())


def _split(value: str | None) -> list[str] | None:
    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    return items or None


def _describe(record: KeyRecord) -> dict:
    return {"id": record.id, "name": record.name,
            "languages": list(record.languages) if record.languages else "all",
            "surfaces": list(record.surfaces) if record.surfaces else "all",
            **{k: v for k, v in record.limits.model_dump().items() if v is not None},
            "created_at": record.created_at.isoformat(timespec="seconds") + "Z",
            "revoked_at": record.revoked_at.isoformat(timespec="seconds") + "Z" if record.revoked_at else None}


@app.command()
def create(
    name: Annotated[str, typer.Option("--name", help="who or what the key is for (shown in logs)")],
    languages: Annotated[Optional[str], typer.Option(help="comma list of allowed language codes (default: all)")]
    = None,
    surfaces: Annotated[Optional[str], typer.Option(help=f"comma list of {', '.join(SURFACES)} (default: all)")]
    = None,
    rate: Annotated[Optional[int], typer.Option("--rate", help="requests per minute")] = None,
    audio_per_hour: Annotated[Optional[float], typer.Option(help="audio seconds per hour")] = None,
    streams: Annotated[Optional[int], typer.Option(help="concurrent realtime streams")] = None,
    batch_jobs: Annotated[Optional[int], typer.Option(help="unfinished batch jobs at once")] = None,
    database_url: DatabaseOption = None,
    config: ConfigOption = None,
) -> None:
    """Create a key and print it (once: it cannot be shown again).

    [bold]Example[/bold]: sunvai keys create --name call-centre --languages hi-IN,en-IN --rate 60
    """
    try:
        codes = [canonical_code(code) for code in _split(languages) or []] or None
        limits = KeyLimits(requests_per_minute=rate, audio_seconds_per_hour=audio_per_hour, max_streams=streams,
                           max_batch_jobs=batch_jobs)
    except (LanguageCodeError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    store = _store(database_url, config)
    try:
        key, record = store.create(name, codes, _split(surfaces), limits)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        store.close()
    err.print(f"created key {record.id} ({name}); it is shown once, keep it now:")
    out.print(key)


@app.command("list")
def list_keys(
    all_keys: Annotated[bool, typer.Option("--all", help="include revoked keys")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per key")] = False,
    database_url: DatabaseOption = None,
    config: ConfigOption = None,
) -> None:
    """List keys (never the keys themselves: ids, names, permissions, limits).

    [bold]Example[/bold]: sunvai keys list --all
    """
    store = _store(database_url, config)
    try:
        records = store.list(include_revoked=all_keys)
    finally:
        store.close()
    if as_json:
        for record in records:
            out.print(json.dumps(_describe(record), ensure_ascii=False))
        return
    table = Table("id", "name", "languages", "surfaces", "limits", "created", "revoked")
    for record in records:
        row = _describe(record)
        limits = ", ".join(f"{k}={v}" for k, v in record.limits.model_dump().items() if v is not None) or "-"
        table.add_row(row["id"], row["name"], ",".join(row["languages"]) if record.languages else "all",
                      ",".join(row["surfaces"]) if record.surfaces else "all", limits, row["created_at"],
                      row["revoked_at"] or "-")
    out.print(table)


@app.command()
def revoke(
    key: Annotated[str, typer.Argument(help="the key's id (or its name, if only one key has it)")],
    database_url: DatabaseOption = None,
    config: ConfigOption = None,
) -> None:
    """Revoke a key: every server refuses it within a few seconds (args.auth.cache_s).

    [bold]Example[/bold]: sunvai keys revoke 3f9c0a1b2c4d
    """
    store = _store(database_url, config)
    try:
        found = [r for r in store.find(key) if r.revoked_at is None]
        if len(found) != 1:
            err.print(f"[red]{'no unrevoked key' if not found else f'{len(found)} keys'} with id or name {key!r}"
                      f"{'' if not found else '; give the id'}[/red]")
            raise typer.Exit(1)
        store.revoke(found[0].id)
    finally:
        store.close()
    err.print(f"revoked key {found[0].id} ({found[0].name})")
