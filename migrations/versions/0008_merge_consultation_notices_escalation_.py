"""merge consultation notices escalation public

Revision ID: 0008
Revises: 0004, 0005, 0006, 0007
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.db


revision = '0008'
down_revision = ('0004', '0005', '0006', '0007')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
