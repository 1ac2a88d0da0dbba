"""Register identity and atomic source keys.

* ``register_meta``: the register's id (a random UUID made once, when the
  table is created), which every letter carries in its document properties;
* a unique index on (kind, source_key) over entries that are not void, so the
  same input row run twice at the same time gives one letter.  Registers that
  already hold such duplicates (a concurrent run before this revision) keep
  them: the later duplicates' source key gets a ``#重复:<number>`` suffix.

Revision ID: 0005
Revises: 0002
"""
import uuid

from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status != 'void' AND source_key IS NOT NULL")


def upgrade() -> None:
    meta = op.create_table(
        "register_meta",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.bulk_insert(meta, [{"key": "register_id", "value": uuid.uuid4().hex}])
    conn = op.get_bind()
    dupes = conn.execute(sa.text(
        "SELECT e.id, e.number, e.source_key FROM register_entries e WHERE e.status != 'void' AND e.source_key IS NOT NULL"
        " AND EXISTS (SELECT 1 FROM register_entries f WHERE f.kind = e.kind AND f.source_key = e.source_key"
        " AND f.status != 'void' AND f.id < e.id)")).all()
    for id_, number, key in dupes:
        conn.execute(sa.text("UPDATE register_entries SET source_key = :k WHERE id = :i"),
                     {"k": f"{key}#重复:{number}", "i": id_})
    op.create_index("uq_register_entries_active_source", "register_entries", ["kind", "source_key"], unique=True,
                    sqlite_where=ACTIVE, postgresql_where=ACTIVE)


def downgrade() -> None:
    op.drop_index("uq_register_entries_active_source", "register_entries")
    op.drop_table("register_meta")
