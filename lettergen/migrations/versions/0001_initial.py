"""Initial register: sequences and entries (without PDF columns).

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "register_sequences",
        sa.Column("sequence_key", sa.String(200), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_seq", sa.Integer, nullable=False),
    )
    op.create_table(
        "register_entries",
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
        sa.UniqueConstraint("sequence_key", "year", "seq", name="uq_register_entries_seq"),
    )
    op.create_index("ix_register_entries_kind_source", "register_entries", ["kind", "source_key"])
    op.create_index("ix_register_entries_status", "register_entries", ["status"])
    op.create_index("ix_register_entries_batch", "register_entries", ["batch_id"])
    op.create_index("ix_register_entries_date", "register_entries", ["letter_date"])


def downgrade() -> None:
    op.drop_table("register_entries")
    op.drop_table("register_sequences")
