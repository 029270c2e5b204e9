"""screening_decisions: where a rejected matter was referred and by which channel

Revision ID: 0022
Revises: 0021
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("screening_decisions") as table:
        table.add_column(sa.Column("referred_to", sa.String(200), nullable=False, server_default=""))
        table.add_column(sa.Column("channel", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("screening_decisions") as table:
        table.drop_column("channel")
        table.drop_column("referred_to")
