"""A world for the isolation sweep: our community A, its sibling B on the
same street and a community F in another city, with an object of every kind
the API takes by id made in B and in F the way their own users make them
(over HTTP, or the real service where only a job would make it).

Everything made in B and F carries a marker string (``乙…`` / ``丙…``), so a
response body that shows foreign data is found by searching for markers.
"""
from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from litestar.testing import AsyncTestClient
from sqlalchemy import select

from plugins.lianyungang import models as _lianyungang_tables  # noqa: F401  (in the snapshot too)
from plugins.ningbo import models as _ningbo_tables  # noqa: F401
from core import clock
from core.db import Base
from core.app import create_app
from core.implementation.notify import notify
from core.models import User
from core.runtime import Runtime
from tests import walk
from tests.auth_helpers import bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions

A = "330203001001"         # 青石社区: ours
A_STREET = "330203001"
A_DISTRICT = "330203"
A_CITY = "3302"
B = "330203001002"         # 天一社区: A's sibling on the same street
B_NEIGHBOUR = "330203002001"  # another street of A's district: B's escalations reach the district
F = "620502001001"         # 进步巷社区, in 天水市
F_NEIGHBOUR = "620502001002"
F_STREET, F_DISTRICT, F_CITY = "620502001", "620502", "6205"
EXTRA_REGIONS = [(F_NEIGHBOUR, "丙邻社区")]

# The actors: every role that can be granted at community A, each alone.
COMMUNITY_ACTORS = {
    "a_chair": ("council_chair", A), "a_secretary": ("council_secretary", A),
    "a_member": ("council_member", A), "a_cppcc": ("cppcc_member", A),
    "a_supervisor": ("supervisor", A), "a_resident": ("resident", A),
}
# Above A: they see B legitimately, so they are only swept against F.
UPPER_ACTORS = {
    "a_street_staff": ("street_staff", A_STREET), "a_street_chair": ("council_chair", A_STREET),
    "a_street_supervisor": ("supervisor", A_STREET), "a_district_admin": ("district_admin", A_DISTRICT),
    "a_district_chair": ("council_chair", A_DISTRICT), "a_city_admin": ("city_admin", A_CITY),
}
ACTORS = {**COMMUNITY_ACTORS, **UPPER_ACTORS}

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(200))


@dataclass
class Place:
    """One foreign community and what was made there."""

    code: str
    marker: str           # prefix of every string written there
    phone: str
    regions: tuple[str, ...]  # its own code and those above it that are foreign to the actors
    neighbour: str
    names: tuple[str, ...]  # its regions' names, foreign to the actors too
    ids: dict[str, list[Any]] = field(default_factory=dict)
    users: list[str] = field(default_factory=list)

    def add(self, kind: str, value: Any) -> None:
        self.ids.setdefault(kind, []).append(value)

    def text(self, what: str) -> str:
        return f"{self.marker}{what}"

    @property
    def markers(self) -> list[str]:
        return [self.marker, self.phone, *self.names]


class World:
    """The app over HTTP; remembers a valid body for every route it used."""

    def __init__(self, client, db, plugins):
        self.client, self.db, self.plugins = client, db, plugins
        self.headers: dict[str, dict[str, str]] = {}
        self.bodies: dict[tuple[str, str], dict] = {}
        self.b = Place(B, "乙社区标记", "13711112222", (B,), B_NEIGHBOUR, ("天一社区",))
        self.f = Place(F, "丙城标记", "13633334444", (F, F_STREET, F_DISTRICT, F_CITY), F_NEIGHBOUR,
                       ("进步巷社区", "大城街道", "秦州区", "天水市"))

    async def log_in(self, *names: str) -> None:
        for name in names:
            self.headers[name] = bearer(await login(self.client, name))

    async def call(self, who: str, method: str, template: str, body: dict | None = None, expect: int = 200,
                   **params) -> dict:
        path = template.format(**params)
        response = await self.client.request(method, f"/api/v1{path}", json=body, headers=self.headers[who])
        assert response.status_code == expect, f"{method} {path}: {response.status_code} {response.text}"
        if body is not None:
            self.bodies[(method, "/api/v1" + template)] = body
        return response.json()

    async def act(self, who: str, topic_id: int, action: str, **payload) -> dict:
        return await self.call(who, "POST", "/topics/{topic_id}/actions/{action}", payload,
                               topic_id=topic_id, action=action)

    # -- building --------------------------------------------------------------------

    async def people(self) -> None:
        await add_regions(self.db, *SMALL_TREE, *EXTRA_REGIONS)
        for name, grant in ACTORS.items():
            await make_user(self.db, name, grant)
        for place in (self.b, self.f):
            tag = place.code[-4:]
            for role in ("council_chair", "council_secretary", "council_member", "supervisor", "resident"):
                name = f"{role}_{tag}"
                await make_user(self.db, name, (role, place.code))
                place.users.append(name)
            place.add("user", f"resident_{tag}")
        for place in (self.b, self.f):
            seated = await walk.seat_council(self.db, self.plugins, place.code,
                                             [(place.text(name), c) for name, c in walk.FIXED_MEMBERS])
            for member_id in seated.values():
                place.add("member", member_id)
        # A's own council, so a route given A's code and a foreign member gets as far as the member.
        await walk.seat_council(self.db, self.plugins, A)

    def who(self, place: Place, role: str) -> str:
        return f"{role}_{place.code[-4:]}"

    async def submit(self, place: Place, what: str) -> int:
        topic = await self.call(self.who(place, "resident"), "POST", "/regions/{code}/topics", {
            "title": place.text(what), "description": place.text(what + "说明"), "channel": "resident",
            "scale": "minor", "category": "generic.yi.6", "proposer_contact": place.phone}, expect=201,
            code=place.code)
        place.add("topic", topic["id"])
        return topic["id"]

    async def to_resolution(self, place: Place, what: str) -> int:
        """A topic admitted, researched, voted on and resolved: its outcome is on public notice."""
        secretary, chair, member = (self.who(place, r) for r in ("council_secretary", "council_chair",
                                                                  "council_member"))
        topic_id = await self.submit(place, what)
        await self.act(secretary, topic_id, "admit", catalogue_item="generic.yi.6")
        await self.act(chair, topic_id, "confirm")
        await self.act(member, topic_id, "record_research", **walk.RESEARCH)
        await self.act(secretary, topic_id, "schedule_meeting", **walk.meeting(place=place.text("议事厅")))
        await walk.http_hold_vote(self.client, self.headers[secretary], topic_id,
                                  resolution_text=place.text("决议"))
        await self.act(secretary, topic_id, "record_resolution", **walk.resolution(text=place.text("结果")))
        return topic_id

    async def objection(self, place: Place, topic_id: int) -> None:
        view = await self.call(self.who(place, "council_chair"), "GET", "/topics/{topic_id}", topic_id=topic_id)
        [notice] = [n for n in view["notices"] if n["status"] == "open"]
        place.add("notice", notice["id"])
        for meeting in view["meetings"]:
            place.add("meeting", meeting["id"])
        objected = await self.client.post(f"/api/v1/public/notices/{notice['id']}/objections", json={
            "name": place.text("异议人"), "contact": place.phone, "text": place.text("异议内容")})
        assert objected.status_code == 201, objected.text

    async def build_implementation(self) -> None:
        """First, while the clock is early: topics whose notices will have run out."""
        self.implementing = {}
        for place in (self.b, self.f):
            await self.log_in(*place.users)
            self.implementing[place.code] = [await self.to_resolution(place, "已办结议题"),
                                             await self.to_resolution(place, "落实中议题")]
            for topic_id in self.implementing[place.code]:
                view = await self.call(self.who(place, "council_chair"), "GET", "/topics/{topic_id}",
                                       topic_id=topic_id)
                for n in view["notices"]:
                    place.add("notice", n["id"])
                for meeting in view["meetings"]:
                    place.add("meeting", meeting["id"])

    async def finish_implementation(self) -> None:
        for place in (self.b, self.f):
            await self.log_in(*place.users)
            chair, secretary, member, supervisor, resident = (self.who(place, r) for r in (
                "council_chair", "council_secretary", "council_member", "supervisor", "resident"))
            topic_id, still_open = self.implementing[place.code]
            await self.act(chair, topic_id, "confirm_results")
            await self.act(chair, still_open, "confirm_results")
            deadline = (clock.now() + timedelta(days=20)).date().isoformat()
            task = await self.call(secretary, "POST", "/topics/{topic_id}/tasks", {
                "title": place.text("任务"), "measures": place.text("措施"), "responsible_name": place.text("责任单位"),
                "deadline": deadline}, expect=201, topic_id=topic_id)
            place.add("task", task["id"])
            await self.call(member, "POST", "/tasks/{task_id}/progress",
                            {"percent": 50, "text": place.text("进展")}, expect=201, task_id=task["id"])
            await self.call(supervisor, "POST", "/topics/{topic_id}/supervision-notes",
                            {"text": place.text("监督"), "task_id": task["id"]}, expect=201, topic_id=topic_id)
            await self.call(secretary, "POST", "/tasks/{task_id}/complete",
                            {"note": place.text("完成"), "close_topic": True}, task_id=task["id"])
            await self.call(resident, "POST", "/topics/{topic_id}/ratings",
                            {"score": 5, "comment": place.text("评价")}, expect=201, topic_id=topic_id)
            await self.call(chair, "POST", "/topics/{topic_id}/evaluation-reports",
                            {"evaluator": place.text("评估方"), "summary": place.text("评估"), "score": 90},
                            expect=201, topic_id=topic_id)
            # A task still open, on a topic still being implemented.
            task = await self.call(secretary, "POST", "/topics/{topic_id}/tasks", {
                "title": place.text("任务二"), "measures": place.text("措施二"),
                "responsible_name": place.text("责任单位二"), "deadline": deadline}, expect=201,
                topic_id=still_open)
            place.add("task", task["id"])
            await self.call(member, "POST", "/tasks/{task_id}/progress",
                            {"percent": 30, "text": place.text("进展二")}, expect=201, task_id=task["id"])

    async def build_rest(self) -> None:
        for place in (self.b, self.f):
            chair, secretary, member = (self.who(place, r) for r in ("council_chair", "council_secretary",
                                                                      "council_member"))
            uploaded = await self.client.post(f"/api/v1/regions/{place.code}/attachments",
                                              headers=self.headers[secretary],
                                              files={"file": (place.text("照片.png"), PNG, "image/png")})
            assert uploaded.status_code == 201, uploaded.text
            place.add("attachment", uploaded.json()["id"])
            document = await self.call(secretary, "POST", "/regions/{code}/council/documents", {
                "kind": "rules", "attachment_id": uploaded.json()["id"], "title": place.text("议事规则")}, expect=201,
                code=place.code)
            place.add("document", document["id"])
            await self.call(secretary, "POST", "/regions/{code}/council/terms",
                            {"starts_on": "2033-06-01", "ends_on": "2036-05-31"}, expect=201, code=place.code)

            await self.submit(place, "刚提交议题")
            admitted = await self.submit(place, "已受理议题")
            await self.act(secretary, admitted, "admit", catalogue_item="generic.yi.6")
            report = await self.call(chair, "POST", "/topics/{topic_id}/upward-reports", {
                "kind": "social_opinion", "title": place.text("上报"), "body": place.text("上报内容")},
                expect=201, topic_id=admitted)
            place.add("report", report["id"])
            researched = await self.submit(place, "已调研议题")
            await self.act(secretary, researched, "admit", catalogue_item="generic.yi.6")
            await self.act(chair, researched, "confirm")
            await self.act(member, researched, "record_research", **walk.RESEARCH)
            escalated = await self.submit(place, "跨社区议题")
            await self.call(chair, "POST", "/topics/{topic_id}/escalate",
                            {"reason": place.text("上提理由"), "affected_regions": [place.neighbour]},
                            topic_id=escalated)
            in_meeting = await self.submit(place, "会议中议题")
            await self.act(secretary, in_meeting, "admit", catalogue_item="generic.yi.6")
            await self.act(chair, in_meeting, "confirm")
            await self.act(member, in_meeting, "record_research", **walk.RESEARCH)
            await self.act(secretary, in_meeting, "schedule_meeting", **walk.meeting(place=place.text("议事厅二")))
            await walk.http_hold_vote(self.client, self.headers[secretary], in_meeting,
                                      resolution_text=place.text("表决"))
            on_notice = await self.to_resolution(place, "公示中议题")
            await self.objection(place, on_notice)
            view = await self.call(chair, "GET", "/topics/{topic_id}", topic_id=in_meeting)
            for meeting in view["meetings"]:
                place.add("meeting", meeting["id"])
            # Notifications are left by jobs (notice expiry, overdue tasks); the same service, directly.
            officers = (await self.db.scalars(select(User.id).where(User.username.in_(
                [chair, secretary, member])))).all()
            rows = await notify(self.db, region_code=place.code, kind="notice_closed",
                                text_zh=place.text("通知"), text_en="notice", user_ids=officers,
                                topic_id=on_notice)
            rows += await notify(self.db, region_code=place.code, kind="notice_closed",
                                 text_zh=place.text("议事会通知"), text_en="council notice", topic_id=on_notice)
            await self.db.commit()
            for row in rows:
                place.add("notification", row.id)
            place.ids["meeting"] = sorted(set(place.ids["meeting"]))
            place.ids["notice"] = sorted(set(place.ids["notice"]))

    async def topic_actions(self, place: Place) -> dict[int, list[str]]:
        """For each of the place's topics, the actions its own chair is offered now."""
        chair = self.who(place, "council_chair")
        offered = {}
        for topic_id in place.ids["topic"]:
            view = await self.call(chair, "GET", "/topics/{topic_id}", topic_id=topic_id)
            offered[topic_id] = sorted({a["key"] for a in view["actions"]} | {"admit", "close"})
        return offered


@asynccontextmanager
async def client_without_scheduler(runtime: Runtime) -> AsyncIterator[AsyncTestClient]:
    """Like ``tests.auth_helpers.app_client``, with the app's worker but not its scheduler.

    The world moves the clock days on; a scheduler would then fire the due
    slots (notice expiry, session housekeeping) at some moment of the sweep,
    and the snapshot could not tell its changes from the sweep's.
    """
    app_runtime = Runtime.build(runtime.config, plugins=runtime.plugins)
    app_runtime.extras["jobs_options"] = {"scheduler": False}
    async with AsyncTestClient(app=create_app(app_runtime)) as client:
        yield client


async def build(client, db, plugins) -> World:
    world = World(client, db, plugins)
    await world.people()
    await world.build_implementation()
    clock.advance(timedelta(days=8))
    await world.finish_implementation()
    await world.build_rest()
    return world


async def snapshot(db) -> dict[str, tuple[int, str]]:
    """Every table: its row count and an order-independent digest of its rows."""
    # A fresh transaction: an open one would go on reading its old snapshot (SQLite WAL).
    await db.rollback()
    result = {}
    for table in Base.metadata.sorted_tables:
        rows = (await db.execute(select(table))).all()
        digest = hashlib.sha256()
        for line in sorted(repr(tuple(row)) for row in rows):
            digest.update(line.encode())
        result[table.name] = (len(rows), digest.hexdigest())
    return result
