"""Topics on both backends: submission checks, screening against the
catalogue, the history an action leaves, version pinning and access."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core import clock
from core.auth.service import principal_of
from core.authz.enforcer import Authorizer
from core.errors import ApiError
from core.models import AuditEntry, ScreeningDecision, Topic, TopicEvent, TopicFeedback, User
from core.plugins import hookimpl
from core.procedures.generic import GENERIC
from core.regions.queries import Paging
from core.topics import service
from core.topics.service import TopicFilters
from tests import walk
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions

COMMUNITY = "330203001001"  # 青石社区
SIBLING = "330203001002"    # 天一社区, same street
STREET = "330203001"        # 月湖街道
OTHER_STREET_COMMUNITY = "330203002001"
OTHER_CITY_COMMUNITY = "620502001001"


class World:
    """Regions, people and an authorizer, ready for the service."""

    def __init__(self, db, plugins, authorizer, people):
        self.db = db
        self.plugins = plugins
        self.authorizer = authorizer
        self.people = people

    def __getitem__(self, name):
        return self.people[name]

    async def create(self, who, data, region=COMMUNITY):
        principal = self.people[who] if who else None
        return await service.create_topic(self.db, principal, region, data, plugins=self.plugins,
                                          authorizer=self.authorizer)

    async def act(self, who, topic, action, **payload):
        return await service.perform_action(self.db, self.people[who], topic.id, action, payload,
                                            plugins=self.plugins, authorizer=self.authorizer)

    async def hold_vote(self, who, topic):
        return await walk.hold_vote(self.db, self.plugins, self.people[who], topic.id)

    async def view(self, who, topic):
        return await service.topic_view(self.db, self.people[who], topic.id, plugins=self.plugins,
                                        authorizer=self.authorizer)


@pytest.fixture
async def world(db, runtime):
    await add_regions(db, *SMALL_TREE)
    grants = {
        "chair": [("council_chair", COMMUNITY)],
        "secretary": [("council_secretary", COMMUNITY)],
        "member": [("council_member", COMMUNITY)],
        "resident": [("resident", COMMUNITY)],
        "neighbour": [("resident", SIBLING)],
        "street": [("street_staff", STREET)],
        "street_chair": [("council_chair", STREET)],
        "tianshui": [("city_admin", "6205")],
    }
    people = {}
    for name, pairs in grants.items():
        user = await make_user(db, name, *pairs)
        # Reloaded so the grants are loaded with the user, as login does.
        user = await db.scalar(select(User).where(User.id == user.id).execution_options(populate_existing=True))
        people[name] = principal_of(user)
    authorizer = Authorizer()
    await authorizer.load(db)
    # End the read transaction, so the app in the HTTP tests can write.
    await db.commit()
    return World(db, runtime.plugins, authorizer, people)


RESIDENT_TOPIC = {"title": "小区路灯不亮", "description": "3 号楼前路灯坏了两个月", "channel": "resident",
                  "scale": "minor", "category": "generic.yi.6", "proposer_contact": "13800000000"}


async def test_create_reports_every_bad_field_in_both_languages(world):
    with pytest.raises(ApiError) as err:
        await world.create("street", {"title": "  ", "channel": "telepathy", "scale": "huge",
                                         "category": "generic.buyi.1",
                                         "affected_regions": [SIBLING, OTHER_STREET_COMMUNITY,
                                                              OTHER_CITY_COMMUNITY, STREET]},
                           region=STREET)
    error = err.value
    assert error.status_code == 400
    by_field = {}
    for f in error.fields:
        by_field.setdefault(f.field, []).append(f)
    assert by_field["title"][0].message_zh == "请填写议题标题"
    assert "unknown channel 'telepathy'" in by_field["channel"][0].message_en
    assert "unknown scale 'huge'" in by_field["scale"][0].message_en
    assert "not an admissible kind" in by_field["category"][0].message_en
    affected = [f.message_en for f in by_field["affected_regions"]]
    # A neighbour in the same city may be named: that is what escalation upward handles.
    assert not any(OTHER_STREET_COMMUNITY in message for message in affected)
    assert f"{OTHER_CITY_COMMUNITY} is not in this council's city" in affected
    assert f"{STREET} is not a community" in affected
    assert not any(SIBLING in message for message in affected)
    await world.db.rollback()
    assert await world.db.scalar(select(func.count()).select_from(Topic)) == 0


async def test_channel_must_fit_the_callers_roles_and_on_behalf_names_the_proposer(world):
    with pytest.raises(ApiError) as err:
        await world.create("resident", {**RESIDENT_TOPIC, "channel": "assigned"})
    assert "'assigned by party and government' channel" in err.value.fields[0].message_en
    with pytest.raises(ApiError) as missing:
        await world.create("secretary", {"title": "代录议题", "channel": "on_behalf"})
    assert missing.value.fields[0].field == "proposer_name"
    topic = await world.create("secretary", {"title": "代录议题", "channel": "on_behalf", "proposer_name": "王阿姨"})
    assert topic.proposer_user_id is None and topic.proposer_name == "王阿姨"
    assert topic.recorded_by_user_id == world["secretary"].user_id
    # A street council's topic must name its communities; a community's defaults to itself.
    with pytest.raises(ApiError) as street:
        await world.create("street_chair", {"title": "两社区停车", "channel": "member"}, region=STREET)
    assert street.value.fields[0].field == "affected_regions"
    both = await world.create("street_chair", {"title": "两社区停车", "channel": "member",
                                               "affected_regions": [COMMUNITY, SIBLING]}, region=STREET)
    view = await world.view("street", both)
    assert view["affected_regions"] == [COMMUNITY, SIBLING]
    # Another city's admin cannot even tell the region exists.
    with pytest.raises(ApiError) as hidden:
        await world.create("tianshui", {**RESIDENT_TOPIC, "channel": "assigned"})
    assert hidden.value.status_code == 404


async def test_screening_rejects_citing_the_catalogue_item_and_route_and_tells_the_proposer(world):
    topic = await world.create("resident", RESIDENT_TOPIC)
    with pytest.raises(ApiError) as err:
        await world.act("secretary", topic, "reject", note="超出社区权限")
    assert err.value.fields[0].field == "catalogue_item"
    with pytest.raises(ApiError) as admissible_cited:
        await world.act("secretary", topic, "reject", note="超出社区权限", catalogue_item="generic.yi.6")
    assert "'generic.yi.6' is not an excluded item" in admissible_cited.value.fields[0].message_en

    # 个体矛盾: answered directly (超出职能权限 forwards the topic upward: tests/test_escalation.py).
    await world.act("secretary", topic, "reject", note="邻里纠纷由调解员处理", catalogue_item="generic.buyi.6",
                    feedback="已转社区调解室")
    await world.db.commit()
    assert topic.status == "rejected"
    decision = await world.db.scalar(select(ScreeningDecision).where(ScreeningDecision.topic_id == topic.id))
    assert not decision.admissible
    assert decision.catalogue_code == "generic.buyi.6"
    assert decision.catalogue_text == "个体矛盾"
    assert decision.route == "answer_directly"  # the item's usual route
    feedback = (await world.db.scalars(select(TopicFeedback).where(TopicFeedback.topic_id == topic.id))).all()
    assert len(feedback) == 1
    assert feedback[0].recipient_user_id == world["resident"].user_id
    assert "个体矛盾" in feedback[0].text_zh and "直接答复提议人" in feedback[0].text_zh
    # The proposer is told which item, by its number, as well as its words.
    assert "不予协商事项第 6 条“个体矛盾”" in feedback[0].text_zh
    assert "excluded item 6 of the catalogue" in feedback[0].text_en
    assert "已转社区调解室" in feedback[0].text_zh

    view = await world.view("resident", topic)
    assert view["status"] == "rejected" and view["actions"] == []
    assert view["screening"][0]["catalogue_item"] == "generic.buyi.6"
    assert "proposer_contact" not in view
    assert (await world.view("secretary", topic))["proposer_contact"] == "13800000000"
    with pytest.raises(ApiError) as ended:
        await world.act("secretary", topic, "admit")
    assert ended.value.status_code == 409


async def test_explicit_route_and_admission_default_to_the_category(world):
    topic = await world.create("resident", RESIDENT_TOPIC)
    with pytest.raises(ApiError) as bad_route:
        await world.act("secretary", topic, "reject", note="x", catalogue_item="generic.buyi.5", route="teleport")
    assert bad_route.value.fields[0].field == "route"
    await world.act("secretary", topic, "admit")
    decision = await world.db.scalar(select(ScreeningDecision).where(ScreeningDecision.topic_id == topic.id))
    assert decision.admissible and decision.catalogue_code == "generic.yi.6"
    assert topic.step == "confirm"
    feedback = await world.db.scalar(select(TopicFeedback).where(TopicFeedback.topic_id == topic.id))
    assert "已受理" in feedback.text_zh


async def test_history_grows_per_action_through_the_whole_procedure(world):
    clock.set_now(clock.now().replace(microsecond=0))
    topic = await world.create("resident", RESIDENT_TOPIC)
    await walk.seat_council(world.db, world.plugins, COMMUNITY)
    steps = [
        ("secretary", "admit", {}),
        ("chair", "confirm", {}),
        ("member", "record_research", {**walk.RESEARCH, "note": "实地查看，需更换灯具"}),
        ("secretary", "schedule_meeting", walk.meeting()),
        ("secretary", "vote", {}),  # the meeting votes; not a topic action, so not in the history
        ("secretary", "record_resolution", walk.resolution("由物业本月内更换")),
        ("neighbour", None, {}),  # cannot see this community's topic
        ("resident", "object", {"note": "一个月太慢"}),
        ("secretary", "dismiss_objection", {"note": "已有排期"}),
    ]
    expected_history = ["submit"]
    for who, action, payload in steps:
        if action is None:
            with pytest.raises(ApiError) as err:
                await world.view(who, topic)
            assert err.value.status_code == 404
            continue
        if action == "vote":
            await world.hold_vote(who, topic)
            continue
        await world.act(who, topic, action, **payload)
        expected_history.append(action)
        view = await world.view(who, topic)
        assert [h["action"] for h in view["history"]] == expected_history

    view = await world.view("chair", topic)
    assert view["step"]["key"] == "publicize" and view["stage"]["key"] == "decision"
    blocked = {b["key"]: b for b in view["blocked_actions"]}
    assert "notice period" in blocked["confirm_results"]["reason_en"]
    clock.advance(timedelta(days=7))
    view = await world.view("chair", topic)
    assert "confirm_results" in [a["key"] for a in view["actions"]]
    await world.act("chair", topic, "confirm_results")
    await world.act("member", topic, "record_progress", note="已更换两盏")
    await world.act("secretary", topic, "close", note="办结")
    await world.db.commit()

    view = await world.view("resident", topic)
    assert view["status"] == "closed"
    history = view["history"]
    assert [h["action"] for h in history] == expected_history + ["confirm_results", "record_progress", "close"]
    research = history[3]
    assert research["actor_name"] == "member 显示名" and research["note"] == "实地查看，需更换灯具"
    assert (research["from_step"], research["to_step"]) == ("research", "research")
    assert history[2]["from_step"] == "confirm" and history[2]["to_step"] == "research"
    events = await world.db.scalar(select(func.count()).select_from(TopicEvent).where(TopicEvent.topic_id == topic.id))
    assert events == len(history)
    audited = (await world.db.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "topic")
                                      .order_by(AuditEntry.id))).all()
    assert audited[0] == "topic.create" and audited[-1] == "topic.close"
    assert len(audited) == len(history)
    # Admitted, then closed: the proposer heard back both times.
    assert await world.db.scalar(select(func.count()).select_from(TopicFeedback)) == 2


async def test_wrong_role_is_403_and_a_blocked_action_is_409_with_the_reason(world):
    topic = await world.create("resident", RESIDENT_TOPIC)
    with pytest.raises(ApiError) as role:
        await world.act("member", topic, "admit")
    assert role.value.status_code == 403
    await world.act("secretary", topic, "admit")
    await world.act("chair", topic, "confirm")
    with pytest.raises(ApiError) as research:
        await world.act("secretary", topic, "schedule_meeting")
    assert research.value.status_code == 409 and "不调研不协商" in research.value.message_zh
    with pytest.raises(ApiError) as note:
        await world.act("member", topic, "record_research")
    assert note.value.status_code == 400 and note.value.fields[0].field == "note"
    await world.act("member", topic, "record_research", **{**walk.RESEARCH, "note": "走访 12 户"})
    # The street's staff reach the community's topics through their subtree.
    await world.act("street", topic, "schedule_meeting", **walk.meeting())
    assert topic.step == "consult"
    with pytest.raises(ApiError) as hidden:
        await world.act("tianshui", topic, "schedule_meeting", **walk.meeting())
    assert hidden.value.status_code == 404


async def test_a_topic_keeps_its_procedure_version_after_a_newer_one_is_registered(world):
    old = await world.create("resident", RESIDENT_TOPIC)
    assert (old.procedure_key, old.procedure_version) == ("generic", 1)

    # Version 2 lets a council member admit topics; the old topic must not notice.
    collect = GENERIC.steps[0]
    admit = collect.action("admit")
    v2 = replace(GENERIC, version=2, steps=(
        replace(collect, actions=(replace(admit, roles=admit.roles | {*world["member"].roles()}),
                                  collect.action("reject"))),
        *GENERIC.steps[1:]))

    class NewVersion:
        @hookimpl
        def yishi_procedures(self):
            return [v2]

    world.plugins.pm.register(NewVersion())
    new = await world.create("resident", RESIDENT_TOPIC)
    assert new.procedure_version == 2
    with pytest.raises(ApiError) as err:
        await world.act("member", old, "admit")
    assert err.value.status_code == 403
    await world.act("member", new, "admit")
    assert new.step == "confirm"
    assert (await world.view("member", old))["procedure"]["version"] == 1
    assert (await world.view("member", new))["procedure"]["version"] == 2


async def test_list_filters_paginates_and_never_crosses_the_scope(world):
    first = await world.create("resident", RESIDENT_TOPIC)
    await world.create("secretary", {"title": "垃圾分类", "channel": "member", "scale": "major"})
    await world.create("street_chair", {"title": "两社区停车", "channel": "member",
                                        "affected_regions": [COMMUNITY, SIBLING]}, region=STREET)
    await world.act("secretary", first, "admit")
    await world.db.commit()

    async def listed(who, region, page_size=50, **filters):
        scope = world.authorizer.scope(world[who], service.READ)
        result = await service.list_topics(world.db, scope, region, TopicFilters(**filters),
                                           Paging.checked(1, page_size), plugins=world.plugins)
        return result["total"], [item["title"] for item in result["items"]]

    assert (await listed("street", STREET))[0] == 3
    assert await listed("street", STREET, step="confirm") == (1, ["小区路灯不亮"])
    assert await listed("street", STREET, channel="member", page_size=1) == (2, ["两社区停车"])
    assert await listed("street", STREET, category="generic.yi.6") == (1, ["小区路灯不亮"])
    # A community council sees its own topics, not the street's.
    assert (await listed("chair", COMMUNITY))[0] == 2
    # Asked for the whole street (the route's guard would answer 404 first),
    # the scope still leaves only the chair's own community.
    assert await listed("chair", STREET) == (2, ["垃圾分类", "小区路灯不亮"])
    assert await listed("tianshui", "3302") == (0, [])
    assert await listed("neighbour", COMMUNITY) == (0, [])


@pytest.fixture
async def client(runtime):
    async with app_client(runtime) as test_client:
        yield test_client


async def test_http_submit_read_act_and_refuse(world, client):
    resident = bearer(await login(client, "resident"))
    secretary = bearer(await login(client, "secretary"))
    outsider = bearer(await login(client, "tianshui"))

    created = await client.post(f"/api/v1/regions/{COMMUNITY}/topics", json=RESIDENT_TOPIC, headers=resident)
    assert created.status_code == 201, created.text
    topic_id = created.json()["id"]
    assert created.json()["step"]["title_zh"] == "收集议题"

    bad = await client.post(f"/api/v1/regions/{COMMUNITY}/topics", json={"channel": "resident"}, headers=resident)
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "title"

    detail = await client.get(f"/api/v1/topics/{topic_id}", headers=secretary)
    assert detail.status_code == 200
    assert [a["key"] for a in detail.json()["actions"]] == ["admit", "reject"]
    assert (await client.get(f"/api/v1/topics/{topic_id}", headers=resident)).json()["actions"] == []

    early = await client.post(f"/api/v1/topics/{topic_id}/actions/schedule_meeting", headers=secretary,
                              json={})
    assert early.status_code == 409
    assert "收集议题" in early.json()["error"]["message_zh"]

    admitted = await client.post(f"/api/v1/topics/{topic_id}/actions/admit", headers=secretary)
    assert admitted.status_code == 200, admitted.text
    assert [h["action"] for h in admitted.json()["history"]] == ["submit", "admit"]

    assert (await client.get(f"/api/v1/topics/{topic_id}", headers=outsider)).status_code == 404
    assert (await client.post(f"/api/v1/topics/{topic_id}/actions/confirm", headers=outsider)).status_code == 404
    assert (await client.get("/api/v1/topics/999999", headers=secretary)).status_code == 404
    listed = await client.get(f"/api/v1/regions/{COMMUNITY}/topics", headers=secretary,
                              params={"step": "confirm"})
    assert listed.status_code == 200 and listed.json()["total"] == 1
    assert "proposer_contact" not in listed.json()["items"][0]
    assert (await client.get(f"/api/v1/regions/{COMMUNITY}/topics", headers=outsider)).status_code == 404


def test_a_regional_catalogue_replaces_the_generic_one_kind_by_kind(plugin_host):
    from core.catalogue import EXCLUDED, CatalogueItem, catalogue_for_region

    generic_codes = {item.code for item in catalogue_for_region(plugin_host, COMMUNITY, []).items}
    assert "generic.buyi.1" in generic_codes and "generic.yi.1" in generic_codes

    class Tianshui:
        @hookimpl
        def yishi_catalogue(self, region_code):
            if not region_code.startswith("6205"):
                return []
            return [CatalogueItem("tianshui.buyi.5", EXCLUDED, 5, "超出街道社区职能权限的事项",
                                  route="forward_upward")]

    plugin_host.pm.register(Tianshui())
    # The plugin's exclusions replace the generic ones; the generic admissible kinds stand in for the
    # kind it does not supply.
    regional = [i.code for i in catalogue_for_region(plugin_host, OTHER_CITY_COMMUNITY, []).items]
    assert [c for c in regional if "buyi" in c] == ["tianshui.buyi.5"]
    assert {c for c in regional if ".yi." in c} == {c for c in generic_codes if ".yi." in c}
    assert {i.code for i in catalogue_for_region(plugin_host, COMMUNITY, []).items} == generic_codes


async def test_history_reads_in_time_order_whatever_order_the_rows_were_written(world):
    """An event recorded late about an earlier moment (a job catching up, an import)
    takes its place by time in the history, not by when its row was written."""
    clock.set_now(clock.now().replace(microsecond=0))
    topic = await world.create("resident", RESIDENT_TOPIC)
    clock.advance(timedelta(hours=2))
    await world.act("secretary", topic, "admit")
    submitted = (await world.db.scalars(select(TopicEvent).where(TopicEvent.topic_id == topic.id)
                                        .order_by(TopicEvent.id))).first()
    world.db.add(TopicEvent(topic_id=topic.id, at=submitted.at + timedelta(hours=1), actor_name="网格员",
                            action="record_progress", from_step="collect", to_step="collect", status="open",
                            note="网格员补录：已上门了解情况", data={}))
    await world.db.flush()
    view = await world.view("chair", topic)
    assert [h["action"] for h in view["history"]] == ["submit", "record_progress", "admit"]
    moments = [h["at"] for h in view["history"]]
    assert moments == sorted(moments)
