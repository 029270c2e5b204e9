"""The consultation plan as a public notice (seed 001 §二(四) "提前公示协商方案,并向协商主体通报协商内容及相关
信息") over HTTP on both backends, with the shipped tenant file: publishing the plan posts it on the
community's public board for the region's plan notice days (3, our default), open to anyone,
with no contact on it and no objections taken; the results notice later takes its place."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select

from core import clock
from core.models import RegionSetting, TopicEvent
from core.models.notice import Objection
from core.notices.service import close_if_expired
from plugins.ningbo.models import PlanNotice
from tests.plugins.ningbo.helpers import CHENGLANG, LIUJIN, api_for, resolution
from tests.plugins.ningbo.test_procedure import consulting

CONTACT = "13812345678"


async def board(api, region: str = CHENGLANG) -> list[dict]:
    # The public door: no login.
    response = await api.client.get(f"/api/v1/public/regions/{region}/notices")
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_publishing_the_plan_posts_it_on_the_public_board(runtime, db, ningbo):
    async with api_for(runtime, db) as api:
        await api.seat("chair", CHENGLANG)
        topic = await api.submit("chair", CHENGLANG, proposer_contact=CONTACT)
        await api.act("chair", topic["id"], "admit")
        await api.act("chair", topic["id"], "record_research", note="实地查看", method=["site_visit"],
                      findings="夜间车位缺口约 40 个", draft_plan="利用周边空地增设临时车位")
        starts = clock.now() + timedelta(days=4)
        scheduled = await api.act("chair", topic["id"], "schedule_meeting", form="meeting", kind="deliberation",
                                  place="澄浪社区议事厅", plan="增设夜间临时车位 40 个", starts_at=starts.isoformat())
        assert await board(api) == []
        published = await api.act("chair", topic["id"], "publish_plan")

        [notice] = await board(api)
        assert (notice["kind"], notice["status"], notice["accepting_objections"]) == ("plan", "open", False)
        assert notice["title"] == "小区停车难" and notice["region_code"] == CHENGLANG
        assert notice["text"] == ("协商方案公示：议题“小区停车难”的协商会议定于 2024-06-07 10:00（北京时间）在澄浪社区议事厅召开。"
                                  "协商方案：增设夜间临时车位 40 个")
        # Its own period: the region's consultation.plan_notice_days (3 in the tenant file).
        opened = datetime.fromisoformat(notice["opens_at"])
        assert opened == clock.now() and datetime.fromisoformat(notice["closes_at"]) == opened + timedelta(days=3)
        assert published["history"][-1]["data"]["plan_notice_id"] == notice["id"]
        assert published["history"][-1]["data"]["meeting_id"] == scheduled["meetings"][-1]["id"]
        # No contact of anyone on the public door; the handlers still see the proposer's.
        detail = await api.client.get(f"/api/v1/public/notices/{notice['id']}")
        assert detail.status_code == 200 and detail.json()["kind"] == "plan"
        for shown in (detail.text, (await api.client.get(f"/api/v1/public/regions/{CHENGLANG}/notices")).text):
            assert CONTACT not in shown and "5678" not in shown
        assert published["proposer_contact"] == CONTACT
        # The topic's view shows it in Ningbo's section; the core's notices are the results.
        assert [(n["kind"], n["status"]) for n in published["ningbo"]["plan_notices"]] == [("plan", "open")]
        assert published["notices"] == []

        # It informs: no objection is taken, and nothing is written.
        objected = await api.client.post(f"/api/v1/public/notices/{notice['id']}/objections",
                                         json={"name": "李大爷", "contact": "13900001111", "text": "方案不妥"})
        assert objected.status_code == 409 and objected.json()["error"]["code"] == "no_objections"
        assert "不受理异议" in objected.json()["error"]["message_zh"]
        assert await db.scalar(select(func.count()).select_from(Objection)) == 0
        # The community's public page shows it among the notices now on the board, as a plan, with no
        # objection link.
        page = (await api.client.get(f"/c/{CHENGLANG}")).text
        current = page.split('id="h-results"', 1)[0]
        assert "协商方案提前公示" in current and "增设夜间临时车位 40 个" in current
        assert f'href="/notices/{notice["id"]}">查看公示</a>' in current

        # The consultation's results go on notice: the plan's notice gives way (closed, still on the board).
        clock.advance(timedelta(days=4))
        await api.hold_vote("chair", scheduled["meetings"][-1]["id"], topic["id"])
        await api.act("chair", topic["id"], "record_resolution", **resolution())
        items = await board(api)
        assert [(n["kind"], n["status"], n["accepting_objections"]) for n in items] == [
            ("results", "open", True), ("plan", "closed", False)]
        # Objections go to the results notice, their contact masked on the board.
        response = await api.client.post(f"/api/v1/public/notices/{items[0]['id']}/objections",
                                         json={"name": "李大爷", "contact": "13900001111", "text": "占用绿地"})
        assert response.status_code == 201, response.text
        [objection] = (await board(api))[0]["objections"]
        assert objection["contact"] == "139****1111"


async def test_the_plan_notice_runs_for_the_regions_days_and_its_end_leaves_the_topic_alone(runtime, db, ningbo):
    db.add(RegionSetting(region_code=CHENGLANG, key="consultation.plan_notice_days", value=5))
    await db.commit()
    async with api_for(runtime, db) as api:
        await api.seat("chair", CHENGLANG)
        topic_id, _ = await consulting(api, days_ahead=6)
        [notice] = await board(api)
        assert datetime.fromisoformat(notice["closes_at"]) == clock.now() + timedelta(days=5)
        # Not on a neighbour's board: the topic affects 澄浪社区 only.
        assert await board(api, LIUJIN) == []
        clock.advance(timedelta(days=5, minutes=1))
        events = await db.scalar(select(func.count()).select_from(TopicEvent).where(TopicEvent.topic_id == topic_id))
        closed = await close_if_expired(db, notice["id"])
        await db.commit()
        assert closed is not None and closed.result is None
        [after] = await board(api)
        assert (after["status"], after["result"], after["accepting_objections"]) == ("closed", None, False)
        # No notice_closed event: the plan's period is no step of the procedure.
        assert await db.scalar(select(func.count()).select_from(TopicEvent)
                               .where(TopicEvent.topic_id == topic_id)) == events
        shown = await api.ok(await api.get("chair", f"/topics/{topic_id}"))
        assert shown["step"]["key"] == "consult"
    assert await db.scalar(select(func.count()).select_from(PlanNotice)) == 1
