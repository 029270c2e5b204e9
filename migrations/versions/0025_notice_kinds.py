"""notices.kind: the consultation's results, or another kind a plugin posts (Ningbo's plan)

Revision ID: 0025
Revises: 0024
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notices") as table:
        table.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="results"))


def downgrade() -> None:
    with op.batch_alter_table("notices") as table:
        table.drop_column("kind")
