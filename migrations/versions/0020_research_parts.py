"""research_records: the feasibility analysis and the site visit (who went, when, where) of 不调研不协商

Revision ID: 0020
Revises: 0019
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("research_records") as table:
        table.add_column(sa.Column("feasibility", sa.Text, nullable=False, server_default=""))
        table.add_column(sa.Column("visitors", sa.JSON, nullable=False, server_default="[]"))
        table.add_column(sa.Column("visited_on", sa.Date, nullable=True))
        table.add_column(sa.Column("visited_place", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("research_records") as table:
        for column in ("visited_place", "visited_on", "visitors", "feasibility"):
            table.drop_column(column)
