"""Engines and migrations for the shared database."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, sessionmaker

from sunvai.settings import process_settings

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 7_477_001  # PostgreSQL advisory lock id: one replica migrates at a time
_MIGRATE_LOCK = threading.Lock()  # Alembic's command API is not thread-safe within one process


class Base(DeclarativeBase):
    pass


def database_url(configured: str | None = None, data_dir: str | None = None) -> str:
    """``configured``, else $SUNVAI_DATABASE_URL (a Kubernetes secret), else SQLite in ``data_dir`` (default
    $SUNVAI_DATA_DIR)."""
    settings = process_settings()
    if configured:
        return configured
    if settings.database_url:
        return settings.database_url
    return f"sqlite:///{Path(data_dir or settings.data_dir).expanduser() / 'sunvai.db'}"


def open_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite in WAL mode so several processes share the file."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):  # WAL: readers never block the writer
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (idempotent; one process at a time)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with _MIGRATE_LOCK, engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Store:
    """A store over the shared database: opens its engine and brings the schema up to date."""

    def __init__(self, url: str):
        self.url = url
        self.engine = open_engine(url)
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()
