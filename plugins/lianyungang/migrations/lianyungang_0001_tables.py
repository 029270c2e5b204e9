"""lianyungang: consultation homes (协商民主之家), their quarter checks, and city matters

The first revision of the ``lianyungang`` branch. Core revision 0011 made
these tables until they moved here; on a database it ran on, they exist
already and are adopted as they are.

Revision ID: lianyungang_0001
Revises:
Depends on: 0009
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.db
from core.migrate import tables_missing


revision = 'lianyungang_0001'
down_revision = None
branch_labels = ('lianyungang',)
depends_on = '0009'


def _code(length: int):
    return sa.String(length=length).with_variant(sa.String(length=length, collation='C'), 'postgresql')


def upgrade() -> None:
    missing = tables_missing('lianyungang_city_matters', 'lianyungang_homes', 'lianyungang_quarter_checks')
    if 'lianyungang_city_matters' in missing:
        op.create_table('lianyungang_city_matters',
        sa.Column('topic_id', sa.Integer(), nullable=False),
        sa.Column('involves_city_departments', sa.Boolean(), nullable=False),
        sa.Column('flagged_by_user_id', sa.Integer(), nullable=True),
        sa.Column('flagged_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['flagged_by_user_id'], ['users.id'], name=op.f('fk_lianyungang_city_matters_flagged_by_user_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_lianyungang_city_matters_topic_id_topics'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('topic_id', name=op.f('pk_lianyungang_city_matters'))
        )
    if 'lianyungang_homes' in missing:
        op.create_table('lianyungang_homes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('region_code', _code(12), nullable=False),
        sa.Column('council_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('is_pilot', sa.Boolean(), nullable=False),
        sa.Column('designated_on', sa.Date(), nullable=False),
        sa.Column('designated_by_user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['council_id'], ['councils.id'], name=op.f('fk_lianyungang_homes_council_id_councils'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['designated_by_user_id'], ['users.id'], name=op.f('fk_lianyungang_homes_designated_by_user_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_lianyungang_homes_region_code_regions'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lianyungang_homes')),
        sa.UniqueConstraint('region_code', name=op.f('uq_lianyungang_homes_region_code'))
        )
    if 'lianyungang_quarter_checks' in missing:
        op.create_table('lianyungang_quarter_checks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('home_id', sa.Integer(), nullable=False),
        sa.Column('region_code', _code(12), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('activities', sa.Integer(), nullable=False),
        sa.Column('required', sa.Integer(), nullable=False),
        sa.Column('notified_user_ids', sa.JSON(), nullable=False),
        sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['home_id'], ['lianyungang_homes.id'], name=op.f('fk_lianyungang_quarter_checks_home_id_lianyungang_homes'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_lianyungang_quarter_checks_region_code_regions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_lianyungang_quarter_checks')),
        sa.UniqueConstraint('home_id', 'year', 'quarter', 'kind', name='uq_lianyungang_quarter_checks_home_quarter')
        )
        with op.batch_alter_table('lianyungang_quarter_checks', schema=None) as batch_op:
            batch_op.create_index('ix_lianyungang_quarter_checks_region_code', ['region_code', 'year', 'quarter'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lianyungang_quarter_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_lianyungang_quarter_checks_region_code')

    op.drop_table('lianyungang_quarter_checks')
    op.drop_table('lianyungang_homes')
    op.drop_table('lianyungang_city_matters')
