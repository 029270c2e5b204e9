"""Escalation upward (上移), the inboxes above, joint meetings' invitees, upward
reports (提案, 社情民意信息) and similar topics of sibling communities: the
feature's public face.

Each concept lives in its own module; this one names what other features,
plugins and tests use, so they import one place:

* :mod:`~core.escalation.regions`: the region tree, a topic's regions;
* :mod:`~core.escalation.moving`: where a topic belongs and moving it there;
* :mod:`~core.escalation.inbox`: the topics escalated to a council;
* :mod:`~core.escalation.joint`: who speaks for each community at a joint meeting;
* :mod:`~core.escalation.reports`: upward reports and their inbox;
* :mod:`~core.escalation.similar_topics`: similar topics and the suggestion to escalate;
* :mod:`~core.escalation.sections`, :mod:`~core.escalation.staff`: the topic view's section, who sees what.
"""
from __future__ import annotations

from core.escalation.inbox import escalation_inbox
from core.escalation.joint import REPRESENTATIVE_ROLES, joint_meeting_invitees
from core.escalation.moving import (ESCALATE, ESCALATION_MANAGE, ESCALATION_READ, escalate_on_admit, forward_rejected,
                                    escalation_target, move_topic, request_escalation)
from core.escalation.regions import LEVEL_LENGTHS, is_upward, lowest_common_ancestor, parent_code
from core.topics.affected import affected_codes
from core.escalation.reports import (KIND_LABELS, REPORT_MANAGE, REPORT_READ, STATUS_LABELS, accept_upward_report,
                                     answer_upward_report, file_upward_report, load_report, report_dict,
                                     report_inbox)
from core.escalation.sections import TRIGGER_LABELS, escalation_section
from core.escalation.similar_topics import MAX_CANDIDATES, link_similar_topics, similar_section
from core.escalation.staff import STAFF_ROLES

__all__ = [
    "ESCALATE", "ESCALATION_MANAGE", "ESCALATION_READ", "KIND_LABELS", "LEVEL_LENGTHS", "MAX_CANDIDATES",
    "REPORT_MANAGE", "REPORT_READ", "REPRESENTATIVE_ROLES", "STAFF_ROLES", "STATUS_LABELS", "TRIGGER_LABELS",
    "accept_upward_report", "affected_codes", "answer_upward_report", "escalate_on_admit", "escalation_inbox",
    "forward_rejected",
    "escalation_section", "escalation_target", "file_upward_report", "is_upward", "joint_meeting_invitees",
    "link_similar_topics", "load_report", "lowest_common_ancestor", "move_topic", "parent_code", "report_dict",
    "report_inbox", "request_escalation", "similar_section",
]
