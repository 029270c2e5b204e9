"""Guards about implementation tasks, for procedures to declare.

``tasks_open`` is a topic counter kept by ``core.implementation.tasks``:
raised when a task is set, lowered when it is completed (``core.implementation.progress``).
"""
from __future__ import annotations

from core.procedures.model import Guard, Reason, TopicContext

TASKS_OPEN = "tasks_open"


def _tasks_done(ctx: TopicContext) -> Reason | None:
    count = ctx.state.count(TASKS_OPEN)
    if count <= 0:
        return None
    return Reason(f"尚有 {count} 项落实任务未完成", f"{count} implementation task(s) not yet completed")


tasks_done = Guard("tasks_done", _tasks_done)
