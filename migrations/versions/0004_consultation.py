"""consultation: research records, meetings (agenda, participants, minutes,
votes, ballots) and outcomes

Revision ID: 0004
Revises: 0003
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.db


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# Who may read and run consultation meetings (casbin "p" rows: role, domain, action).
MEETING_POLICY = [
    *[(role, "*", "meeting.read")
      for role in ("city_admin", "district_admin", "street_staff", "council_chair", "council_secretary",
                   "council_member", "cppcc_member", "supervisor")],
    *[(role, "*", "meeting.manage")
      for role in ("city_admin", "district_admin", "street_staff", "council_chair", "council_secretary")],
]
MEETING_ACTIONS = ["meeting.read", "meeting.manage"]
# Dropped children first.
TABLES = ["outcomes", "meeting_ballots", "meeting_votes", "meeting_minutes", "meeting_participants",
          "meeting_topics", "meetings", "research_records"]


def _policy_table():
    return sa.table("authz_policies", sa.column("ptype"), sa.column("v0"), sa.column("v1"), sa.column("v2"),
                    sa.column("v3"), sa.column("v4"), sa.column("v5"))


def upgrade() -> None:
    op.create_table('research_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('methods', sa.JSON(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('draft_plan', sa.Text(), nullable=False),
    sa.Column('attachments', sa.JSON(), nullable=False),
    sa.Column('recorded_by_user_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_name', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['topic_events.id'], name=op.f('fk_research_records_event_id_topic_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['users.id'], name=op.f('fk_research_records_recorded_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_research_records_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_research_records'))
    )
    op.create_index('ix_research_records_topic_id', 'research_records', ['topic_id'], unique=False)
    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12).with_variant(sa.String(length=12, collation='C'), 'postgresql'), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('form', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('starts_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('plan', sa.Text(), nullable=False),
    sa.Column('plan_published_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('closed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['council_id'], ['councils.id'], name=op.f('fk_meetings_council_id_councils'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_meetings_created_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_meetings_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    op.create_index('ix_meetings_region_code_starts_at', 'meetings', ['region_code', 'starts_at'], unique=False)
    op.create_index('ix_meetings_council_id', 'meetings', ['council_id'], unique=False)
    op.create_table('meeting_topics',
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('added_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_topics_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_meeting_topics_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('meeting_id', 'topic_id', name=op.f('pk_meeting_topics'))
    )
    op.create_index('ix_meeting_topics_topic_id', 'meeting_topics', ['topic_id'], unique=False)
    op.create_table('meeting_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('invited', sa.Boolean(), nullable=False),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_participants_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['council_members.id'], name=op.f('fk_meeting_participants_member_id_council_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_participants'))
    )
    op.create_index('ix_meeting_participants_meeting_id', 'meeting_participants', ['meeting_id'], unique=False)
    op.create_table('meeting_minutes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.Column('speaker_member_id', sa.Integer(), nullable=True),
    sa.Column('speaker_name', sa.String(length=100), nullable=False),
    sa.Column('points', sa.Text(), nullable=False),
    sa.Column('recorded_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_minutes_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['speaker_member_id'], ['council_members.id'], name=op.f('fk_meeting_minutes_speaker_member_id_council_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_meeting_minutes_topic_id_topics'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_minutes'))
    )
    op.create_index('ix_meeting_minutes_meeting_id', 'meeting_minutes', ['meeting_id', 'id'], unique=False)
    op.create_table('meeting_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('votes_for', sa.Integer(), nullable=False),
    sa.Column('votes_against', sa.Integer(), nullable=False),
    sa.Column('votes_abstain', sa.Integer(), nullable=False),
    sa.Column('fixed_members', sa.Integer(), nullable=False),
    sa.Column('fixed_present', sa.Integer(), nullable=False),
    sa.Column('quorum_ratio', sa.Float(), nullable=False),
    sa.Column('quorum_required', sa.Integer(), nullable=False),
    sa.Column('quorum_met', sa.Boolean(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('by_ballot', sa.Boolean(), nullable=False),
    sa.Column('resolution', sa.Text(), nullable=False),
    sa.Column('recorded_by_user_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_meeting_votes_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['users.id'], name=op.f('fk_meeting_votes_recorded_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_meeting_votes_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meeting_votes')),
    sa.UniqueConstraint('meeting_id', 'topic_id', name='uq_meeting_votes_meeting_topic')
    )
    op.create_index('ix_meeting_votes_topic_id', 'meeting_votes', ['topic_id'], unique=False)
    op.create_table('meeting_ballots',
    sa.Column('vote_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['council_members.id'], name=op.f('fk_meeting_ballots_member_id_council_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_id'], ['meeting_votes.id'], name=op.f('fk_meeting_ballots_vote_id_meeting_votes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('vote_id', 'member_id', name=op.f('pk_meeting_ballots'))
    )
    op.create_table('outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('vote_id', sa.Integer(), nullable=True),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('form', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('responsible_party', sa.String(length=200), nullable=False),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('created_by_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id'], name=op.f('fk_outcomes_created_by_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['topic_events.id'], name=op.f('fk_outcomes_event_id_topic_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_outcomes_meeting_id_meetings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_outcomes_topic_id_topics'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vote_id'], ['meeting_votes.id'], name=op.f('fk_outcomes_vote_id_meeting_votes'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcomes')),
    sa.UniqueConstraint('vote_id', name=op.f('uq_outcomes_vote_id'))
    )
    op.create_index('ix_outcomes_topic_id', 'outcomes', ['topic_id'], unique=False)

    op.bulk_insert(_policy_table(),
                   [dict(ptype="p", v0=r, v1=d, v2=a, v3="", v4="", v5="") for r, d, a in MEETING_POLICY])


def downgrade() -> None:
    policy = _policy_table()
    op.execute(policy.delete().where(policy.c.v2.in_(MEETING_ACTIONS)))
    # Indexes go with their tables.
    for table in TABLES:
        op.drop_table(table)
