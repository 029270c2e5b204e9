"""council_members.cppcc_level: a CPPCC member's committee (city, district/county)

Revision ID: 0024
Revises: 0023
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("council_members") as table:
        table.add_column(sa.Column("cppcc_level", sa.String(16), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("council_members") as table:
        table.drop_column("cppcc_level")
