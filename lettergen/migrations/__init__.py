"""Alembic migrations of the register's schema (run by :mod:`lettergen.register.engine`).

Revisions live in ``versions/`` and are named ``NNNN_description.py`` with
revision ids ``"0001"``, ``"0002"`` …  To add one, copy the newest file,
bump the ids, set :data:`HEAD` and update :mod:`lettergen.register.schema` to
match; tests fail if any of the three disagree.
"""

#: The newest revision.  Opening a register at this revision needs no Alembic.
HEAD = "0004"
