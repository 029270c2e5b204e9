"""audit_head follows the newest entry by a trigger: an append is the lock and its INSERT, with no
UPDATE of the head per entry or per transaction

Revision ID: 0019
Revises: 0018

The head still moves only forward (an entry below it changes nothing), and it
is still locked by the first append of a transaction (core/audit/service.py).
"""
from __future__ import annotations

from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

MOVE = ("UPDATE audit_head SET last_id = NEW.id, last_hash = NEW.hash "
        "WHERE audit_head.id = 1 AND audit_head.last_id < NEW.id")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE FUNCTION audit_head_follows() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {MOVE}; RETURN NULL; END $$")
        op.execute("CREATE TRIGGER audit_entries_move_head AFTER INSERT ON audit_entries "
                   "FOR EACH ROW EXECUTE FUNCTION audit_head_follows()")
    else:
        op.execute(f"CREATE TRIGGER audit_entries_move_head AFTER INSERT ON audit_entries BEGIN {MOVE}; END")


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_entries_move_head" +
               (" ON audit_entries" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_head_follows()")
