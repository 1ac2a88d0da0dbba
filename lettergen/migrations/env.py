"""Alembic environment: runs on the connection handed over by the register.

The register opens the transaction (and takes its lock) itself, so this file
only configures the migration context on ``config.attributes["connection"]``.
"""
from alembic import context

VERSION_TABLE = "register_alembic_version"

connection = context.config.attributes["connection"]
context.configure(connection=connection, version_table=VERSION_TABLE, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
