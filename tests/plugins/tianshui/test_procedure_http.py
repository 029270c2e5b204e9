"""三段六步 over HTTP on both backends: a Tianshui topic starts under it
(unless the region sets ``procedure.key``), its view marks the inferred
steps, and it walks to the end with research, the meeting's vote, the
notice with an objection answered, and the task recorded by the built-ins."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest_asyncio

from core import clock
from core.models import RegionPlugin, RegionSetting
from tests import walk
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import add_regions

CITY, DISTRICT, STREET, COMMUNITY = "6205", "620502", "620502001", "620502001001"
OTHER_STREET, OTHER_COMMUNITY = "620502002", "620502002001"  # 七里墩街道, 岷山社区居委会
REGIONS = [(CITY, "天水市"), (DISTRICT, "秦州区"), (STREET, "大城街道"), (COMMUNITY, "进步巷社区居委会"),
           (OTHER_STREET, "七里墩街道"), (OTHER_COMMUNITY, "岷山社区居委会")]
T0 = datetime(2030, 5, 6, 1, 0, tzinfo=timezone.utc)  # 09:00 in Beijing
PEOPLE = {
    "chair": [("council_chair", COMMUNITY)],
    "secretary": [("council_secretary", COMMUNITY)],
    "member": [("council_member", COMMUNITY)],
    "resident": [("resident", COMMUNITY)],
    "minshan_resident": [("resident", OTHER_COMMUNITY)],
}
TOPIC = {"title": "进步巷路灯不亮", "description": "巷口路灯坏了两个月", "channel": "resident", "scale": "minor",
         "category": "tianshui.yi.6"}


class Api:
    def __init__(self, client):
        self.client = client
        self.headers: dict[str, dict[str, str]] = {}

    async def login_all(self) -> None:
        # Sessions last hours: after the clock moves days, everyone logs in again.
        self.headers = {name: bearer(await login(self.client, name)) for name in PEOPLE}

    async def post(self, who: str, path: str, body=None):
        return await self.client.post(f"/api/v1{path}", json=body, headers=self.headers[who])

    async def act(self, who: str, topic_id: int, action: str, **payload) -> dict:
        return await walk.http_act(self.client, self.headers[who], topic_id, action, **payload)

    async def view(self, who: str, topic_id: int) -> dict:
        response = await self.client.get(f"/api/v1/topics/{topic_id}", headers=self.headers[who])
        assert response.status_code == 200, response.text
        return response.json()

    async def submit(self, who: str, body: dict, region: str = COMMUNITY) -> dict:
        created = await self.post(who, f"/regions/{region}/topics", body)
        assert created.status_code == 201, created.text
        return await self.view(who, created.json()["id"])


@pytest_asyncio.fixture
async def api(db, runtime):
    clock.set_now(T0)
    await add_regions(db, *REGIONS)
    db.add(RegionPlugin(region_code=CITY, plugin="tianshui", enabled=True))
    # 七里墩街道 keeps the generic procedure: a key set for a region wins over the plugin.
    db.add(RegionSetting(region_code=OTHER_STREET, key="procedure.key", value="generic"))
    await db.commit()
    for name, grants in PEOPLE.items():
        await make_user(db, name, *grants)
    await walk.seat_council(db, runtime.plugins, COMMUNITY)
    async with app_client(runtime) as client:
        api = Api(client)
        await api.login_all()
        yield api


async def test_a_tianshui_topic_starts_under_three_stages_six_steps_unless_the_region_sets_a_key(api):
    view = await api.submit("resident", TOPIC)
    assert view["procedure"]["key"] == "tianshui" and view["procedure"]["title_zh"] == "三段六步议事法"
    assert (view["stage"]["title_zh"], view["step"]["title_zh"]) == ("议题选定", "搜集议题")

    section = view["tianshui"]
    assert [s["title_zh"] for s in section["stages"]] == ["议题选定", "议题协商", "议题决策"]
    steps = [(st["title_zh"], st["inferred"]) for s in section["stages"] for st in s["steps"]]
    assert steps == [("搜集议题", False), ("确定议题", True), ("议前调研", True), ("协商议事", True),
                     ("公开公示", True), ("跟踪落实", True)]
    assert section["inferred_steps"] == ["confirm", "research", "consult", "publicize", "implement"]
    assert [s["current"] for s in section["stages"]] == [True, False, False]

    generic = await api.submit("minshan_resident", {**TOPIC, "category": None}, region=OTHER_COMMUNITY)
    assert generic["procedure"]["key"] == "generic" and generic["step"]["title_zh"] == "收集议题"
    assert "tianshui" not in generic


async def test_a_tianshui_topic_walks_all_six_steps_recorded_by_the_built_ins(api):
    topic_id = (await api.submit("resident", TOPIC))["id"]
    admitted = await api.act("secretary", topic_id, "admit", catalogue_item="tianshui.yi.6")
    assert admitted["step"]["title_zh"] == "确定议题"
    assert admitted["tianshui"]["citations"][0]["citation_zh"].startswith("“九议”第 6 条：治安维护")
    await api.act("chair", topic_id, "confirm")

    blocked = await api.post("secretary", f"/topics/{topic_id}/actions/schedule_meeting", walk.meeting())
    assert blocked.status_code == 409 and "不调研不协商" in blocked.json()["error"]["message_zh"]
    researched = await api.act("member", topic_id, "record_research", **walk.RESEARCH)
    assert researched["research"][0]["findings"] == walk.RESEARCH["findings"]
    scheduled = await api.act("secretary", topic_id, "schedule_meeting", **walk.meeting())
    assert (scheduled["stage"]["title_zh"], scheduled["step"]["title_zh"]) == ("议题协商", "协商议事")
    await walk.http_hold_vote(api.client, api.headers["secretary"], topic_id, resolution_text="更换巷口路灯")
    published = await api.act("secretary", topic_id, "record_resolution", **walk.resolution())
    assert (published["stage"]["title_zh"], published["step"]["title_zh"]) == ("议题决策", "公开公示")
    assert published["meetings"][0]["vote"]["passed"] is True
    [notice] = [n for n in published["notices"] if n["status"] == "open"]

    await api.act("resident", topic_id, "object", note="只换一盏不够")
    await api.act("secretary", topic_id, "dismiss_objection", note="两盏都换")
    early = await api.post("chair", f"/topics/{topic_id}/actions/confirm_results")
    assert early.status_code == 409
    clock.set_now(datetime.fromisoformat(notice["closes_at"]) + timedelta(minutes=10))
    await api.login_all()
    confirmed = await api.act("chair", topic_id, "confirm_results")
    assert confirmed["step"]["title_zh"] == "跟踪落实"
    assert [s["current"] for s in confirmed["tianshui"]["stages"]] == [False, False, True]

    task = await api.post("secretary", f"/topics/{topic_id}/tasks", {
        "title": "更换路灯", "measures": "更换 LED 灯具两盏", "responsible_name": "社区居委会",
        "deadline": (clock.now() + timedelta(days=20)).date().isoformat()})
    assert task.status_code == 201, task.text
    done = await api.post("secretary", f"/tasks/{task.json()['id']}/complete",
                          {"note": "两盏路灯均已更换", "close_topic": True})
    assert done.status_code == 200 and done.json()["topic_status"] == "closed", done.text

    view = await api.view("resident", topic_id)
    # The app's own scheduler may have closed the notice meanwhile (a system event, not a step).
    assert [h["action"] for h in view["history"] if h["action"] != "notice_closed"] == [
        "submit", "admit", "confirm", "record_research", "schedule_meeting", "record_resolution", "object",
        "dismiss_objection", "confirm_results", "close"]
    assert view["status"] == "closed" and view["procedure"]["key"] == "tianshui"
