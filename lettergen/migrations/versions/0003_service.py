"""The HTTP service: API keys, batch jobs, idempotency, verification codes, actors.

Revision ID: 0003
Revises: 0002
"""
import secrets

from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I


def upgrade() -> None:
    with op.batch_alter_table("register_entries") as batch:
        batch.add_column(sa.Column("verify_code", sa.String(32)))
        batch.add_column(sa.Column("actor", sa.Text))
        batch.add_column(sa.Column("status_actor", sa.Text))
        batch.add_column(sa.Column("idempotency_key", sa.String(300)))
        batch.create_index("ix_register_entries_idempotency", ["idempotency_key"])
    conn = op.get_bind()
    ids = [row[0] for row in conn.execute(sa.text("SELECT id FROM register_entries"))]
    if ids:  # letters issued before: each gets its own code now
        conn.execute(sa.text("UPDATE register_entries SET verify_code = :code WHERE id = :id"),
                     [{"id": i, "code": "".join(secrets.choice(_ALPHABET) for _ in range(10))} for i in ids])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("token_hash", sa.String(128), nullable=False, unique=True),
        sa.Column("scopes", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime),
    )
    op.create_table(
        "api_jobs",
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
    )
    op.create_index("ix_api_jobs_status", "api_jobs", ["status"])
    op.create_table(
        "api_idempotency",
        sa.Column("key", sa.String(300), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("pid", sa.Integer),
        sa.Column("host", sa.String(255)),
        sa.Column("proc_start", sa.String(40)),
    )


def downgrade() -> None:
    op.drop_table("api_idempotency")
    op.drop_table("api_jobs")
    op.drop_table("api_keys")
    with op.batch_alter_table("register_entries") as batch:
        batch.drop_index("ix_register_entries_idempotency")
        batch.drop_column("idempotency_key")
        batch.drop_column("status_actor")
        batch.drop_column("actor")
        batch.drop_column("verify_code")
