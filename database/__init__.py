"""The one database sunvai keeps: batch jobs and API keys (SQLite on one machine, PostgreSQL on a cluster).

Each feature owns its tables (batch/tables.py, auth/tables.py) on the shared :class:`Base`;
the schema changes only through the Alembic migrations in database/migrations.
"""

from sunvai.database.engine import Base, Store, database_url, migrate, open_engine

__all__ = ["Base", "Store", "database_url", "migrate", "open_engine"]
