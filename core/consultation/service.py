"""Research records, meetings and outcomes: the feature's public face.

Each concept lives in its own module; this one names what other features,
plugins and tests use, so they import one place:

* :mod:`~core.consultation.kinds`, :mod:`~core.consultation.region_kinds`: meeting kinds;
* :mod:`~core.consultation.access`: reaching a meeting, what its state allows;
* :mod:`~core.consultation.meetings`: scheduling, agenda, plan, closing;
* :mod:`~core.consultation.attendance`, :mod:`~core.consultation.minutes`,
  :mod:`~core.consultation.votes`: what a meeting records;
* :mod:`~core.consultation.quorum`: the quorum a vote needs, and where a meeting stands;
* :mod:`~core.consultation.research`, :mod:`~core.consultation.outcomes`: a
  topic's research, meeting and resolution;
* :mod:`~core.consultation.views`: what clients see.
"""
from __future__ import annotations

from core.consultation.access import MANAGE, PLAN_NOTICE_SETTING, READ, load_meeting, meeting_not_found
from core.consultation.attendance import record_attendance
from core.consultation.fields import MAX_ITEMS, MAX_NAME, MAX_PLACE, MAX_TEXT, MAX_TITLE
from core.consultation.kinds import BUILTIN_KINDS, MeetingKind
from core.consultation.meetings import attach_topic, close_meeting, create_meeting, meetings_held, publish_plan
from core.consultation.minutes import add_minutes
from core.consultation.outcomes import record_outcome, schedule_for_topic
from core.consultation.queries import serving_at, serving_members
from core.consultation.region_kinds import meeting_kinds
from core.consultation.research import NOT_ALLOWED, first_research_at, record_research
from core.consultation.views import (CHOICE_LABELS, FORM_LABELS, METHOD_LABELS, OUTCOME_LABELS, list_meetings,
                                     meeting_summary, meeting_view, outcome_dict, participant_dict, research_dict,
                                     topic_sections, vote_dict)
from core.consultation.quorum import QUORUM_SETTING, meeting_quorum, quorum_required
from core.consultation.votes import record_vote

# The plugin's name, and the prefix of its settings.
PLUGIN = "consultation"

__all__ = [
    "BUILTIN_KINDS", "CHOICE_LABELS", "FORM_LABELS", "MANAGE", "MAX_ITEMS", "MAX_NAME", "MAX_PLACE", "MAX_TEXT",
    "MAX_TITLE", "METHOD_LABELS", "MeetingKind", "NOT_ALLOWED", "OUTCOME_LABELS", "PLAN_NOTICE_SETTING", "PLUGIN",
    "QUORUM_SETTING", "READ", "add_minutes", "attach_topic", "close_meeting", "create_meeting", "first_research_at",
    "list_meetings", "load_meeting", "meeting_kinds", "meeting_not_found", "meeting_summary", "meeting_view",
    "meeting_quorum", "meetings_held", "outcome_dict", "participant_dict", "publish_plan", "quorum_required",
    "record_attendance", "record_outcome", "record_research", "record_vote", "research_dict", "schedule_for_topic",
    "serving_at", "serving_members", "topic_sections", "vote_dict",
]
