"""keyed audit chain

Entries already in the chain were sealed with plain SHA-256; they are kept
as they are and marked ``scheme = 'sha256'`` so ``verify`` checks them as
before. Re-sealing them with the key would only prove that whoever ran the
upgrade trusted them, so it is not done. The first checkpoint (``yishi audit
checkpoint``, or the hourly job) records where that legacy part ends; from
then on no entry after it can pass for a legacy one.

Revision ID: 0015
Revises: 0014
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scheme', sa.String(length=16), nullable=False, server_default='sha256'))
    # Only the rows present now are legacy: a later row must name its scheme.
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.alter_column('scheme', server_default=None)


def downgrade() -> None:
    # Entries sealed with the key cannot be checked by the older code after this.
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_column('scheme')
