"""Supervision notes (监督意见) of the supervisory committee's members on a topic."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.audit.service import record
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.errors import FieldError, validation_failed
from core.fields import text_field
from core.implementation.access import SUPERVISE, load_topic, require
from core.implementation.fields import MAX_TEXT
from core.fields import request_body
from core.models.implementation import SupervisionNote, Task
from core.topics.service import actor_name


async def add_supervision_note(session: AsyncSession, principal: Principal, topic_id: int, data: Any, *,
                               authorizer: Authorizer) -> SupervisionNote:
    """A supervisory committee member's note on the topic (``text``, optional ``task_id``)."""
    data = request_body(data)
    topic, affected = await load_topic(session, principal, topic_id, authorizer)
    require(authorizer, principal, SUPERVISE, [topic.region_code, *affected],
            "只有监委会成员可以记录监督意见", "only supervisory committee members record supervision notes")
    errors: list[FieldError] = []
    text = text_field(data, "text", MAX_TEXT, errors, zh="监督意见", en="text", required=True)
    task_id = data.get("task_id")
    if task_id is not None:
        task = await session.get(Task, task_id) if isinstance(task_id, int) else None
        if task is None or task.topic_id != topic.id:
            errors.append(FieldError("task_id", "本议题没有此落实任务", "no such task on this topic"))
    if errors:
        raise validation_failed(*errors)
    note = SupervisionNote(topic_id=topic.id, task_id=task_id, text=text, author_user_id=principal.user_id,
                           author_name=actor_name(principal), created_at=clock.now())
    session.add(note)
    await session.flush()
    await record(session, actor=principal, action="supervision.note", object_type="topic", object_id=topic.id,
                 region_code=topic.region_code, before=None, after={"note_id": note.id, "text": text,
                                                                    "task_id": task_id})
    return note
