"""evaluation_reports.evaluator_kind: the supervisory committee (居务监督委员会) or a third party;
supervisors may file the committee's report

Revision ID: 0026
Revises: 0025
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def _policy_table():
    return sa.table("authz_policies", sa.column("ptype"), sa.column("v0"), sa.column("v1"), sa.column("v2"),
                    sa.column("v3"), sa.column("v4"), sa.column("v5"))


def upgrade() -> None:
    with op.batch_alter_table("evaluation_reports") as table:
        table.add_column(sa.Column("evaluator_kind", sa.String(24), nullable=False, server_default="third_party"))
    op.bulk_insert(_policy_table(), [dict(ptype="p", v0="supervisor", v1="*", v2="evaluation.report", v3="",
                                          v4="", v5="")])


def downgrade() -> None:
    policy = _policy_table()
    op.execute(policy.delete().where(policy.c.v0 == "supervisor", policy.c.v2 == "evaluation.report"))
    with op.batch_alter_table("evaluation_reports") as table:
        table.drop_column("evaluator_kind")
