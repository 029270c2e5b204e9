"""Research before consultation (议前调研), consultation meetings (协商议事会议)
with their agenda, participants, minutes and votes (表决), and the outcome
(协商成果) a consultation produces.

A meeting belongs to one council and may take several topics; a vote is per
agenda topic, and keeps the quorum figures it was judged by, so a later
change of roster or of the quorum setting does not rewrite history.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, UTCDateTime, code_column_type, utcnow

RESEARCH_METHODS = ("site_visit", "survey", "interviews")
MEETING_FORMS = ("meeting", "online", "written")
MEETING_STATUSES = ("scheduled", "closed")
VOTE_CHOICES = ("for", "against", "abstain")
OUTCOME_FORMS = ("village_rules", "residents_convention", "resolution", "plan")


class Research(Base):
    """One research record on a topic (there may be several before a meeting)."""

    __tablename__ = "research_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("topic_events.id", ondelete="SET NULL"))
    # Some of RESEARCH_METHODS.
    methods: Mapped[list[str]] = mapped_column(JSON, default=list)
    findings: Mapped[str] = mapped_column(Text)
    # 议事方案: the plan the meeting will consult on.
    draft_plan: Mapped[str] = mapped_column(Text, default="")
    # 可行性分析 (004 "分析议题的可行性").
    feasibility: Mapped[str] = mapped_column(Text, default="")
    # The site visit (004 "组织协商议事会固定成员进行实地调研"): the fixed members who
    # went ([{member_id, name}], as they were named that day), when and where.
    visitors: Mapped[list[dict]] = mapped_column(JSON, default=list)
    visited_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    visited_place: Mapped[str] = mapped_column(String(200), default="")
    # Ids of stored attachments; the upload store owns the files.
    attachments: Mapped[list[int]] = mapped_column(JSON, default=list)
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_by_name: Mapped[str] = mapped_column(String(100), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_research_records_topic_id", "topic_id"),)


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    council_id: Mapped[int] = mapped_column(ForeignKey("councils.id", ondelete="CASCADE"))
    # The council's region, kept here so access checks and scoped lists need no join.
    region_code: Mapped[str] = mapped_column(code_column_type(12), ForeignKey("regions.code"))
    title: Mapped[str] = mapped_column(String(200), default="")
    # One of MEETING_FORMS (会议 / 网络 / 书面).
    form: Mapped[str] = mapped_column(String(16))
    # 说事会, 恳谈会… by key; plugins may add kinds.
    kind: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    plan: Mapped[str] = mapped_column(Text, default="")
    plan_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_meetings_region_code_starts_at", "region_code", "starts_at"),
        Index("ix_meetings_council_id", "council_id"),
    )


class MeetingTopic(Base):
    """A topic on a meeting's agenda."""

    __tablename__ = "meeting_topics"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_meeting_topics_topic_id", "topic_id"),)


class MeetingParticipant(Base):
    """Someone invited to (or who turned up at) a meeting: a council member,
    or a named person without a seat (an X participant for this meeting)."""

    __tablename__ = "meeting_participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("council_members.id", ondelete="SET NULL"))
    # As written at the time, so the record reads right after a rename.
    name: Mapped[str] = mapped_column(String(100))
    # The member's category, or an X category / "" for a free-name guest.
    category: Mapped[str] = mapped_column(String(32), default="")
    invited: Mapped[bool] = mapped_column(Boolean, default=True)
    # None until attendance is taken.
    attended: Mapped[bool | None] = mapped_column(Boolean)

    __table_args__ = (Index("ix_meeting_participants_meeting_id", "meeting_id"),)


class MinuteEntry(Base):
    """One speaker's points in the minutes (会议记录)."""

    __tablename__ = "meeting_minutes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topics.id", ondelete="SET NULL"))
    speaker_member_id: Mapped[int | None] = mapped_column(ForeignKey("council_members.id", ondelete="SET NULL"))
    speaker_name: Mapped[str] = mapped_column(String(100))
    points: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_meeting_minutes_meeting_id", "meeting_id", "id"),)


class Vote(Base):
    """The vote on one agenda topic, with the quorum it was judged against."""

    __tablename__ = "meeting_votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    votes_for: Mapped[int] = mapped_column(Integer)
    votes_against: Mapped[int] = mapped_column(Integer)
    votes_abstain: Mapped[int] = mapped_column(Integer)
    # Fixed members serving on the meeting day, and how many of them attended.
    fixed_members: Mapped[int] = mapped_column(Integer)
    fixed_present: Mapped[int] = mapped_column(Integer)
    quorum_ratio: Mapped[float] = mapped_column(Float)
    quorum_required: Mapped[int] = mapped_column(Integer)
    quorum_met: Mapped[bool] = mapped_column(Boolean)
    passed: Mapped[bool] = mapped_column(Boolean)
    # True when each member's choice was recorded, False for bare tallies.
    by_ballot: Mapped[bool] = mapped_column(Boolean, default=False)
    # 议事决议: what the meeting resolved on this topic.
    resolution: Mapped[str] = mapped_column(Text, default="")
    recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("meeting_id", "topic_id", name="uq_meeting_votes_meeting_topic"),
        Index("ix_meeting_votes_topic_id", "topic_id"),
    )


class Ballot(Base):
    """One member's choice in a vote taken by name."""

    __tablename__ = "meeting_ballots"

    vote_id: Mapped[int] = mapped_column(ForeignKey("meeting_votes.id", ondelete="CASCADE"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("council_members.id", ondelete="CASCADE"), primary_key=True)
    # One of VOTE_CHOICES.
    choice: Mapped[str] = mapped_column(String(8))


class Outcome(Base):
    """What a consultation produced (协商成果), with who carries it out by when."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    # The vote it rests on; one outcome per vote, so a reconsultation needs a new vote.
    vote_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_votes.id", ondelete="SET NULL"), unique=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("topic_events.id", ondelete="SET NULL"))
    # One of OUTCOME_FORMS.
    form: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    responsible_party: Mapped[str] = mapped_column(String(200))
    measures: Mapped[str] = mapped_column(Text, default="")
    # A calendar day in China, like every deadline people are given.
    deadline: Mapped[date] = mapped_column(Date)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_outcomes_topic_id", "topic_id"),)
