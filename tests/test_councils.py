"""Councils: created on demand, terms carry the roster over, history is kept,
composition rules speak in plain words (or block), every change is audited."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import pytest_asyncio
from litestar import Router
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from core.region_context import region_context
from core import clock
from core.app import API_PREFIX, create_app
from core.audit import verify
from core.auth.users import create_user, grant_role
from core.councils import default_rules, service
from core.councils.routes import ROUTES
from core.councils.rules import Violation, fixed_members
from core.councils.service import MemberData
from core.errors import ApiError
from core.models import AuditEntry, Council, CouncilMember, CouncilTerm, RegionPlugin
from core.plugins import PluginManifest, hookimpl
from core.builtin import builtin_plugins, make_plugin_manager
from core.runtime import Runtime
from tests.helpers import SMALL_TREE, add_regions

pytestmark = pytest.mark.asyncio

COMMUNITY = "620502001001"  # 进步巷社区, Tianshui
STREET = "620502001"
NINGBO_COMMUNITY = "330203001001"
PASSWORD = "council-test-pw"


class TianshuiRules:
    """A regional plugin as Tianshui would write it (seed 000): 20–30 fixed
    members (a remark), community cadres at most half of them (blocking)."""

    @hookimpl
    def yishi_manifest(self):
        return PluginManifest(name="tianshui_council", title_zh="天水议事会组成", title_en="Tianshui composition")

    @hookimpl
    def yishi_council_composition_rules(self, council, roster):
        if council.kind != "community":
            return []
        fixed = fixed_members(roster)
        found = []
        if len(fixed) < 20:
            found.append(Violation("tianshui.fixed_min", f"固定成员 {len(fixed)} 人，少于 20 人",
                                   f"{len(fixed)} fixed members, fewer than 20"))
        cadres = sum(1 for m in fixed if m.is_cadre)
        if fixed and cadres * 2 > len(fixed):
            found.append(Violation("tianshui.cadre_half", f"社区干部 {cadres} 人，超过固定成员半数",
                                   f"{cadres} cadres, more than half of the fixed members", blocking=True))
        return found


@pytest.fixture
def plugin_host():
    extra = [TianshuiRules()]
    if default_rules not in builtin_plugins():
        extra.append(default_rules)
    return make_plugin_manager(extra_plugins=extra)


@pytest.fixture(autouse=True)
def _fixed_today():
    # 2024-06-01 10:00 in Beijing.
    clock.set_now(datetime(2024, 6, 1, 2, 0, tzinfo=timezone.utc))


@pytest_asyncio.fixture
async def tree(db):
    await add_regions(db, *SMALL_TREE)
    db.add(RegionPlugin(region_code="6205", plugin="tianshui_council", enabled=True))
    await db.commit()


def member(name: str, category: str, **kw) -> MemberData:
    return MemberData(name=name, category=category, **kw)


async def hooks(db, runtime, code=COMMUNITY):
    return await region_context(db, runtime.plugins, code)


async def audit_actions(db) -> list[str]:
    # Role grants made while arranging the test are audited too; these tests look at council changes.
    return list(await db.scalars(select(AuditEntry.action).where(AuditEntry.action.like("council.%"))
                                 .order_by(AuditEntry.id)))


# -- the service ----------------------------------------------------------------

async def test_council_is_created_on_demand_once(db, tree):
    assert await service.get_council(db, COMMUNITY) is None
    council = await service.ensure_council(db, COMMUNITY, actor="cli")
    again = await service.ensure_council(db, COMMUNITY, actor="cli")
    await db.commit()
    assert again.id == council.id
    assert (council.kind, council.name) == ("community", "进步巷社区协商议事会")
    street = await service.ensure_council(db, STREET)
    district = await service.ensure_council(db, "620502")  # for escalated matters
    assert (street.kind, district.kind) == ("street", "district")
    await db.commit()
    assert await db.scalar(select(func.count()).select_from(Council)) == 3
    assert await audit_actions(db) == ["council.create"] * 3


async def test_first_member_opens_the_first_term(db, tree, runtime):
    council = await service.ensure_council(db, COMMUNITY)
    change = await service.add_member(db, council, member("张书记", "party_secretary", role_in_council="chair"),
                                      context=await hooks(db, runtime))
    await db.commit()
    assert change.term.number == 1 and change.term.starts_on == date(2024, 6, 1)
    assert [m.name for m in await service.roster(db, change.term)] == ["张书记"]


async def test_new_term_copies_the_roster_of_members_still_serving(db, tree, runtime):
    h = await hooks(db, runtime)
    council = await service.ensure_council(db, COMMUNITY)
    await service.start_term(db, council, date(2021, 3, 1), date(2024, 2, 29), context=h)
    a = (await service.add_member(db, council, member("甲", "party_secretary", joined_on=date(2021, 3, 1)),
                                  context=h)).member
    b = (await service.add_member(db, council, member("乙", "legal_worker", joined_on=date(2021, 3, 1),
                                                      grid="第三网格"), context=h)).member
    c = (await service.add_member(db, council, member("丙", "resident", joined_on=date(2022, 1, 1)),
                                  context=h)).member
    await service.member_leaves(db, council, c.id, date(2023, 5, 1), context=h)
    change = await service.start_term(db, council, date(2024, 3, 1), date(2027, 2, 28), context=h)
    await db.commit()

    new_term = change.term
    assert new_term.number == 2
    carried = await service.roster(db, new_term)
    assert sorted(m.name for m in carried) == ["乙", "甲"]
    assert {m.carried_from_id for m in carried} == {a.id, b.id}
    assert all(m.joined_on == date(2024, 3, 1) for m in carried)
    assert next(m for m in carried if m.name == "乙").grid == "第三网格"
    # The old term is untouched: three people sat in it, and its roster on a past day is as it was.
    old_term = (await service.list_terms(db, council))[0]
    assert len(await service.term_members(db, old_term)) == 3
    assert sorted(m.name for m in await service.roster(db, old_term, date(2022, 6, 1))) == ["丙", "乙", "甲"]
    # Today falls in term 2.
    assert (await service.current_term(db, council)).id == new_term.id


async def test_open_previous_term_is_closed_the_day_before(db, tree, runtime):
    h = await hooks(db, runtime)
    council = await service.ensure_council(db, COMMUNITY)
    first = (await service.start_term(db, council, date(2021, 3, 1), context=h)).term
    await service.start_term(db, council, date(2024, 3, 1), context=h)
    await db.commit()
    assert first.ends_on == date(2024, 2, 29)
    assert "council.term.close" in await audit_actions(db)


async def test_term_dates_are_checked(db, tree, runtime):
    h = await hooks(db, runtime)
    council = await service.ensure_council(db, COMMUNITY)
    await service.start_term(db, council, date(2024, 3, 1), context=h)
    with pytest.raises(ApiError) as err:
        await service.start_term(db, council, date(2024, 1, 1), context=h)
    assert err.value.status_code == 400 and err.value.fields[0].field == "starts_on"
    with pytest.raises(ApiError) as err:
        await service.start_term(db, council, date(2025, 1, 1), date(2024, 12, 1), context=h)
    assert err.value.fields[0].field == "ends_on"


async def test_leaving_member_keeps_history_and_leaves_the_current_roster(db, tree, runtime):
    h = await hooks(db, runtime)
    council = await service.ensure_council(db, COMMUNITY)
    stay = (await service.add_member(db, council, member("李主任", "residents_committee",
                                                         is_residents_committee_director=True), context=h)).member
    go = (await service.add_member(db, council, member("王律师", "legal_worker"), context=h)).member
    change = await service.member_leaves(db, council, go.id, context=h, notes="工作调动")
    await db.commit()
    assert [m.id for m in await service.roster(db, change.term)] == [stay.id]
    history = await service.term_members(db, change.term)
    assert {m.id: m.left_on for m in history} == {stay.id: None, go.id: date(2024, 6, 1)}
    assert "工作调动" in (await db.get(CouncilMember, go.id)).notes
    with pytest.raises(ApiError) as err:
        await service.member_leaves(db, council, go.id, context=h)
    assert err.value.status_code == 409


async def test_default_rule_names_missing_categories_in_chinese(db, tree, runtime):
    h = await hooks(db, runtime)
    council = await service.ensure_council(db, COMMUNITY)
    change = await service.add_member(db, council, member("赵代表", "deputies", is_cppcc=True), context=h)
    by_rule = {v.rule_id: v for v in change.violations}
    assert by_rule["council_rules.party_secretary"].message_zh == "缺少“1”：党组织书记未列为议事会成员"
    missing = by_rule["council_rules.fixed_categories"]
    assert missing.message_zh.startswith("七类固定成员缺少 6 类：党组织班子代表、")
    assert "两代表一委员" not in missing.message_zh and "法律工作者" in missing.message_zh
    assert by_rule["tianshui.fixed_min"].message_zh == "固定成员 1 人，少于 20 人"
    assert not any(v.blocking for v in change.violations)


async def test_regional_rule_applies_only_where_enabled(db, tree, runtime):
    council = await service.ensure_council(db, NINGBO_COMMUNITY)
    change = await service.add_member(db, council, member("钱书记", "party_secretary"),
                                      context=await hooks(db, runtime, NINGBO_COMMUNITY))
    assert {v.rule_id for v in change.violations} == {"council_rules.fixed_categories"}


async def test_complete_council_has_no_default_remarks(db, tree, runtime):
    h = await hooks(db, runtime, NINGBO_COMMUNITY)
    council = await service.ensure_council(db, NINGBO_COMMUNITY)
    for i, category in enumerate(["party_secretary", "party_committee", "residents_committee",
                                  "supervisory_committee", "deputies", "legal_worker", "organisation",
                                  "resident", "expert"]):
        change = await service.add_member(db, council, member(f"成员{i}", category), context=h)
    assert change.violations == []


async def test_blocking_rule_refuses_and_saves_nothing(db, tree, runtime):
    h = await hooks(db, runtime)
    council = await service.ensure_council(db, COMMUNITY)
    await service.add_member(db, council, member("居民甲", "resident"), context=h)
    await service.add_member(db, council, member("书记", "party_secretary", is_cadre=True), context=h)
    await db.commit()
    entries_before = await db.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(ApiError) as err:
        await service.add_member(db, council, member("委员", "residents_committee", is_cadre=True), context=h)
    assert err.value.status_code == 409
    assert err.value.message_zh == "议事会组成不符合规定：社区干部 2 人，超过固定成员半数"
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(CouncilMember)) == 2
    assert await db.scalar(select(func.count()).select_from(AuditEntry)) == entries_before


async def test_blocking_rule_already_broken_does_not_stop_repairs(db, tree, runtime):
    council = await service.ensure_council(db, COMMUNITY)
    plain = await hooks(db, runtime, NINGBO_COMMUNITY)  # Tianshui's rule off: build a roster that breaks it
    await service.add_member(db, council, member("书记", "party_secretary", is_cadre=True), context=plain)
    second = (await service.add_member(db, council, member("干部", "party_committee", is_cadre=True),
                                       context=plain)).member
    h = await hooks(db, runtime)
    change = await service.add_member(db, council, member("居民", "resident"), context=h)
    assert any(v.rule_id == "tianshui.cadre_half" for v in change.violations)
    change = await service.member_leaves(db, council, second.id, context=h)
    assert not any(v.rule_id == "tianshui.cadre_half" for v in change.violations)


async def test_member_input_is_checked_field_by_field(db, tree, runtime):
    council = await service.ensure_council(db, COMMUNITY)
    with pytest.raises(ApiError) as err:
        await service.add_member(db, council, member("某人", "mayor", role_in_council="boss", user_id=999),
                                 context=await hooks(db, runtime))
    assert err.value.status_code == 400
    assert [f.field for f in err.value.fields] == ["category", "role_in_council", "user_id"]
    assert "未知成员类别“mayor”" in err.value.fields[0].message_zh


async def test_every_change_is_audited_with_before_and_after(db, tree, runtime):
    h = await hooks(db, runtime)
    user = await create_user(db, "chair_zhang", PASSWORD, "张主任")
    council = await service.ensure_council(db, COMMUNITY, actor=user)
    await service.update_council(db, council, actor=user, venue="社区二楼议事厅")
    added = (await service.add_member(db, council, member("孙", "resident", user_id=user.id), actor=user,
                                      context=h)).member
    await service.update_member(db, council, added.id, member("孙", "resident", grid="一网格", user_id=user.id),
                                actor=user, context=h)
    await service.member_leaves(db, council, added.id, actor=user, context=h)
    await service.start_term(db, council, date(2024, 9, 1), context=h, actor=user)
    await db.commit()
    rows = (await db.scalars(select(AuditEntry).where(AuditEntry.action.like("council.%"))
                            .order_by(AuditEntry.id))).all()
    assert [r.action for r in rows] == ["council.create", "council.update", "council.term.start",
                                        "council.member.add", "council.member.update", "council.member.leave",
                                        "council.term.close", "council.term.start"]
    assert {r.actor_user_id for r in rows} == {user.id}
    assert all(r.region_code == COMMUNITY for r in rows)
    assert rows[1].before["venue"] == "" and rows[1].after["venue"] == "社区二楼议事厅"
    assert rows[4].before["grid"] == "" and rows[4].after["grid"] == "一网格"
    assert rows[5].before["left_on"] is None and rows[5].after["left_on"] == "2024-06-01"
    assert (await verify(db)).ok


# -- over HTTP --------------------------------------------------------------------

@pytest_asyncio.fixture
async def client(runtime, tree):
    # The test client runs the app on its own loop; asyncpg connections stay
    # on the loop that opened them, so the app gets its own engine.
    app = create_app(Runtime.build(runtime.config, plugins=runtime.plugins))
    if not any(r.path.startswith(f"{API_PREFIX}/regions/{{code:str}}/council") for r in app.routes):
        # Until core.app mounts the council routes itself.
        app.register(Router(path=API_PREFIX, route_handlers=ROUTES))
    async with AsyncTestClient(app=app) as c:
        yield c


async def login_as(db, client, username: str, role: str, region: str) -> dict:
    user = await create_user(db, username, PASSWORD)
    await grant_role(db, user, role, region)
    await db.commit()
    answer = await client.post(f"{API_PREFIX}/auth/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.cookies.clear()  # authenticate by header only
    return {"Authorization": f"Bearer {answer.json()['token']}"}


async def test_http_council_lifecycle(db, client):
    staff = await login_as(db, client, "dacheng_staff", "street_staff", STREET)
    url = f"{API_PREFIX}/regions/{COMMUNITY}/council"

    shown = (await client.get(url, headers=staff)).json()
    assert shown["council"]["exists"] is False and shown["council"]["name"] == "进步巷社区协商议事会"
    assert await db.scalar(select(func.count()).select_from(Council)) == 0

    answer = await client.put(url, json={"venue": "进步巷社区议事厅"}, headers=staff)
    assert answer.status_code == 200, answer.text
    assert answer.json()["council"]["venue"] == "进步巷社区议事厅"

    answer = await client.post(f"{url}/terms", json={"starts_on": "2024-01-01", "ends_on": "2026-12-31"},
                               headers=staff)
    assert answer.status_code == 201, answer.text

    answer = await client.post(f"{url}/members", headers=staff, json={
        "name": "张书记", "category": "party_secretary", "role_in_council": "chair", "joined_on": "2024-01-01"})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    chair_id = body["member"]["id"]
    assert body["member"]["category_zh"] == "党组织书记"
    remarks = [v["message_zh"] for v in body["violations"]]
    assert "固定成员 1 人，少于 20 人" in remarks

    answer = await client.post(f"{url}/members", headers=staff, json={"name": "刘", "category": "resident",
                                                                       "grid": "二网格"})
    resident_id = answer.json()["member"]["id"]
    answer = await client.post(f"{url}/members/{resident_id}/leave", headers=staff, json={})
    assert answer.status_code == 200, answer.text
    assert [m["id"] for m in answer.json()["roster"]] == [chair_id]

    listed = (await client.get(f"{url}/members", headers=staff, params={"history": "true"})).json()
    assert {m["id"]: m["left_on"] for m in listed["members"]} == {chair_id: None, resident_id: "2024-06-01"}
    current = (await client.get(f"{url}/members", headers=staff)).json()
    assert [m["id"] for m in current["members"]] == [chair_id]

    shown = (await client.get(url, headers=staff)).json()
    assert shown["council"]["exists"] is True and shown["term"]["number"] == 1
    assert [m["name"] for m in shown["roster"]] == ["张书记"]
    assert any(v["message_zh"] == "固定成员 1 人，少于 20 人" for v in shown["violations"])

    actions = await audit_actions(db)
    assert actions == ["council.create", "council.update", "council.term.start", "council.member.add",
                       "council.member.add", "council.member.leave"]
    assert (await verify(db)).ok


async def test_http_blocking_rule_is_409_and_nothing_saved(db, client):
    staff = await login_as(db, client, "dacheng_staff2", "street_staff", STREET)
    url = f"{API_PREFIX}/regions/{COMMUNITY}/council/members"
    for body in ({"name": "居民", "category": "resident"},
                 {"name": "书记", "category": "party_secretary", "is_cadre": True}):
        first = await client.post(url, headers=staff, json=body)
        assert first.status_code == 201, first.text
    entries = await db.scalar(select(func.count()).select_from(AuditEntry))
    answer = await client.post(url, headers=staff, json={"name": "主任", "category": "residents_committee",
                                                         "is_cadre": True})
    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "council_composition"
    assert "社区干部 2 人，超过固定成员半数" in error["message_zh"]
    assert await db.scalar(select(func.count()).select_from(CouncilMember)) == 2
    assert await db.scalar(select(func.count()).select_from(AuditEntry)) == entries


async def test_http_bad_input_is_400_field_level(db, client):
    staff = await login_as(db, client, "dacheng_staff3", "street_staff", STREET)
    url = f"{API_PREFIX}/regions/{COMMUNITY}/council/members"
    answer = await client.post(url, headers=staff, json={"name": "某", "category": "nobody"})
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"][0]["field"] == "category"
    answer = await client.post(url, headers=staff, json={"category": "resident"})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "validation_failed"
    answer = await client.post(f"{url}/12345/leave", headers=staff, json={})
    assert answer.status_code == 404


async def test_http_access_follows_grants(db, client):
    member_headers = await login_as(db, client, "jinbu_member", "council_member", COMMUNITY)
    url = f"{API_PREFIX}/regions/{COMMUNITY}/council"
    assert (await client.get(url, headers=member_headers)).status_code == 200
    refused = await client.post(f"{url}/members", headers=member_headers,
                                json={"name": "某", "category": "resident"})
    assert refused.status_code == 403
    other_city = await client.get(f"{API_PREFIX}/regions/{NINGBO_COMMUNITY}/council", headers=member_headers)
    assert other_city.status_code == 404
    assert (await client.get(url)).status_code == 401
    assert await db.scalar(select(func.count()).select_from(CouncilTerm)) == 0


# -- nomination and the party organisation's confirmation (000 §四(二), 004 §一) ----------

FULL_COUNCIL = [("party_secretary", ""), ("party_committee", "party_committee"),
                ("residents_committee", "democratic"), ("supervisory_committee", "democratic"),
                ("deputies", "party_committee"), ("legal_worker", "democratic"), ("organisation", "democratic"),
                ("resident", "grid")]


async def seat_full_council(db, council, h, joined_on=None):
    for i, (category, nominated_by) in enumerate(FULL_COUNCIL):
        await service.add_member(db, council, member(
            f"成员{i}", category, nominated_by=nominated_by, grid="第一网格" if nominated_by == "grid" else "",
            joined_on=joined_on), context=h)


async def rule_ids(db, council, h) -> set[str]:
    return {v.rule_id for v in await service.check_composition(db, council, h)}


async def test_a_roster_not_confirmed_fails_composition_until_the_party_confirms_it(db, tree, runtime):
    h = await hooks(db, runtime, NINGBO_COMMUNITY)
    council = await service.ensure_council(db, NINGBO_COMMUNITY)
    await seat_full_council(db, council, h)
    violations = await service.check_composition(db, council, h)
    # Every category of 1+7 is there, but nobody has confirmed the list.
    assert [v.rule_id for v in violations] == ["council.unconfirmed"]
    assert violations[0].message_zh.startswith("固定成员名单未经党组织确认（8 人待确认：成员0、")

    term = await service.current_term(db, council)
    confirmed = await service.confirm_list(db, council, service.Confirmation(
        confirmed_by="白鹤社区党委", confirmed_on=date(2024, 6, 1)), actor="cli")
    await db.commit()
    assert len(confirmed) == 8
    assert await service.check_composition(db, council, h) == []
    rows = await service.roster(db, term)
    assert {(m.confirmed_on, m.confirmed_by) for m in rows} == {(date(2024, 6, 1), "白鹤社区党委")}
    assert "council.roster.confirm" in await audit_actions(db)

    # A member seated after the confirmation waits for the next one.
    await service.add_member(db, council, member("新成员", "resident", nominated_by="grid", grid="第一网格"),
                             context=h)
    assert await rule_ids(db, council, h) == {"council.unconfirmed"}


async def test_the_list_cannot_be_confirmed_while_a_nomination_is_not_recorded(db, tree, runtime):
    h = await hooks(db, runtime, NINGBO_COMMUNITY)
    council = await service.ensure_council(db, NINGBO_COMMUNITY)
    await seat_full_council(db, council, h)
    await service.add_member(db, council, member("未推荐", "legal_worker"), context=h)
    await db.commit()
    with pytest.raises(ApiError) as err:
        await service.confirm_list(db, council, service.Confirmation(confirmed_by="白鹤社区党委"), actor="cli")
    assert err.value.status_code == 409 and "未推荐" in err.value.message_zh
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(CouncilMember)
                           .where(CouncilMember.confirmed_on.is_not(None))) == 0


async def test_a_grid_with_no_nominee_is_named(db, tree, runtime):
    h = await hooks(db, runtime, NINGBO_COMMUNITY)
    council = await service.ensure_council(db, NINGBO_COMMUNITY)
    await service.update_council(db, council, actor="cli", grids=["第一网格", "第二网格", "第三网格"])
    await seat_full_council(db, council, h)  # its resident comes from 第一网格
    # A resident who only lives in 第三网格 was not nominated by it.
    await service.add_member(db, council, member("李", "resident", nominated_by="democratic", grid="第三网格"),
                             context=h)
    by_rule = {v.rule_id: v for v in await service.check_composition(db, council, h)}
    assert by_rule["council.grid_without_nominee"].message_zh == \
        "以下网格尚未推荐议事会成员（每个网格推荐1-2名）：第二网格、第三网格"
    await service.add_member(db, council, member("王", "resident", nominated_by="grid", grid="第二网格"), context=h)
    await service.add_member(db, council, member("周", "resident", nominated_by="grid", grid="第三网格"), context=h)
    assert "council.grid_without_nominee" not in await rule_ids(db, council, h)


async def test_a_new_term_carries_members_over_to_be_confirmed_again(db, tree, runtime):
    h = await hooks(db, runtime, NINGBO_COMMUNITY)
    council = await service.ensure_council(db, NINGBO_COMMUNITY)
    await service.start_term(db, council, date(2021, 3, 1), date(2024, 2, 29), context=h)
    await seat_full_council(db, council, h, joined_on=date(2021, 3, 1))
    old_term = await service.current_term(db, council, date(2022, 1, 1))
    clock.set_now(datetime(2021, 3, 10, 2, 0, tzinfo=timezone.utc))
    await service.confirm_list(db, council, service.Confirmation(confirmed_by="白鹤社区党委"), actor="cli")
    clock.set_now(datetime(2024, 6, 1, 2, 0, tzinfo=timezone.utc))

    await service.start_term(db, council, date(2024, 3, 1), context=h)  # after the residents' committee election
    await db.commit()
    new_rows = await service.roster(db, await service.current_term(db, council))
    assert len(new_rows) == 8 and all(m.confirmed_on is None and m.carried_from_id for m in new_rows)
    assert {m.nominated_by for m in new_rows} == {"", "party_committee", "democratic", "grid"}
    assert await rule_ids(db, council, h) == {"council.unconfirmed"}
    # The old term's list stays as it was confirmed.
    assert all(m.confirmed_on == date(2021, 3, 10) for m in await service.term_members(db, old_term))

    await service.confirm_list(db, council, service.Confirmation(confirmed_by="白鹤社区党委"), actor="cli")
    assert await rule_ids(db, council, h) == set()


async def test_http_confirmation_and_nomination_input_is_checked_field_by_field(db, client):
    staff = await login_as(db, client, "dacheng_staff_confirm", "street_staff", STREET)
    url = f"{API_PREFIX}/regions/{COMMUNITY}/council"
    answer = await client.post(f"{url}/members", headers=staff, json={
        "name": "刘", "category": "resident", "nominated_by": "grid"})
    assert answer.status_code == 400 and answer.json()["error"]["fields"][0]["field"] == "grid"
    answer = await client.post(f"{url}/members", headers=staff, json={
        "name": "刘", "category": "resident", "nominated_by": "lottery"})
    assert answer.status_code == 400 and answer.json()["error"]["fields"][0]["field"] == "nominated_by"
    answer = await client.post(f"{url}/members", headers=staff, json={
        "name": "刘", "category": "resident", "nominated_by": "grid", "grid": "二网格"})
    assert answer.status_code == 201, answer.text
    shown = (await client.get(url, headers=staff)).json()
    assert shown["confirmation"] == {"confirmed": False, "fixed_members": 1, "awaiting": 1,
                                     "last_confirmed_on": None, "last_confirmed_by": ""}

    for body, field in (({"confirmed_by": " "}, "confirmed_by"),
                        ({"confirmed_by": "进步巷社区党委", "confirmed_on": "2030-01-01"}, "confirmed_on")):
        answer = await client.post(f"{url}/confirmations", headers=staff, json=body)
        assert answer.status_code == 400 and answer.json()["error"]["fields"][0]["field"] == field, answer.text
    answer = await client.post(f"{url}/confirmations", headers=staff, json={"confirmed_by": "进步巷社区党委"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["confirmation"]["confirmed"] is True
    assert answer.json()["roster"][0]["confirmed_by"] == "进步巷社区党委"
    answer = await client.post(f"{url}/confirmations", headers=staff, json={"confirmed_by": "进步巷社区党委"})
    assert answer.status_code == 409
    public = (await client.get(f"{API_PREFIX}/public/regions/{COMMUNITY}/council")).json()
    assert public["members"][0]["confirmed"] is True


# -- CPPCC members placed in the councils (003 §三, 002) -----------------------------------------

async def test_the_placement_report_counts_each_committees_members_once_and_names_councils_without(
        db, client, runtime):
    from core.models import RegionSetting

    db.add_all([RegionSetting(region_code="3302", key="core.cppcc_members", value=5),
                RegionSetting(region_code="330203", key="core.cppcc_members", value=3)])
    for code, members in (("330203001001", [("甲委员", "city"), ("乙委员", "district")]),
                          # A city member placed by locality in a second council is one member placed.
                          ("330203002001", [("甲委员", "city")]),
                          ("330205001001", [("丙委员", "district")]),
                          ("330203001002", [])):
        council = await service.ensure_council(db, code)
        h = await hooks(db, runtime, code)
        await service.add_member(db, council, member("书记", "party_secretary"), context=h)
        for name, level in members:
            await service.add_member(db, council, member(name, "deputies", is_cppcc=True, cppcc_level=level),
                                     context=h)
    await db.commit()
    city = await login_as(db, client, "ningbo_city_cppcc", "city_admin", "3302")
    report = (await client.get(f"{API_PREFIX}/regions/3302/cppcc-placement", headers=city)).json()
    assert report["committee"] == {"level": "city", "level_zh": "市政协委员", "level_en": "member of the city CPPCC",
                                   "placed": 1, "total": 5, "unplaced": 4}
    by_district = {d["code"]: d["committee"] for d in report["districts"]}
    assert (by_district["330203"]["placed"], by_district["330203"]["total"]) == (1, 3)
    # 江北区 sets no size of its committee: placed, total not recorded.
    assert (by_district["330205"]["placed"], by_district["330205"]["total"]) == (1, None)
    assert (report["councils"], report["councils_without_cppcc"]) == (4, 1)
    assert [c["code"] for c in report["without"]["items"]] == ["330203001002"]

    district = await login_as(db, client, "haishu_cppcc", "district_admin", "330203")
    mine = (await client.get(f"{API_PREFIX}/regions/330203/cppcc-placement", headers=district)).json()
    assert mine["committee"]["placed"] == 1 and "districts" not in mine
    assert (await client.get(f"{API_PREFIX}/regions/330205/cppcc-placement", headers=district)).status_code == 404
    street = (await client.get(f"{API_PREFIX}/regions/330203001/cppcc-placement", headers=district))
    assert street.status_code == 400 and street.json()["error"]["fields"][0]["field"] == "code"
    bad = await client.post(f"{API_PREFIX}/regions/330203001002/council/members", headers=district, json={
        "name": "丁", "category": "resident", "cppcc_level": "city"})
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "cppcc_level"
