"""merge the regional plugins' tables (Ningbo 0010, Lianyungang 0011)

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
