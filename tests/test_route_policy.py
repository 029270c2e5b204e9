"""Every action a route declares is a row of the policy and is checked: a
route naming an action no role holds would be dead (or, worse, unchecked)."""
from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from core.app import create_app
from core.auth.guard import AUTHENTICATED, is_public
from core.errors import ApiError
from core.models import AuthzPolicy
from core.runtime import Runtime
from tests.test_topics import RESIDENT_TOPIC, world  # noqa: F401  (fixture)


def declared_actions(app) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            action = handler.opt.get("action")
            if is_public(app, handler) or action in (None, AUTHENTICATED):
                continue
            found.setdefault(action, []).append(route.path)
    return found


async def test_every_declared_action_is_granted_to_some_role(db, runtime):
    app = create_app(Runtime.build(runtime.config, plugins=runtime.plugins))
    granted = set(await db.scalars(select(AuthzPolicy.v2).where(AuthzPolicy.ptype == "p")))
    missing = {action: paths for action, paths in declared_actions(app).items() if action not in granted}
    assert missing == {}, f"routes declare actions no policy row grants: {missing}"


async def test_taking_a_topic_action_needs_topic_act(world):
    topic = await world.create("resident", RESIDENT_TOPIC)
    await world.db.commit()
    assert "admit" in [a["key"] for a in (await world.view("secretary", topic))["actions"]]

    await world.db.execute(delete(AuthzPolicy).where(AuthzPolicy.v2 == "topic.act"))
    await world.db.commit()
    await world.authorizer.reload(world.db)
    view = await world.view("secretary", topic)
    assert view["actions"] == []
    with pytest.raises(ApiError) as refused:
        await world.act("secretary", topic, "admit")
    assert refused.value.status_code == 403
