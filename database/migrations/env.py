"""Alembic environment: migrations run on the connection the store hands over."""

from alembic import context

import sunvai.database.tables  # noqa: F401  (registers the tables on Base.metadata)
from sunvai.database.engine import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
