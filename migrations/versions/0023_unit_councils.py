"""regions.unit_kind: councils of enterprises and institutions under a street

Revision ID: 0023
Revises: 0022
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("regions") as table:
        table.add_column(sa.Column("unit_kind", sa.String(16), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("regions") as table:
        table.drop_column("unit_kind")
