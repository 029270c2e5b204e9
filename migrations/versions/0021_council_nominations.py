"""council nominations and the party organisation's confirmation of the list; a council's grids

Revision ID: 0021
Revises: 0020
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("council_members") as table:
        table.add_column(sa.Column("nominated_by", sa.String(24), nullable=False, server_default=""))
        table.add_column(sa.Column("confirmed_on", sa.Date, nullable=True))
        table.add_column(sa.Column("confirmed_by", sa.String(200), nullable=False, server_default=""))
    with op.batch_alter_table("councils") as table:
        table.add_column(sa.Column("grids", sa.JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("councils") as table:
        table.drop_column("grids")
    with op.batch_alter_table("council_members") as table:
        for column in ("confirmed_by", "confirmed_on", "nominated_by"):
            table.drop_column(column)
