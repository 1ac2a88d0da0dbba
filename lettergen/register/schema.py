"""The register's tables as they are at the newest migration (head).

The migrations in :mod:`lettergen.migrations` create and upgrade these
tables; ``tests/test_register.py`` checks that both agree.
"""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: One row per (sequence key, year): the last sequence number handed out.
#: Reservations lock this row, so numbers are consecutive across processes.
sequences = sa.Table(
    "register_sequences",
    metadata,
    sa.Column("sequence_key", sa.String(200), primary_key=True),
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("last_seq", sa.Integer, nullable=False),
)

#: One row per number ever handed out; rows are never deleted.
entries = sa.Table(
    "register_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("number", sa.String(200), nullable=False, unique=True),
    sa.Column("sequence_key", sa.String(200), nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("year", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("letter_date", sa.Date, nullable=False),
    sa.Column("customer", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("template_name", sa.Text, nullable=False),
    sa.Column("template_hash", sa.String(128), nullable=False),
    sa.Column("output_path", sa.Text),
    sa.Column("file_hash", sa.String(128)),
    sa.Column("pdf_path", sa.Text),
    sa.Column("pdf_hash", sa.String(128)),
    sa.Column("batch_id", sa.String(100)),
    sa.Column("source_key", sa.Text),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("status_reason", sa.Text),
    sa.Column("status_at", sa.DateTime, nullable=False),
    sa.Column("supersedes", sa.String(200)),
    sa.Column("superseded_by", sa.String(200)),
    sa.Column("issued_by", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("pid", sa.Integer),
    sa.Column("host", sa.String(255)),
    sa.Column("proc_start", sa.String(40)),
    sa.Column("verify_code", sa.String(32)),
    sa.Column("actor", sa.Text),
    sa.Column("status_actor", sa.Text),
    sa.Column("idempotency_key", sa.String(300)),
    sa.UniqueConstraint("sequence_key", "year", "seq", name="uq_register_entries_seq"),
    sa.Index("ix_register_entries_kind_source", "kind", "source_key"),
    sa.Index("ix_register_entries_status", "status"),
    sa.Index("ix_register_entries_batch", "batch_id"),
    sa.Index("ix_register_entries_date", "letter_date"),
    sa.Index("ix_register_entries_idempotency", "idempotency_key"),
    # one active (not void) letter per input row: a sheet run twice at once cannot issue two
    sa.Index("uq_register_entries_active_source", "kind", "source_key", unique=True,
             sqlite_where=sa.text("status != 'void' AND source_key IS NOT NULL"),
             postgresql_where=sa.text("status != 'void' AND source_key IS NOT NULL")),
)

#: Facts about the register itself; ``register_id`` identifies it in every letter it numbers.
meta = sa.Table(
    "register_meta",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

#: API keys of the HTTP service: only a SHA-256 of each token is stored.
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("token_hash", sa.String(128), nullable=False, unique=True),
    sa.Column("scopes", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime),
)

#: Batch jobs of the HTTP service; any process reads their state from here.
api_jobs = sa.Table(
    "api_jobs",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.String(100), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("options", sa.Text, nullable=False),
    sa.Column("source_name", sa.Text, nullable=False),
    sa.Column("work_dir", sa.Text, nullable=False),
    sa.Column("actor", sa.Text),
    sa.Column("done", sa.Integer, nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("result", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("pid", sa.Integer),
    sa.Column("host", sa.String(255)),
    sa.Column("proc_start", sa.String(40)),
    sa.Index("ix_api_jobs_status", "status"),
)

#: Idempotency-Key claims of ``POST /letters``: the request's hash per key.
#: The letter itself carries the key (``register_entries.idempotency_key``),
#: written in the same transaction that takes its number.
api_idempotency = sa.Table(
    "api_idempotency",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("pid", sa.Integer),
    sa.Column("host", sa.String(255)),
    sa.Column("proc_start", sa.String(40)),
)

#: People who use the web page (issue 11): one row per account, never deleted
#: (``disabled`` instead).  ``password_hash`` is an argon2 hash.
web_users = sa.Table(
    "web_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(100), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("failed_logins", sa.Integer, nullable=False, default=0),
    sa.Column("locked_until", sa.DateTime),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_login_at", sa.DateTime),
)

#: Web sessions: the cookie holds a random token, the database only its sha256,
#: so any worker process can check a session and logout really ends it.
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("user_name", sa.String(100), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Index("ix_web_sessions_user", "user_name"),
)
