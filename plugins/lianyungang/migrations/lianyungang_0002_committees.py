"""lianyungang: special committees (专门委员会) with their members; city matters keep their home

A city matter is no longer moved to the city (seed 003 §三): its row now
records whether it crosses districts, the committee that coordinates it,
and the city departments taking part. Rows made before keep their meaning
(involves_city_departments) and get no committee: the topic view names
the setting's committee for them.

Like the first revision, it adopts what it finds (a database whose branch
history was lost and is upgraded again keeps its tables and rows).

Revision ID: lianyungang_0002
Revises: lianyungang_0001
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.db
from core.migrate import tables_missing


revision = 'lianyungang_0002'
down_revision = 'lianyungang_0001'
branch_labels = None
depends_on = None


def _code(length: int):
    return sa.String(length=length).with_variant(sa.String(length=length, collation='C'), 'postgresql')


def _has_column(table: str, column: str) -> bool:
    return column in {c['name'] for c in sa.inspect(op.get_bind()).get_columns(table)}


def upgrade() -> None:
    missing = tables_missing('lianyungang_committees', 'lianyungang_committee_members',
                             'lianyungang_city_matter_departments')
    if 'lianyungang_committees' in missing:
        _create_committees()
    if 'lianyungang_committee_members' in missing:
        _create_members()
    if not _has_column('lianyungang_city_matters', 'committee_id'):
        _extend_city_matters()
    if 'lianyungang_city_matter_departments' in missing:
        _create_departments()


def _create_committees() -> None:
    op.create_table('lianyungang_committees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('city_code', _code(12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['city_code'], ['regions.code'], name=op.f('fk_lianyungang_committees_city_code_regions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lianyungang_committees')),
    sa.UniqueConstraint('city_code', 'name', name='uq_lianyungang_committees_city_name')
    )


def _create_members() -> None:
    op.create_table('lianyungang_committee_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('committee_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('is_cppcc', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['committee_id'], ['lianyungang_committees.id'], name='fk_lianyungang_committee_members_committee_id', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_lianyungang_committee_members_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lianyungang_committee_members'))
    )
    with op.batch_alter_table('lianyungang_committee_members', schema=None) as batch_op:
        batch_op.create_index('ix_lianyungang_committee_members_committee_id', ['committee_id', 'position'], unique=False)


def _extend_city_matters() -> None:
    # Existing rows: not known to cross districts, no committee recorded.
    with op.batch_alter_table('lianyungang_city_matters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('crosses_districts', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('committee_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('committee_name', sa.String(length=100), nullable=False, server_default=''))
        batch_op.create_foreign_key('fk_lianyungang_city_matters_committee_id', 'lianyungang_committees', ['committee_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index('ix_lianyungang_city_matters_committee_id', ['committee_id'], unique=False)
    with op.batch_alter_table('lianyungang_city_matters', schema=None) as batch_op:
        batch_op.alter_column('crosses_districts', server_default=None)
        batch_op.alter_column('committee_name', server_default=None)


def _create_departments() -> None:
    op.create_table('lianyungang_city_matter_departments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['lianyungang_city_matters.topic_id'], name='fk_lianyungang_city_matter_departments_topic_id', ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lianyungang_city_matter_departments')),
    sa.UniqueConstraint('topic_id', 'name', name='uq_lianyungang_city_matter_departments_topic_name')
    )


def downgrade() -> None:
    op.drop_table('lianyungang_city_matter_departments')
    with op.batch_alter_table('lianyungang_city_matters', schema=None) as batch_op:
        batch_op.drop_index('ix_lianyungang_city_matters_committee_id')
        batch_op.drop_constraint('fk_lianyungang_city_matters_committee_id', type_='foreignkey')
        batch_op.drop_column('committee_name')
        batch_op.drop_column('committee_id')
        batch_op.drop_column('crosses_districts')
    with op.batch_alter_table('lianyungang_committee_members', schema=None) as batch_op:
        batch_op.drop_index('ix_lianyungang_committee_members_committee_id')
    op.drop_table('lianyungang_committee_members')
    op.drop_table('lianyungang_committees')
