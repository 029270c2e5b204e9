"""Where a topic stands in its procedure as implementation sees it: whether it
has reached the implementation phase, and which action waits for its tasks."""
from __future__ import annotations

from core.implementation.guards import tasks_done
from core.models import Topic
from core.plugins import PluginHost
from core.procedures.model import Procedure
from core.procedures.registry import procedure_registry

# The generic procedure's step where tasks are set and worked on.
IMPLEMENT_STEP = "implement"
CLOSE = "close"


def implementing(procedure: Procedure | None, topic: Topic) -> bool:
    """Whether the topic has reached its procedure's implementation phase (a
    topic closed there stays in it, so evaluation reports may follow).

    The phase starts at the first step that waits for tasks (an action
    guarded by ``tasks_done``), so a regional procedure with its own step
    keys, or with an evaluation step after implementation (Ningbo's
    追踪监督、评估评议), gets tasks and reports where they belong. A topic
    whose procedure is not installed falls back to the generic step key.
    """
    if procedure is None:
        return topic.step == IMPLEMENT_STEP
    keys = [step.key for step in procedure.steps]
    starts = next((i for i, step in enumerate(procedure.steps)
                   if any(tasks_done in action.guards for action in step.actions)), None)
    if starts is None or topic.step not in keys:
        return topic.step == IMPLEMENT_STEP
    return keys.index(topic.step) >= starts


def procedure_of(plugins: PluginHost, topic: Topic) -> Procedure | None:
    try:
        return procedure_registry(plugins).get(topic.procedure_key, topic.procedure_version)
    except LookupError:
        return None


def waiting_on_tasks(procedure: Procedure | None, topic: Topic) -> str | None:
    """The action of the topic's step that waits for its tasks (``close`` first), if any."""
    step = procedure.step(topic.step) if procedure is not None else None
    if step is None:
        return CLOSE if topic.step == IMPLEMENT_STEP else None
    waiting = [a.key for a in step.actions if tasks_done in a.guards]
    return CLOSE if CLOSE in waiting else (waiting[0] if waiting else None)
