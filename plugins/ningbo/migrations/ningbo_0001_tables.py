"""ningbo: demonstration points (示范观察点) and the parties of estate joint meetings

The first revision of the ``ningbo`` branch. Core revision 0010 made these
tables until they moved here; on a database it ran on, they exist already
and are adopted as they are.

Revision ID: ningbo_0001
Revises:
Depends on: 0009
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.db
from core.migrate import tables_missing


revision = 'ningbo_0001'
down_revision = None
branch_labels = ('ningbo',)
depends_on = '0009'


def _code(length: int):
    return sa.String(length=length).with_variant(sa.String(length=length, collation='C'), 'postgresql')


def upgrade() -> None:
    missing = tables_missing('ningbo_demonstration_points', 'ningbo_estate_parties')
    if 'ningbo_demonstration_points' in missing:
        op.create_table('ningbo_demonstration_points',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region_code', _code(12), nullable=False),
        sa.Column('designated_on', sa.Date(), nullable=False),
        sa.Column('designated_by_user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['designated_by_user_id'], ['users.id'], name=op.f('fk_ningbo_demonstration_points_designated_by_user_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_ningbo_demonstration_points_region_code_regions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ningbo_demonstration_points')),
        sa.UniqueConstraint('region_code', name=op.f('uq_ningbo_demonstration_points_region_code'))
        )
    if 'ningbo_estate_parties' in missing:
        op.create_table('ningbo_estate_parties',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('meeting_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('party', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_ningbo_estate_parties_meeting_id_meetings'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['participant_id'], ['meeting_participants.id'], name=op.f('fk_ningbo_estate_parties_participant_id_meeting_participants'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ningbo_estate_parties')),
        sa.UniqueConstraint('participant_id', name='uq_ningbo_estate_parties_participant_id')
        )
        with op.batch_alter_table('ningbo_estate_parties', schema=None) as batch_op:
            batch_op.create_index('ix_ningbo_estate_parties_meeting_id', ['meeting_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ningbo_estate_parties', schema=None) as batch_op:
        batch_op.drop_index('ix_ningbo_estate_parties_meeting_id')

    op.drop_table('ningbo_estate_parties')
    op.drop_table('ningbo_demonstration_points')
