"""ningbo: a no-op since its tables moved to the plugin's own branch

Ningbo's tables (demonstration points, estate joint meeting parties) are
made by the ``ningbo`` branch in ``plugins/ningbo/migrations``. The revision
stays in the core chain so a database that ran it keeps a valid history;
the branch's first revision adopts the tables such a database already has.

Revision ID: 0010
Revises: 0009
"""
from __future__ import annotations

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
