"""notices, objections, implementation tasks, evaluation, notifications

Revision ID: 0005
Revises: 0003
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None

_MANAGERS = ("city_admin", "district_admin", "street_staff", "council_chair", "council_secretary")
# casbin "p" rows (role, domain, action). Reading a notice needs no login and
# no row; what a role may do to the topic itself is the procedure's to say.
POLICY = [
    *[(role, "*", "task.manage") for role in _MANAGERS],
    *[(role, "*", "task.progress") for role in (*_MANAGERS, "council_member", "cppcc_member")],
    ("supervisor", "*", "supervision.write"),
    *[(role, "*", "evaluation.rate")
      for role in ("resident", "council_chair", "council_secretary", "council_member", "cppcc_member",
                   "supervisor")],
    *[(role, "*", "evaluation.report") for role in _MANAGERS],
]
ACTIONS = sorted({action for _, _, action in POLICY})


def _code(length: int = 12):
    return sa.String(length=length).with_variant(sa.String(length=length, collation="C"), "postgresql")


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, core.db.UTCDateTime(timezone=True), nullable=nullable)


def _user_fk(table: str, column: str, ondelete: str = "SET NULL") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["users.id"], name=op.f(f"fk_{table}_{column}_users"),
                                   ondelete=ondelete)


def _topic_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["topic_id"], ["topics.id"], name=op.f(f"fk_{table}_topic_id_topics"),
                                   ondelete="CASCADE")


def _policy_table():
    return sa.table("authz_policies", sa.column("ptype"), sa.column("v0"), sa.column("v1"), sa.column("v2"),
                    sa.column("v3"), sa.column("v4"), sa.column("v5"))


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("region_code", _code(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _when("opens_at"),
        _when("closes_at"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=True),
        _when("closed_at", nullable=True),
        _when("created_at"),
        _topic_fk("notices"),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"], name=op.f("fk_notices_region_code_regions")),
        sa.ForeignKeyConstraint(["event_id"], ["topic_events.id"], name=op.f("fk_notices_event_id_topic_events"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index("ix_notices_topic_id", "notices", ["topic_id"])
    op.create_index("ix_notices_region_code_status", "notices", ["region_code", "status"])
    op.create_index("ix_notices_status_closes_at", "notices", ["status", "closes_at"])

    op.create_table(
        "objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("contact", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("client_hash", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        _when("answered_at", nullable=True),
        sa.Column("answered_by_user_id", sa.Integer(), nullable=True),
        sa.Column("answered_by_name", sa.String(length=100), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(["notice_id"], ["notices.id"], name=op.f("fk_objections_notice_id_notices"),
                                ondelete="CASCADE"),
        _topic_fk("objections"),
        sa.ForeignKeyConstraint(["event_id"], ["topic_events.id"],
                                name=op.f("fk_objections_event_id_topic_events"), ondelete="SET NULL"),
        _user_fk("objections", "user_id"),
        _user_fk("objections", "answered_by_user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    op.create_index("ix_objections_notice_id", "objections", ["notice_id", "id"])
    op.create_index("ix_objections_topic_id_status", "objections", ["topic_id", "status"])
    op.create_index("ix_objections_client_hash_created_at", "objections", ["client_hash", "created_at"])

    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("region_code", _code(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("responsible_name", sa.String(length=200), nullable=False),
        sa.Column("responsible_user_id", sa.Integer(), nullable=True),
        _when("deadline"),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _when("completed_at", nullable=True),
        _when("last_reminded_at", nullable=True),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        _when("created_at"),
        _when("updated_at"),
        _topic_fk("tasks"),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"], name=op.f("fk_tasks_region_code_regions")),
        _user_fk("tasks", "responsible_user_id"),
        _user_fk("tasks", "created_by_user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
    )
    op.create_index("ix_tasks_topic_id", "tasks", ["topic_id"])
    op.create_index("ix_tasks_region_code_status", "tasks", ["region_code", "status"])
    op.create_index("ix_tasks_status_deadline", "tasks", ["status", "deadline"])

    op.create_table(
        "task_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        _when("created_at"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_task_progress_task_id_tasks"),
                                ondelete="CASCADE"),
        _user_fk("task_progress", "author_user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_progress")),
    )
    op.create_index("ix_task_progress_task_id", "task_progress", ["task_id", "id"])

    op.create_table(
        "supervision_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_user_id", sa.Integer(), nullable=True),
        sa.Column("author_name", sa.String(length=100), nullable=False),
        _when("created_at"),
        _topic_fk("supervision_notes"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_supervision_notes_task_id_tasks"),
                                ondelete="SET NULL"),
        _user_fk("supervision_notes", "author_user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_notes")),
    )
    op.create_index("ix_supervision_notes_topic_id", "supervision_notes", ["topic_id", "id"])

    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("rater_name", sa.String(length=100), nullable=False),
        sa.Column("rater_kind", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        _when("created_at"),
        _topic_fk("ratings"),
        _user_fk("ratings", "user_id", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ratings")),
        sa.UniqueConstraint("topic_id", "user_id", name="uq_ratings_topic_id_user_id"),
    )

    op.create_table(
        "evaluation_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.Column("evaluator", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("attachment_ids", sa.JSON(), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        _when("created_at"),
        _topic_fk("evaluation_reports"),
        _user_fk("evaluation_reports", "uploaded_by_user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_reports")),
    )
    op.create_index("ix_evaluation_reports_topic_id", "evaluation_reports", ["topic_id"])

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("region_code", _code(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        _when("created_at"),
        _when("read_at", nullable=True),
        _user_fk("notifications", "user_id", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["region_code"], ["regions.code"],
                                name=op.f("fk_notifications_region_code_regions")),
        _topic_fk("notifications"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], name=op.f("fk_notifications_task_id_tasks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_user_id", "notifications", ["user_id", "id"])
    op.create_index("ix_notifications_region_code", "notifications", ["region_code"])
    op.create_index("ix_notifications_task_id", "notifications", ["task_id"])

    op.bulk_insert(_policy_table(),
                   [dict(ptype="p", v0=r, v1=d, v2=a, v3="", v4="", v5="") for r, d, a in POLICY])


def downgrade() -> None:
    policy = _policy_table()
    op.execute(policy.delete().where(policy.c.v2.in_(ACTIONS)))
    for table in ("notifications", "evaluation_reports", "ratings", "supervision_notes", "task_progress",
                  "tasks", "objections", "notices"):
        # Indexes go with their table on both backends.
        op.drop_table(table)
