"""merge 0010 and 0011 (once the regional plugins' tables, now no-ops)

Revision ID: 0012
Revises: 0010, 0011
"""
from __future__ import annotations

revision = '0012'
down_revision = ('0010', '0011')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
