"""topic.act: the route that takes a topic's procedure actions is a policy row like every other

Revision ID: 0016
Revises: 0015
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# Who may take a topic's actions at all; which action, at which step, is the procedure's to say.
# The same roles that read topics: residents object to a notice, supervisors note progress.
ACT_POLICY = [(role, "*", "topic.act")
              for role in ("city_admin", "district_admin", "street_staff", "council_chair", "council_secretary",
                           "council_member", "cppcc_member", "supervisor", "resident")]


def _policy_table():
    return sa.table("authz_policies", sa.column("ptype"), sa.column("v0"), sa.column("v1"), sa.column("v2"),
                    sa.column("v3"), sa.column("v4"), sa.column("v5"))


def upgrade() -> None:
    op.bulk_insert(_policy_table(), [dict(ptype="p", v0=r, v1=d, v2=a, v3="", v4="", v5="")
                                     for r, d, a in ACT_POLICY])


def downgrade() -> None:
    policy = _policy_table()
    op.execute(policy.delete().where(policy.c.v2 == "topic.act"))
