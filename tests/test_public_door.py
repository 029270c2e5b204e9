"""The residents' door on both backends: a topic submitted without login is
stored, answered with a receipt and followed by it; contact details never
come back out; floods are refused with 429 until the window has passed;
regions that are not open doors all answer the same 404."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update

from core import clock, ratelimit
from core.clientaddr import digest
from core.errors import ApiError
from core.models import Region, Topic, TopicEvent
from core.models.public import PublicReceipt
from core.models.ratelimit import RateLimitWindow
from core.public.service import ANONYMOUS, PER_CLIENT, PUBLIC_ACTOR, admit
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions

COMMUNITY = "330203001001"  # 青石社区
SIBLING = "330203001002"
STREET = "330203001"
OTHER_STREET_COMMUNITY = "330203002001"
OTHER_CITY_COMMUNITY = "620502001001"
CONTACT = "13912345678"
SUBMISSION = {"title": "小区路灯不亮", "description": "3 号楼前路灯坏了两个月", "scale": "minor",
              "category": "generic.yi.6", "proposer_name": "李大爷", "proposer_contact": CONTACT}
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
async def people(db):
    await add_regions(db, *SMALL_TREE)
    await make_user(db, "secretary", ("council_secretary", COMMUNITY))
    await make_user(db, "tianshui", ("city_admin", "6205"))


@pytest.fixture
async def client(runtime, people):
    async with app_client(runtime) as test_client:
        yield test_client


async def count(db, model) -> int:
    return await db.scalar(select(func.count()).select_from(model))


async def windows(db) -> dict[str, int]:
    """The counts of every rate-limit window, by key."""
    return dict((await db.execute(select(RateLimitWindow.key, RateLimitWindow.count))).all())


async def client_counts(db) -> list[int]:
    return [n for key, n in (await windows(db)).items() if key.startswith("public.client:")]


async def test_a_resident_submits_without_login_and_follows_the_topic_by_receipt(db, client):
    submitted = await client.post(f"/api/v1/public/regions/{COMMUNITY}/topics",
                                  json={**SUBMISSION, "channel": "assigned"})
    assert submitted.status_code == 201, submitted.text
    receipt = submitted.json()
    assert CONTACT not in submitted.text
    assert receipt["tracking_code"] in receipt["message_zh"]

    topic = await db.get(Topic, receipt["topic_id"])
    # Whatever the body says, the public door is the resident channel (社会征).
    assert topic.channel == "resident" and topic.proposer_contact == CONTACT
    assert topic.proposer_user_id is None and topic.recorded_by_user_id is None
    assert topic.proposer_name == "李大爷" and topic.region_code == COMMUNITY
    event = await db.scalar(select(TopicEvent).where(TopicEvent.topic_id == topic.id))
    assert event.action == "submit" and event.actor_name == PUBLIC_ACTOR
    # Counted once for the client and once for the region; no address is stored, only its digest.
    counted = await windows(db)
    assert counted.pop(f"public.region:{COMMUNITY}") == 1
    [(client_key, client_count)] = counted.items()
    assert client_count == 1
    assert client_key.startswith("public.client:") and len(client_key) == len("public.client:") + 64

    tracked = await client.get(f"/api/v1/public/topics/{receipt['tracking_code']}")
    assert tracked.status_code == 200, tracked.text
    view = tracked.json()
    assert view["topic_id"] == topic.id and view["status"] == "open"
    assert view["step"]["title_zh"] == "收集议题" and view["feedback"] == []
    assert CONTACT not in tracked.text and "李大爷" not in tracked.text

    # The council screens it; the resident reads the reply with the same code,
    # typed in lower case and without dashes.
    secretary = bearer(await login(client, "secretary"))
    staff_view = await client.get(f"/api/v1/topics/{topic.id}", headers=secretary)
    assert staff_view.json()["proposer_contact"] == CONTACT
    admitted = await client.post(f"/api/v1/topics/{topic.id}/actions/admit", headers=secretary,
                                 json={"feedback": "下周派人查看"})
    assert admitted.status_code == 200, admitted.text
    again = await client.get(f"/api/v1/public/topics/{receipt['tracking_code'].replace('-', '').lower()}")
    assert again.status_code == 200
    assert again.json()["step"]["key"] == "confirm"
    [reply] = again.json()["feedback"]
    assert "已受理" in reply["text_zh"] and "下周派人查看" in reply["text_zh"] and reply["text_en"]
    assert CONTACT not in again.text


async def test_a_resident_may_stay_anonymous_and_still_gets_replies(db, client):
    submitted = await client.post(f"/api/v1/public/regions/{COMMUNITY}/topics",
                                  json={"title": "楼道堆物", "proposer_name": "  "})
    assert submitted.status_code == 201, submitted.text
    topic = await db.get(Topic, submitted.json()["topic_id"])
    assert topic.proposer_name == ANONYMOUS and topic.proposer_contact == ""
    secretary = bearer(await login(client, "secretary"))
    rejected = await client.post(f"/api/v1/topics/{topic.id}/actions/reject", headers=secretary,
                                 json={"note": "属物业职责", "catalogue_item": "generic.buyi.1"})
    assert rejected.status_code == 200, rejected.text
    tracked = (await client.get(f"/api/v1/public/topics/{submitted.json()['tracking_code']}")).json()
    assert tracked["status"] == "rejected" and "不予协商" in tracked["feedback"][0]["text_zh"]


async def test_a_street_door_takes_its_communities_and_refuses_others(db, client):
    ok = await client.post(f"/api/v1/public/regions/{STREET}/topics",
                           json={"title": "两社区之间停车难", "affected_regions": [COMMUNITY, SIBLING]})
    assert ok.status_code == 201, ok.text
    bad = await client.post(f"/api/v1/public/regions/{STREET}/topics",
                            json={"title": "跨城", "affected_regions": [OTHER_CITY_COMMUNITY]})
    assert bad.status_code == 400
    assert bad.json()["error"]["fields"][0]["field"] == "affected_regions"
    assert await count(db, Topic) == 1


async def test_bad_fields_are_400_in_both_languages_and_store_nothing(db, client):
    response = await client.post(f"/api/v1/public/regions/{COMMUNITY}/topics",
                                 json={"title": " ", "scale": "huge", "proposer_contact": "x" * 500})
    assert response.status_code == 400
    fields = {f["field"]: f for f in response.json()["error"]["fields"]}
    assert {"title", "scale", "proposer_contact"} <= set(fields)
    assert fields["title"]["message_zh"] and fields["title"]["message_en"]
    not_object = await client.post(f"/api/v1/public/regions/{COMMUNITY}/topics", json=["title"])
    assert not_object.status_code == 400
    for model in (Topic, RateLimitWindow, PublicReceipt):
        assert await count(db, model) == 0


async def test_a_misspelt_field_is_named_and_nothing_is_stored(db, client):
    """``contact`` for ``proposer_contact`` would otherwise lose the resident's number without a word."""
    response = await client.post(f"/api/v1/public/regions/{COMMUNITY}/topics",
                                 json={"title": "小区路灯不亮", "contact": CONTACT})
    assert response.status_code == 400
    [field] = response.json()["error"]["fields"]
    assert field["field"] == "contact" and "proposer_contact" in field["message_zh"]
    assert "unknown field 'contact'" in field["message_en"]
    for model in (Topic, RateLimitWindow, PublicReceipt):
        assert await count(db, model) == 0


async def test_rate_limit_refuses_with_429_until_the_window_has_passed(db, client):
    clock.set_now(T0)
    for n in range(PER_CLIENT.max_count):
        response = await client.post(f"/api/v1/public/regions/{COMMUNITY}/topics", json={"title": f"议题 {n}"})
        assert response.status_code == 201, response.text
        clock.advance(timedelta(minutes=1))
    refused = await client.post(f"/api/v1/public/regions/{SIBLING}/topics", json={"title": "又一条"},
                                headers={"Accept-Language": "en"})
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "rate_limited" and "提交过于频繁" in error["message_zh"]
    # Now is T0 + 5 min; the first submission (T0) leaves the window at T0 + 10 min.
    assert "try again in 5 minutes" in error["message"]
    assert await count(db, Topic) == PER_CLIENT.max_count
    # The refused one took no slot.
    assert await client_counts(db) == [PER_CLIENT.max_count]

    clock.set_now(T0 + PER_CLIENT.window + timedelta(seconds=1))
    allowed = await client.post(f"/api/v1/public/regions/{SIBLING}/topics", json={"title": "又一条"})
    assert allowed.status_code == 201, allowed.text


async def test_invalid_submissions_do_not_use_up_the_limit(db, client):
    for _ in range(PER_CLIENT.max_count + 2):
        assert (await client.post(f"/api/v1/public/regions/{COMMUNITY}/topics", json={})).status_code == 400
    assert (await client.post(f"/api/v1/public/regions/{COMMUNITY}/topics",
                              json={"title": "有效"})).status_code == 201


async def test_the_region_limit_holds_whatever_the_client(db, people):
    clock.set_now(T0)
    tight = ratelimit.Limit(2, timedelta(minutes=10))
    await admit(db, "10.0.0.1", COMMUNITY, per_region=tight)
    await admit(db, "10.0.0.2", COMMUNITY, per_region=tight)
    before = await windows(db)
    with pytest.raises(ApiError) as err:
        await admit(db, "10.0.0.3", COMMUNITY, per_region=tight)
    assert err.value.status_code == 429
    # The client's slot, taken before the region's was refused, was given back: nothing changed.
    assert await windows(db) == before
    # Another region and the refused client elsewhere are unaffected.
    await admit(db, "10.0.0.3", SIBLING, per_region=tight)
    counted = await windows(db)
    assert counted[f"public.region:{COMMUNITY}"] == 2 and counted[f"public.region:{SIBLING}"] == 1
    assert counted[f"public.client:{digest('10.0.0.3')}"] == 1
    await db.commit()


async def test_doors_that_are_not_open_all_answer_the_same_404(db, client):
    await db.execute(update(Region).where(Region.code == "330205").values(active=False))
    await db.commit()
    bodies = []
    for code in ("3302", "330203", "330203001009", "999999001001", "33020300100x", "330205001001"):
        response = await client.post(f"/api/v1/public/regions/{code}/topics", json={"title": "路灯"})
        assert response.status_code == 404, (code, response.text)
        bodies.append(response.json())
    assert all(body == bodies[0] for body in bodies)
    # Another city's community is a door of its own, not reachable through this city.
    other = await client.post(f"/api/v1/public/regions/{OTHER_CITY_COMMUNITY}/topics", json={"title": "路灯"})
    assert other.status_code == 201
    assert (await db.get(Topic, other.json()["topic_id"])).region_code == OTHER_CITY_COMMUNITY
    assert await count(db, Topic) == 1
    # The 404s counted nowhere: only the one submission that got in.
    counted = await windows(db)
    assert counted.pop(f"public.region:{OTHER_CITY_COMMUNITY}") == 1 and list(counted.values()) == [1]


async def test_unknown_or_malformed_tracking_codes_are_404(db, client):
    for code in ("ABCD-EFGH-JKLM-NPQR", "short", "0000-0000-0000-0000"):
        response = await client.get(f"/api/v1/public/topics/{code}")
        assert response.status_code == 404
        assert response.json()["error"]["message_en"] == "receipt not found"


async def test_staff_entering_a_topic_for_a_resident_is_recorded_as_such(db, client):
    secretary = bearer(await login(client, "secretary"))
    entered = await client.post(f"/api/v1/regions/{COMMUNITY}/topics", headers=secretary,
                                json={"title": "代录：楼顶漏水", "channel": "on_behalf", "proposer_name": "王阿姨",
                                      "proposer_contact": "13700000000"})
    assert entered.status_code == 201, entered.text
    topic = await db.get(Topic, entered.json()["id"])
    secretary_id = entered.json()["history"][0]["actor_user_id"]
    assert topic.channel == "on_behalf" and topic.proposer_name == "王阿姨"
    assert topic.proposer_user_id is None and topic.recorded_by_user_id == secretary_id is not None
    assert entered.json()["history"][0]["actor_name"] == "secretary 显示名"
    unnamed = await client.post(f"/api/v1/regions/{COMMUNITY}/topics", headers=secretary,
                                json={"title": "代录", "channel": "on_behalf"})
    assert unnamed.status_code == 400 and unnamed.json()["error"]["fields"][0]["field"] == "proposer_name"


async def test_ended_windows_can_be_purged_without_touching_the_current_one(db, people):
    clock.set_now(T0)
    await admit(db, "10.0.0.1", COMMUNITY)
    clock.set_now(T0 + PER_CLIENT.window + timedelta(minutes=1))
    await admit(db, "10.0.0.1", COMMUNITY)
    # The client's and the region's windows of T0 have ended; the current ones stay.
    assert await ratelimit.purge(db) == 2
    assert sorted((await windows(db)).values()) == [1, 1]
    await admit(db, "10.0.0.1", COMMUNITY)
    assert sorted((await windows(db)).values()) == [2, 2]
    await db.commit()
