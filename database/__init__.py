"""The one database sunvai keeps: batch jobs and API keys (SQLite on one machine, PostgreSQL on a cluster).

The tables (database/tables.py) sit on the shared :class:`Base` beside the migrations;
the schema changes only through the Alembic migrations in database/migrations.
"""

from sunvai.database.engine import Base, Store, database_url, migrate, open_engine

__all__ = ["Base", "Store", "database_url", "migrate", "open_engine"]
