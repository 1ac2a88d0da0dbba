"""Record the PDF copy of a letter: pdf_path and pdf_hash.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("register_entries") as batch:
        batch.add_column(sa.Column("pdf_path", sa.Text))
        batch.add_column(sa.Column("pdf_hash", sa.String(128)))


def downgrade() -> None:
    with op.batch_alter_table("register_entries") as batch:
        batch.drop_column("pdf_hash")
        batch.drop_column("pdf_path")
