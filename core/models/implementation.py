"""Implementation and evaluation (跟踪落实, 评议): tasks, progress, supervision,
ratings, third-party reports, and the notifications reminders leave.

A task names who is responsible ("谁负责、谁执行") and by when. The
responsible party is a name (a property company, a department) and, when
they have an account, a user who is then reminded directly.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, code_column_type, utcnow

TASK_STATUSES = ("open", "done")


class Task(Base):
    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    # The owning council's region when the task was set; scopes lists and stats.
    region_code: Mapped[str] = mapped_column(code_column_type(12), ForeignKey("regions.code"))
    title: Mapped[str] = mapped_column(String(200))
    measures: Mapped[str] = mapped_column(Text, default="")
    responsible_name: Mapped[str] = mapped_column(String(200))
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    percent: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Reminders repeat at an interval, not on every run of the job.
    last_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_tasks_topic_id", "topic_id"),
        Index("ix_tasks_region_code_status", "region_code", "status"),
        # The overdue job's query: open tasks past their deadline.
        Index("ix_tasks_status_deadline", "status", "deadline"),
        # The stats' overdue tasks of a subtree: only the open ones are in the range read.
        Index("ix_tasks_status_region_code_deadline", "status", "region_code", "deadline"),
    )


class ProgressUpdate(Base):
    __tablename__ = "task_progress"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    percent: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    # Ids of uploaded attachments (photos); the files live with the attachments.
    attachment_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_task_progress_task_id", "task_id", "id"),)


class SupervisionNote(Base):
    """A supervisory committee member's (监委会成员) observation."""

    __tablename__ = "supervision_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_supervision_notes_topic_id", "topic_id", "id"),)


class Rating(Base):
    """A resident's or member's rating of the result (评议), one per person."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rater_name: Mapped[str] = mapped_column(String(100), default="")
    # "resident" or "member".
    rater_kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("topic_id", "user_id", name="uq_ratings_topic_id_user_id"),
    )


class EvaluationReport(Base):
    """An evaluation report on a topic's result: by the supervisory committee or a third party."""

    __tablename__ = "evaluation_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    evaluator: Mapped[str] = mapped_column(String(200))
    # core.implementation.evaluation.EVALUATOR_KINDS: the residents' supervisory committee
    # or a third-party body (001 §二(五) "居务监督委员会、第三方评估机构").
    evaluator_kind: Mapped[str] = mapped_column(String(24), default="third_party")
    summary: Mapped[str] = mapped_column(Text, default="")
    score: Mapped[int | None] = mapped_column(Integer)
    attachment_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_evaluation_reports_topic_id", "topic_id"),)


class Notification(Base):
    """A message for a user (reminders, notices closing); delivery channels come later.

    ``user_id`` None addresses the council of ``region_code`` as a whole,
    used when no officer of it has an account.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    region_code: Mapped[str] = mapped_column(code_column_type(12), ForeignKey("regions.code"))
    kind: Mapped[str] = mapped_column(String(32))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_notifications_user_id", "user_id", "id"),
        Index("ix_notifications_region_code", "region_code"),
        Index("ix_notifications_task_id", "task_id"),
    )
