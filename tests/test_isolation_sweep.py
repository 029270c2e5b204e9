"""Issue 8, done when: every route of the OpenAPI document that takes an
object id or a region code, called by a user of each role at community A
with an object of every kind from A's sibling community B and from a
community F in another city, answers 404, shows none of the foreign data
and changes nothing, on SQLite and PostgreSQL.

Actors granted above A (street, district, city) see B by right, so they
are swept against F only. Where a route takes the actor's own region code
and a foreign id (or a foreign second region code), the route may refuse
the call for what the own region is: a role without the action there (403)
or a region of the wrong level (400). That is allowed only when the same
call with made-up values gets the very same answer, so it says nothing
about the foreign object.
"""
from __future__ import annotations

import itertools
import re
import time
from datetime import datetime, timezone

from sqlalchemy import func, select

from core import clock
from core.auth.guard import is_public
from core.models import AuditEntry
from tests import walk
from tests.isolation_world import (ACTORS, COMMUNITY_ACTORS, PNG, Place, build, client_without_scheduler,
                                   snapshot)

PARAM = re.compile(r"\{([^}:]+)(:[^}]+)?\}")
T0 = datetime(2030, 5, 6, 1, 0, tzinfo=timezone.utc)

REGION_PARAMS = {"code", "home_code", "community"}
KIND_OF = {"topic_id": "topic", "meeting_id": "meeting", "notice_id": "notice", "task_id": "task",
           "attachment_id": "attachment", "notification_id": "notification", "member_id": "member",
           "document_id": "document", "report_id": "report", "username": "user"}
ACTION_PARAM = "action"  # a verb, not an object: each foreign topic's offered actions are tried
NOWHERE = {"region": "330203001999", "user": "nobody-at-all"}  # made-up values for the control call
NOWHERE_ID = 987654321

# Routes open to anyone by design (the public notice board, tracking, the
# catalogue, the residents' door): not swept; a change to this list is noticed.
PUBLIC_WITH_PARAMS = {
    ("POST", "/api/v1/public/regions/{code}/topics"),
    ("GET", "/api/v1/public/topics/{tracking_code}"),
    ("GET", "/api/v1/public/regions/{code}/notices"),
    ("GET", "/api/v1/public/notices/{notice_id}"),
    ("POST", "/api/v1/public/notices/{notice_id}/objections"),
    ("GET", "/api/v1/public/regions/{code}/catalogue"),
    ("GET", "/api/v1/public/regions/{code}/council"),
    ("GET", "/api/v1/public/regions/{code}/procedure"),
    ("GET", "/api/v1/public/regions/{code}/topics"),
}

# Plausible bodies for routes the world did not use while it was built.
BODIES = {
    ("PUT", "/api/v1/regions/{code}/council"): {"venue": "议事厅"},
    ("POST", "/api/v1/regions/{code}/council/members"): {"name": "某某", "category": "resident"},
    ("PUT", "/api/v1/regions/{code}/council/members/{member_id}"): {"name": "某某", "category": "resident"},
    ("POST", "/api/v1/regions/{code}/council/members/{member_id}/leave"): {},
    ("POST", "/api/v1/regions/{code}/meetings"): walk.meeting(),
    ("POST", "/api/v1/meetings/{meeting_id}/publish-plan"): {},
    ("POST", "/api/v1/meetings/{meeting_id}/attendance"): {"present": []},
    ("POST", "/api/v1/meetings/{meeting_id}/minutes"): {"entries": []},
    ("POST", "/api/v1/upward-reports/{report_id}/answer"): {"answer": "答复"},
    ("PUT", "/api/v1/plugins/lianyungang/regions/{code}/homes/{home_code}/pilot"): {"is_pilot": True},
    ("POST", "/api/v1/plugins/ningbo/regions/{code}/demonstration-points"): {"community": "330203001002"},
    ("PUT", "/api/v1/plugins/ningbo/regions/{code}/meetings/{meeting_id}/estate-parties"): {},
}
ACTION_BODIES = {"admit": {"catalogue_item": "generic.yi.6"}, "record_research": walk.RESEARCH,
                 "schedule_meeting": walk.meeting(), "record_resolution": walk.resolution()}


def operations(app, document: dict) -> tuple[list[tuple[str, str, list[str]]], set[tuple[str, str]]]:
    """(method, path, its parameters) of every swept operation, and the public ones left out."""
    public = set()
    for route in app.routes:
        template = PARAM.sub(lambda m: "{" + m.group(1) + "}", route.path)
        for handler in getattr(route, "route_handlers", ()):
            if is_public(app, handler):
                public.update((method, template) for method in handler.http_methods)
    swept, skipped = [], set()
    for path, methods in document["paths"].items():
        params = [m.group(1) for m in PARAM.finditer(path)]
        if not params:
            continue
        for method in methods:
            method = method.upper()
            if method not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                continue
            if (method, path) in public:
                skipped.add((method, path))
                continue
            unmapped = [p for p in params if p not in REGION_PARAMS | set(KIND_OF) | {ACTION_PARAM}]
            assert not unmapped, f"{method} {path}: path parameter(s) {unmapped} not mapped to a kind of object"
            swept.append((method, path, params))
    return swept, skipped


def calls(method: str, path: str, params: list[str], own: str, place: Place, offered: dict[int, list[str]]):
    """(values, foreign only through ids) for each call of one route by one actor against one place."""
    ids = [p for p in params if p in KIND_OF]
    regions = [p for p in params if p in REGION_PARAMS]
    if ids:
        region_choices = [own, place.code] if regions else [None]
        [id_param] = ids
        for region, value in itertools.product(region_choices, place.ids[KIND_OF[id_param]]):
            base = {r: region for r in regions}
            base[id_param] = value
            if ACTION_PARAM in params:
                for action in offered[value]:
                    yield {**base, ACTION_PARAM: action}, region == own
            else:
                yield base, region == own
        return
    assert regions and regions[0] == "code", f"{method} {path}"
    for code in place.regions:
        yield {r: (code if r == "code" else place.code) for r in regions}, False
    if len(regions) > 1:  # a second region parameter: our own code with a foreign one
        yield {r: (own if r == "code" else place.code) for r in regions}, True


def body_for(world, method: str, path: str, values: dict):
    if ACTION_PARAM in values:
        return {"note": "协商", **ACTION_BODIES.get(values[ACTION_PARAM], {})}
    if method in {"GET", "DELETE"}:
        return None
    return world.bodies.get((method, path), BODIES.get((method, path), {}))


async def request(client, headers, method: str, path: str, values: dict, body):
    url = PARAM.sub(lambda m: str(values[m.group(1)]), path)
    if path.endswith("/attachments") and method == "POST":
        return await client.post(url, headers=headers, files={"file": ("照片.png", PNG, "image/png")})
    return await client.request(method, url, json=body, headers=headers)


def nowhere(values: dict) -> dict:
    """The same call with every foreign value made up."""
    made_up = {}
    for name, value in values.items():
        if name == "code" or name == ACTION_PARAM:
            made_up[name] = value
        elif name in REGION_PARAMS:
            made_up[name] = NOWHERE["region"]
        elif KIND_OF[name] == "user":
            made_up[name] = NOWHERE["user"]
        else:
            made_up[name] = NOWHERE_ID
    return made_up


def audit_length(db):
    return db.scalar(select(func.count()).select_from(AuditEntry))


class Sweep:
    """Calls one actor's routes and keeps what went wrong."""

    def __init__(self, client, world, markers: list[str]):
        self.client, self.world, self.markers = client, world, markers
        self.failures: list[str] = []
        self.requests = 0
        self.covered: set[tuple[str, str]] = set()
        self.statuses: dict[int, int] = {}
        self._control: dict[tuple, tuple[int, str]] = {}

    async def _send(self, headers, method, path, values, body):
        self.requests += 1
        return await request(self.client, headers, method, path, values, body)

    async def _expected(self, actor, headers, method, path, values, body, answer) -> int:
        """404; or, with the actor's own region code in the path, the refusal a made-up value gets."""
        key = (actor, method, path, values.get(ACTION_PARAM))
        if key not in self._control:
            made_up = await self._send(headers, method, path, nowhere(values), body)
            self._control[key] = (made_up.status_code, made_up.text)
        status, text = self._control[key]
        # Refused for what our own region is (a role without the action there,
        # a region of the wrong level), whatever the foreign value.
        return status if status in (400, 403) and answer.text == text else 404

    async def route(self, actor: str, method: str, path: str, params: list[str], place: Place, offered) -> None:
        role, own = ACTORS[actor]
        headers = self.world.headers[actor]
        for values, own_code in calls(method, path, params, own, place, offered):
            body = body_for(self.world, method, path, values)
            answer = await self._send(headers, method, path, values, body)
            self.covered.add((method, path))
            self.statuses[answer.status_code] = self.statuses.get(answer.status_code, 0) + 1
            expected = 404
            if own_code:
                expected = await self._expected(actor, headers, method, path, values, body, answer)
            shown = [m for m in self.markers if m in answer.text]
            if answer.status_code != expected or shown:
                self.failures.append(f"{actor} ({role}@{own}) {method} {path} {values}: {answer.status_code} "
                                     f"(expected {expected})" + (f", shows {shown}" if shown else "")
                                     + f": {answer.text[:160]}")


async def test_no_route_reaches_a_sibling_community_or_another_city(runtime, db):
    clock.set_now(T0)
    started = time.monotonic()
    async with client_without_scheduler(runtime) as client:
        world = await build(client, db, runtime.plugins)
        offered = {**await world.topic_actions(world.b), **await world.topic_actions(world.f)}
        for place in (world.b, world.f):
            missing = set(KIND_OF.values()) - set(place.ids)
            assert not missing, f"{place.code} has no object of kind(s) {missing}"
        await world.log_in(*ACTORS)
        document = (await client.get("/schema/openapi.json")).json()
        swept, skipped = operations(client.app, document)
        assert skipped == PUBLIC_WITH_PARAMS

        before, audited_before = await snapshot(db), await audit_length(db)
        built = time.monotonic()
        sweep = Sweep(client, world, world.b.markers + world.f.markers)
        for actor in ACTORS:
            # Actors above A see B by right: they are swept against F only.
            places = [world.b, world.f] if actor in COMMUNITY_ACTORS else [world.f]
            for (method, path, params), place in itertools.product(swept, places):
                await sweep.route(actor, method, path, params, place, offered)
        after, audited_after = await snapshot(db), await audit_length(db)
    changed = sorted(name for name in before if before[name] != after[name])
    print(f"\nisolation sweep: {sweep.requests} requests, {len(sweep.covered)} operations covered, "
          f"{len(skipped)} public skipped; build {built - started:.1f}s, sweep {time.monotonic() - built:.1f}s; "
          f"statuses {sweep.statuses}")
    assert not sweep.failures, f"{len(sweep.failures)} of {sweep.requests} calls leaked or mis-answered:\n" \
        + "\n".join(sweep.failures[:80])
    assert changed == [], f"tables changed by the sweep: {changed}"
    # No login happens during the sweep, and a refused call writes no audit entry.
    assert audited_after == audited_before
    assert sweep.covered == {(method, path) for method, path, _ in swept}
