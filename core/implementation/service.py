"""Implementation and evaluation (跟踪落实, 评议): the feature's public face.

Once the results are confirmed, the council sets tasks: who is responsible,
what they do, by when ("谁负责、谁执行"). Progress is reported against a
task (percent, text, photos); supervisory committee members (监委会成员)
leave supervision notes; overdue tasks remind the responsible party and the
council (:func:`remind_overdue`, run by a job). When the last task is
completed the topic may be closed in the same request, through the
procedure's ``close`` action, which gives the proposer feedback
(件件有回音). A closed topic is rated by residents and members (1–5) and a
third-party evaluation report can be attached.

Each concept lives in its own module; this one names what other features,
plugins and tests use, so they import one place:

* :mod:`~core.implementation.access`: who reaches a topic's or a task's implementation;
* :mod:`~core.implementation.phase`: whether a topic is being implemented;
* :mod:`~core.implementation.tasks`, :mod:`~core.implementation.progress`: tasks, progress, completion;
* :mod:`~core.implementation.supervision`, :mod:`~core.implementation.evaluation`: notes, ratings, reports;
* :mod:`~core.implementation.reminders`, :mod:`~core.implementation.notify`: overdue reminders, notifications;
* :mod:`~core.implementation.views`: what clients see.
"""
from __future__ import annotations

from core.implementation.access import MANAGE, PROGRESS, RATE, REPORT, SUPERVISE, task_not_found
from core.implementation.evaluation import MEMBER_ROLES, attach_report, rate
from core.implementation.fields import MAX_ATTACHMENTS, MAX_NAME, MAX_TEXT, MAX_TITLE
from core.implementation.notify import mark_read, my_notifications, notification_view
from core.implementation.phase import CLOSE, IMPLEMENT_STEP, implementing
from core.implementation.progress import add_progress, complete_task
from core.implementation.reminders import REMIND_EVERY, remind_overdue
from core.implementation.supervision import add_supervision_note
from core.implementation.tasks import create_task
from core.implementation.views import implementation_view, task_view, topic_implementation
# What my_notifications pages by; its callers have taken it from here.
from core.regions.queries import Paging

__all__ = [
    "CLOSE", "IMPLEMENT_STEP", "MANAGE", "MAX_ATTACHMENTS", "MAX_NAME", "MAX_TEXT", "MAX_TITLE", "MEMBER_ROLES",
    "PROGRESS", "Paging", "RATE", "REMIND_EVERY", "REPORT", "SUPERVISE", "add_progress", "add_supervision_note",
    "attach_report", "complete_task", "create_task", "implementation_view", "implementing", "mark_read",
    "my_notifications", "notification_view", "rate", "remind_overdue", "task_not_found", "task_view",
    "topic_implementation",
]
