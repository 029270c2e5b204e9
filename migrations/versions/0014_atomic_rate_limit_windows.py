"""atomic rate-limit windows

One row per limited key and fixed window, counted by an upsert; it replaces
``public_submission_log`` (a row per submission, counted and then inserted
in two steps). Counts in flight are not carried over: the longest window
is an hour, and the old log held no objections.

Revision ID: 0014
Revises: 0013
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.db

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def _code(length: int):
    return sa.String(length=length).with_variant(sa.String(length=length, collation='C'), 'postgresql')


def upgrade() -> None:
    op.create_table('rate_limit_windows',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('starts_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'starts_at', name=op.f('pk_rate_limit_windows'))
    )
    with op.batch_alter_table('rate_limit_windows', schema=None) as batch_op:
        batch_op.create_index('ix_rate_limit_windows_ends_at', ['ends_at'], unique=False)

    with op.batch_alter_table('public_submission_log', schema=None) as batch_op:
        batch_op.drop_index('ix_public_submission_log_region_code_at')
        batch_op.drop_index('ix_public_submission_log_client_ip_at')
    op.drop_table('public_submission_log')


def downgrade() -> None:
    op.create_table('public_submission_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('client_ip', sa.String(length=45), nullable=False),
    sa.Column('region_code', _code(12), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_public_submission_log_region_code_regions')),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_public_submission_log_topic_id_topics'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_submission_log'))
    )
    with op.batch_alter_table('public_submission_log', schema=None) as batch_op:
        batch_op.create_index('ix_public_submission_log_client_ip_at', ['client_ip', 'at'], unique=False)
        batch_op.create_index('ix_public_submission_log_region_code_at', ['region_code', 'at'], unique=False)

    with op.batch_alter_table('rate_limit_windows', schema=None) as batch_op:
        batch_op.drop_index('ix_rate_limit_windows_ends_at')
    op.drop_table('rate_limit_windows')
