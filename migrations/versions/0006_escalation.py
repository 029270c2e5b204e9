"""escalation upward, similar topics, upward reports

Revision ID: 0006
Revises: 0003
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.db


revision = '0006'
down_revision = '0003'
branch_labels = None
depends_on = None

CODE = sa.String(length=12).with_variant(sa.String(length=12, collation='C'), 'postgresql')

# Who reads the escalation and report inboxes, and who moves topics up or
# files and answers reports (casbin "p" rows: role, domain, action).
STAFF = ("city_admin", "district_admin", "street_staff", "council_chair", "council_secretary")
POLICY = [
    *[(role, "*", "escalation.read") for role in (*STAFF, "council_member", "cppcc_member", "supervisor")],
    *[(role, "*", "escalation.manage") for role in STAFF],
    *[(role, "*", "report.read") for role in (*STAFF, "council_member", "cppcc_member")],
    *[(role, "*", "report.manage") for role in (*STAFF, "cppcc_member")],
]
ACTIONS = ["escalation.read", "escalation.manage", "report.read", "report.manage"]


def _policy_table():
    return sa.table("authz_policies", sa.column("ptype"), sa.column("v0"), sa.column("v1"), sa.column("v2"),
                    sa.column("v3"), sa.column("v4"), sa.column("v5"))


def upgrade() -> None:
    op.create_table('escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('from_region_code', CODE, nullable=False),
    sa.Column('to_region_code', CODE, nullable=False),
    sa.Column('trigger', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('source_region_codes', sa.JSON(), nullable=False),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.Column('by_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['by_user_id'], ['users.id'], name=op.f('fk_escalations_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['from_region_code'], ['regions.code'], name=op.f('fk_escalations_from_region_code_regions')),
    sa.ForeignKeyConstraint(['to_region_code'], ['regions.code'], name=op.f('fk_escalations_to_region_code_regions')),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_escalations_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations'))
    )
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_index('ix_escalations_to_region_code_at', ['to_region_code', 'at'], unique=False)
        batch_op.create_index('ix_escalations_topic_id', ['topic_id'], unique=False)

    op.create_table('topic_links',
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('similar_topic_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['similar_topic_id'], ['topics.id'], name=op.f('fk_topic_links_similar_topic_id_topics'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_topic_links_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('topic_id', 'similar_topic_id', name=op.f('pk_topic_links'))
    )
    with op.batch_alter_table('topic_links', schema=None) as batch_op:
        batch_op.create_index('ix_topic_links_similar_topic_id', ['similar_topic_id'], unique=False)

    op.create_table('upward_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_region_code', CODE, nullable=False),
    sa.Column('to_region_code', CODE, nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('filed_by_user_id', sa.Integer(), nullable=True),
    sa.Column('filed_by_name', sa.String(length=100), nullable=False),
    sa.Column('filed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_user_id', sa.Integer(), nullable=True),
    sa.Column('answered_by_name', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['answered_by_user_id'], ['users.id'], name=op.f('fk_upward_reports_answered_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['filed_by_user_id'], ['users.id'], name=op.f('fk_upward_reports_filed_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['from_region_code'], ['regions.code'], name=op.f('fk_upward_reports_from_region_code_regions')),
    sa.ForeignKeyConstraint(['to_region_code'], ['regions.code'], name=op.f('fk_upward_reports_to_region_code_regions')),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_upward_reports_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upward_reports'))
    )
    with op.batch_alter_table('upward_reports', schema=None) as batch_op:
        batch_op.create_index('ix_upward_reports_to_region_code_status', ['to_region_code', 'status'], unique=False)
        batch_op.create_index('ix_upward_reports_topic_id', ['topic_id'], unique=False)

    op.bulk_insert(_policy_table(),
                   [dict(ptype="p", v0=r, v1=d, v2=a, v3="", v4="", v5="") for r, d, a in POLICY])


def downgrade() -> None:
    policy = _policy_table()
    op.execute(policy.delete().where(policy.c.v2.in_(ACTIONS)))
    with op.batch_alter_table('upward_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_upward_reports_topic_id')
        batch_op.drop_index('ix_upward_reports_to_region_code_status')
    op.drop_table('upward_reports')
    with op.batch_alter_table('topic_links', schema=None) as batch_op:
        batch_op.drop_index('ix_topic_links_similar_topic_id')
    op.drop_table('topic_links')
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_index('ix_escalations_topic_id')
        batch_op.drop_index('ix_escalations_to_region_code_at')
    op.drop_table('escalations')
