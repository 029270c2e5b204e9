"""public door, attachments, stats

Revision ID: 0007
Revises: 0003
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa
import core.db


revision = '0007'
down_revision = '0003'
branch_labels = None
depends_on = None

# Who may upload and read attachments and read a region's stats (casbin "p"
# rows: role, domain, action). Residents attach photos to their own topics.
POLICY = [
    *[(role, "*", "attachment.upload")
      for role in ("city_admin", "district_admin", "street_staff", "council_chair", "council_secretary",
                   "council_member", "cppcc_member", "supervisor", "resident")],
    *[(role, "*", "attachment.read")
      for role in ("city_admin", "district_admin", "street_staff", "council_chair", "council_secretary",
                   "council_member", "cppcc_member", "supervisor", "resident")],
    *[(role, "*", "stats.read")
      for role in ("city_admin", "district_admin", "street_staff", "council_chair", "council_secretary",
                   "council_member", "cppcc_member", "supervisor")],
]
ACTIONS = ["attachment.upload", "attachment.read", "stats.read"]


def _code(length: int):
    return sa.String(length=length).with_variant(sa.String(length=length, collation='C'), 'postgresql')


def _policy_table():
    return sa.table("authz_policies", sa.column("ptype"), sa.column("v0"), sa.column("v1"), sa.column("v2"),
                    sa.column("v3"), sa.column("v4"), sa.column("v5"))


def upgrade() -> None:
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

    op.create_table('public_receipts',
    sa.Column('tracking_code', sa.String(length=32), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_public_receipts_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tracking_code', name=op.f('pk_public_receipts'))
    )
    with op.batch_alter_table('public_receipts', schema=None) as batch_op:
        batch_op.create_index('ix_public_receipts_topic_id', ['topic_id'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_code', _code(12), nullable=False),
    sa.Column('uploader_user_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_attachments_region_code_regions')),
    sa.ForeignKeyConstraint(['uploader_user_id'], ['users.id'], name=op.f('fk_attachments_uploader_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index('ix_attachments_region_code', ['region_code'], unique=False)
        batch_op.create_index('ix_attachments_sha256', ['sha256'], unique=False)

    op.bulk_insert(_policy_table(),
                   [dict(ptype="p", v0=r, v1=d, v2=a, v3="", v4="", v5="") for r, d, a in POLICY])


def downgrade() -> None:
    policy = _policy_table()
    op.execute(policy.delete().where(policy.c.v2.in_(ACTIONS)))
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index('ix_attachments_sha256')
        batch_op.drop_index('ix_attachments_region_code')
    op.drop_table('attachments')
    with op.batch_alter_table('public_receipts', schema=None) as batch_op:
        batch_op.drop_index('ix_public_receipts_topic_id')
    op.drop_table('public_receipts')
    with op.batch_alter_table('public_submission_log', schema=None) as batch_op:
        batch_op.drop_index('ix_public_submission_log_region_code_at')
        batch_op.drop_index('ix_public_submission_log_client_ip_at')
    op.drop_table('public_submission_log')
