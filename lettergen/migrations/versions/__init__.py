"""Migration scripts (one file per revision; alembic skips this file)."""
