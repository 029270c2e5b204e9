"""login throttling and password changes

Revision ID: 0013
Revises: 0012
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.db


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# A city admin may unlock an account whose grants all lie in their city
# (the route checks the reach); platform admin has it through "*".
UNLOCK_POLICY = [("city_admin", "*", "user.unlock")]


def _policy_table():
    return sa.table("authz_policies", sa.column("ptype"), sa.column("v0"), sa.column("v1"), sa.column("v2"),
                    sa.column("v3"), sa.column("v4"), sa.column("v5"))


def upgrade() -> None:
    op.create_table('login_throttles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('blocked_until', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_until', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttles')),
    sa.UniqueConstraint('scope', 'key', name='uq_login_throttles_scope_key')
    )
    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.create_index('ix_login_throttles_last_failure_at', ['last_failure_at'], unique=False)
    op.bulk_insert(_policy_table(), [dict(ptype="p", v0=r, v1=d, v2=a, v3="", v4="", v5="")
                                     for r, d, a in UNLOCK_POLICY])


def downgrade() -> None:
    table = _policy_table()
    for role, domain, action in UNLOCK_POLICY:
        op.execute(table.delete().where(table.c.ptype == "p", table.c.v0 == role, table.c.v1 == domain,
                                        table.c.v2 == action))
    with op.batch_alter_table('login_throttles', schema=None) as batch_op:
        batch_op.drop_index('ix_login_throttles_last_failure_at')
    op.drop_table('login_throttles')
