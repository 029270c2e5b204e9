"""lianyungang: a no-op since its tables moved to the plugin's own branch

Lianyungang's tables (consultation homes, their quarter checks, city
matters) are made by the ``lianyungang`` branch in
``plugins/lianyungang/migrations``. The revision stays in the core chain so
a database that ran it keeps a valid history; the branch's first revision
adopts the tables such a database already has.

Revision ID: 0011
Revises: 0009
"""
from __future__ import annotations

revision = '0011'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
