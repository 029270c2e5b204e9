"""ningbo: reserved matters, their referrals to the residents' (representatives') meeting, plan notices

Seed 001 §二(四): matters the law or policy reserves to the residents'
(representatives') meeting go there with the consultation's results; the
consultation plan is published in advance, on the public notice board.

Revision ID: ningbo_0002
Revises: ningbo_0001
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.db
from core.migrate import tables_missing


revision = 'ningbo_0002'
down_revision = 'ningbo_0001'
branch_labels = None
depends_on = None

TABLES = ('ningbo_reserved_matters', 'ningbo_assembly_referrals', 'ningbo_plan_notices')


def upgrade() -> None:
    # Run again on a database that has the tables but lost the branch's version row (as
    # tests/test_migrations.py rebuilds one from core revision 0010's days): adopt them, as ningbo_0001 does.
    missing = tables_missing(*TABLES)
    if 'ningbo_reserved_matters' in missing:
        op.create_table('ningbo_reserved_matters',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.Column('basis', sa.Text(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=True),
        sa.Column('marked_by_user_id', sa.Integer(), nullable=True),
        sa.Column('marked_by_name', sa.String(length=100), nullable=False),
        sa.Column('marked_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['event_id'], ['topic_events.id'], name=op.f('fk_ningbo_reserved_matters_event_id_topic_events'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['marked_by_user_id'], ['users.id'], name=op.f('fk_ningbo_reserved_matters_marked_by_user_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_ningbo_reserved_matters_topic_id_topics'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ningbo_reserved_matters')),
        sa.UniqueConstraint('topic_id', name=op.f('uq_ningbo_reserved_matters_topic_id'))
        )
    if 'ningbo_assembly_referrals' in missing:
        op.create_table('ningbo_assembly_referrals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.Column('referred_event_id', sa.Integer(), nullable=True),
        sa.Column('referred_at', core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('reserved', sa.Boolean(), nullable=False),
        sa.Column('objections', sa.Integer(), nullable=False),
        sa.Column('decided_event_id', sa.Integer(), nullable=True),
        sa.Column('adopted', sa.Boolean(), nullable=True),
        sa.Column('held_at', core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('place', sa.String(length=200), nullable=False),
        sa.Column('decision', sa.Text(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('decided_by_name', sa.String(length=100), nullable=False),
        sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['decided_event_id'], ['topic_events.id'], name=op.f('fk_ningbo_assembly_referrals_decided_event_id_topic_events'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['referred_event_id'], ['topic_events.id'], name=op.f('fk_ningbo_assembly_referrals_referred_event_id_topic_events'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_ningbo_assembly_referrals_topic_id_topics'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ningbo_assembly_referrals'))
        )
        with op.batch_alter_table('ningbo_assembly_referrals', schema=None) as batch_op:
            batch_op.create_index('ix_ningbo_assembly_referrals_topic_id', ['topic_id', 'id'], unique=False)
    if 'ningbo_plan_notices' in missing:
        op.create_table('ningbo_plan_notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('notice_id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_ningbo_plan_notices_meeting_id_meetings'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['notice_id'], ['notices.id'], name=op.f('fk_ningbo_plan_notices_notice_id_notices'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ningbo_plan_notices')),
        sa.UniqueConstraint('notice_id', name=op.f('uq_ningbo_plan_notices_notice_id'))
        )


def downgrade() -> None:
    op.drop_table('ningbo_plan_notices')
    with op.batch_alter_table('ningbo_assembly_referrals', schema=None) as batch_op:
        batch_op.drop_index('ix_ningbo_assembly_referrals_topic_id')
    op.drop_table('ningbo_assembly_referrals')
    op.drop_table('ningbo_reserved_matters')
