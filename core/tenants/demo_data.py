"""Demo data for a demo city: councils, members, documents, meetings and topics
at every step of the region's own procedure.

Everything is made through the services a user's request goes through
(composition rules, the procedure engine, the consultation, notice and
implementation plugins, the audit chain), acting as one seeding account per
city, with the platform clock moved through the past weeks so histories,
notice periods and deadlines read like real ones. The choices (which
streets, names, titles, how far each topic has got) come from a
``random.Random`` seeded by the tenant file, so every run makes the same demo.
A city is seeded once: loading its tenant file again adds nothing.
"""
from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core import clock
from core.asyncutil import await_each
from core.attachments.service import store
from core.auth.users import create_user
from core.authz.enforcer import Authorizer
from core.authz.principal import Principal
from core.authz.roles import Role
from core.catalogue import ADMISSIBLE, EXCLUDED
from core.consultation import service as consultation
from core.councils import service as councils
from core.councils.categories import is_fixed
from core.councils.nominations import party_organisation_name
from core.councils.service import DocumentData, MemberData
from core.implementation import service as implementation
from core.models import Region, Topic, User
from core.models.consultation import Meeting, MeetingTopic, Vote
from core.models.implementation import Task
from core.notices import service as notices
from core.plugins import PluginHost
from core.procedures.model import Action, Procedure
from core.procedures.registry import procedure_registry
from core.region_context import RegionContext, region_context
from core.topics import service as topics
from core.topics import transitions

SEEDER_NAME = "演示数据"
# The council's term, aligned with the residents' committees elected in 2026 (five years).
TERM_STARTS = date(2026, 1, 1)
TERM_ENDS = date(2030, 12, 31)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰玉华建国志红文斌春梅海燕波宁鹏飞"

# (title, description): matters communities bring, for the topics' titles.
MATTERS = [
    ("老旧小区加装电梯", "3 号楼居民多为老人，上下楼困难，希望加装电梯并商定费用分摊。"),
    ("小区夜间路灯不亮", "小区东门至 5 号楼路段路灯损坏多日，夜间出行不便。"),
    ("楼道杂物堆放清理", "部分楼道长期堆放杂物，存在消防隐患。"),
    ("电动自行车集中充电棚建设", "居民在楼道内充电，安全隐患大，需要建设集中充电棚。"),
    ("垃圾分类投放点调整", "现有投放点离住户太近，夏季异味明显。"),
    ("社区老年食堂开办", "独居老人较多，希望开办老年助餐点。"),
    ("停车位划分与收费", "小区停车位紧张，需要协商车位划分和收费办法。"),
    ("广场舞噪音扰民", "晚间广场舞音量过大，影响周边居民休息。"),
    ("小区绿化改造", "部分绿地被占用种菜，需统一规划改造。"),
    ("雨污管网改造", "雨季小区积水严重，需要改造雨污管网。"),
    ("物业服务费调整", "物业公司提出调整服务费，需与业主协商。"),
    ("居民公约修订", "现行居民公约制定较早，需结合新情况修订。"),
]
# The generic steps anchor() finds in any procedure by what their actions do.
GENERIC_PARTS = ("collect", "confirm", "research", "consult", "publicize", "implement")
# How far each council's demo topics get: a target (a step's position in the
# procedure, or an end) and how many days ago the story starts.
SCENARIOS = [
    ("closed", 70), ("implement", 45), ("publicize", 4), ("consult", 6), ("research", 8),
    ("confirm", 3), ("collect", 1), ("rejected", 12),
]
# How often a topic's walk is started earlier before the seeder gives up (see _Seeder.topic).
MAX_WALK_ATTEMPTS = 6
# Every criterion of the topic-selection standard an admission confirms where a region asks for it
# (004 切口小、立意高、关联广, plugins/four_visits_six_steps); a region that asks for none ignores it.
SELECTION_CRITERIA = ("small_entry", "high_aim", "wide_links")
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)

# Guards the seeder satisfies before the action that waits for them (see _prepare).
PREPARED_GUARDS = frozenset({"research_recorded", "notice_period_over", "tasks_done"})
SEEDER_ROLES = (Role.council_chair, Role.council_secretary, Role.council_member, Role.cppcc_member,
                Role.supervisor)


@dataclass(frozen=True)
class DemoSpec:
    """The ``[demo]`` table of a tenant file."""

    seed: int
    districts: int = 2
    communities_per_street: int = 2


@dataclass
class DemoReport:
    councils: list[str] = field(default_factory=list)
    members: int = 0
    topics: int = 0
    skipped: bool = False

    def summary_line(self) -> str:
        if self.skipped:
            return "演示数据 demo data: 已存在 already seeded"
        return (f"演示数据 demo data: {len(self.councils)} 个议事会 councils, {self.members} 名成员 members, "
                f"{self.topics} 个议题 topics")


def seeder_username(city_code: str) -> str:
    return f"demo_seed_{city_code}"


def anchor(procedure: Procedure, target: str) -> str | None:
    """The step of ``procedure`` that plays the part of the generic step
    ``target`` (or an end, ``closed`` / ``rejected``), found by what its
    actions do, so a regional procedure with its own steps gets the same story."""
    if target in ("closed", "rejected") or target not in GENERIC_PARTS:
        return target

    def holding(kind: str) -> str | None:
        return next((s.key for s in procedure.steps if any(a.kind == kind for a in s.actions)), None)

    def after(kind: str) -> str | None:
        return next((a.to_step for s in procedure.steps for a in s.actions if a.kind == kind and a.to_step), None)

    found = {
        "collect": procedure.initial_step,
        "confirm": after("screen_admit"),
        "research": holding("research"),
        "consult": holding("resolution"),
        "publicize": after("resolution"),
        "implement": next((s.key for s in procedure.steps
                           if any(g.name == "tasks_done" for a in s.actions for g in a.guards)), None),
    }.get(target)
    # The confirm anchor is only a step of its own when admission does not lead straight to research.
    if target == "confirm" and found == holding("research"):
        return None
    return found


class _Names:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def person(self) -> str:
        while True:
            name = self.rng.choice(SURNAMES) + "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))
            if name not in self.used:
                self.used.add(name)
                return name


# How each kind of fixed member is put forward in the demo (000 §四(二): the
# residents' representatives by their grids, the rest by the party committee
# or democratic recommendation).
_NOMINATED_BY = {"party_committee": "party_committee", "deputies": "party_committee",
                 "residents_committee": "democratic", "supervisory_committee": "democratic",
                 "legal_worker": "democratic", "organisation": "democratic", "resident": "grid"}
DEMO_GRIDS = [f"第{grid}网格" for grid in range(1, 5)]


def _member(names: _Names, category: str, **kw: Any) -> MemberData:
    nominated_by = _NOMINATED_BY.get(category, "")
    if nominated_by == "grid" and not kw.get("grid"):
        # A street council's residents' representatives have no grid of their own.
        nominated_by = "democratic"
    return MemberData(name=names.person(), category=category, joined_on=TERM_STARTS, nominated_by=nominated_by,
                      **kw)


def _community_roster(names: _Names) -> list[MemberData]:
    """22 fixed members that meet every regional rule at once: the "1" and the
    seven kinds, 20–30 of them, cadres at most half, two residents' reps per
    grid, both directors, three CPPCC members with one designated head."""
    def m(category: str, **kw: Any) -> MemberData:
        return _member(names, category, **kw)

    roster = [m("party_secretary", is_cadre=True, role_in_council="chair"),
              m("party_committee", is_cadre=True), m("party_committee", is_cadre=True),
              m("residents_committee", is_cadre=True, is_residents_committee_director=True),
              m("residents_committee", is_cadre=True, role_in_council="secretary"),
              m("residents_committee", is_cadre=True),
              m("supervisory_committee", is_cadre=True, is_supervisory_director=True),
              m("supervisory_committee"),
              m("deputies", is_cppcc=True, role_in_council="head"), m("deputies", is_cppcc=True),
              m("deputies", is_cppcc=True),
              m("legal_worker"), m("organisation"), m("organisation")]
    roster += [m("resident", grid=grid) for grid in DEMO_GRIDS for _ in range(2)]
    return roster


def _street_roster(names: _Names) -> list[MemberData]:
    def m(category: str, **kw: Any) -> MemberData:
        return _member(names, category, **kw)

    return [m("party_committee", is_cadre=True, role_in_council="first_convenor",
              notes="街道党工委副书记"),
            m("deputies", is_cppcc=True, role_in_council="second_convenor"),
            m("deputies", is_cppcc=True, role_in_council="head"), m("deputies", is_cppcc=True),
            m("party_committee"), m("resident"), m("resident"), m("organisation", notes="辖区企业代表"),
            m("department", notes="街道城管科"), m("legal_worker")]


class _Seeder:
    def __init__(self, session: AsyncSession, plugins: PluginHost, upload_dir, principal: Principal,
                 authorizer: Authorizer, rng: random.Random):
        self.session = session
        self.plugins = plugins
        self.upload_dir = upload_dir
        self.principal = principal
        self.authorizer = authorizer
        self.rng = rng
        self.names = _Names(rng)
        self.report = DemoReport()

    async def _context(self, region_code: str) -> RegionContext:
        return await region_context(self.session, self.plugins, region_code)

    # -- councils ---------------------------------------------------------------

    async def council(self, region: Region, documents: set[str]) -> None:
        council = await councils.ensure_council(self.session, region.code, actor=self.principal)
        await councils.update_council(self.session, council, actor=self.principal,
                                      venue=f"{region.name}党群服务中心二楼协商议事厅" if "venue" in documents else "",
                                      grids=DEMO_GRIDS if region.level == "community" else [])
        context = await self._context(region.code)
        await councils.start_term(self.session, council, TERM_STARTS, TERM_ENDS, actor=self.principal,
                                  context=context)
        roster = _community_roster(self.names) if region.level == "community" else _street_roster(self.names)
        for data in roster:
            await councils.add_member(self.session, council, data, actor=self.principal, context=context)
        # The list as the party organisation confirmed it when the term began.
        await councils.confirm_list(self.session, council, councils.Confirmation(
            confirmed_by=party_organisation_name(region),
            confirmed_on=TERM_STARTS), actor=self.principal)
        self.report.members += len(roster)
        for kind in sorted(documents - {"venue"}):
            content, name = (PNG, f"{kind}.png") if kind in ("signage", "facilities") else (PDF, f"{kind}.pdf")
            attachment = await store(self.session, self.principal, region.code, content, name,
                                     upload_dir=self.upload_dir)
            await councils.file_document(self.session, council, DocumentData(kind=kind, attachment_id=attachment.id),
                                         actor=self.principal)
        self.report.councils.append(region.code)

    # -- topics -----------------------------------------------------------------

    async def topic(self, region: Region, target: str, days_ago: int, *, affected: list[str] | None = None,
                    scale: str | None = None) -> Topic | None:
        title, description = self.rng.choice(MATTERS)
        catalogue = (await self._context(region.code)).catalogue
        category = self.rng.choice(catalogue.of_kind(ADMISSIBLE)).code
        channel = self.rng.choice(("resident", "member", "assigned", "on_behalf"))
        present = clock.now()
        # A walk's length depends on the procedure's waits (plan notice, notice
        # period) and the seeded pauses between actions; one that would run past
        # the present is undone and started that much earlier, so no history is
        # dated after the demo's own clock.
        for _ in range(MAX_WALK_ATTEMPTS):
            savepoint = await self.session.begin_nested()
            with clock.frozen_at(present - timedelta(days=days_ago, hours=self.rng.randint(0, 8))):
                topic = await topics.create_topic(self.session, None, region.code, {
                    "title": title, "description": description, "category": category, "channel": channel,
                    "scale": scale or self.rng.choice(("major", "minor", "hard")),
                    "proposer_name": self.names.person(),
                    "proposer_contact": f"139{self.rng.randint(10**7, 10**8 - 1)}",
                    "affected_regions": affected or [region.code]}, plugins=self.plugins)
                goal = anchor(self._procedure(topic), target)
                if goal is not None:
                    await self._walk(topic, goal, catalogue)
                overshoot = clock.now() - present
            if overshoot <= timedelta(0):
                await savepoint.commit()
                break
            await savepoint.rollback()
            days_ago += overshoot.days + 1
        else:
            raise RuntimeError(f"demo topic towards {target!r} keeps running past the present")
        self.report.topics += 1
        return topic

    async def scenarios(self, region_code: str) -> list[tuple[str, int]]:
        """The generic stories, plus one topic left at each step of the region's
        procedure that none of them stops at (a regional procedure's own steps)."""
        procedure = (await self._context(region_code)).procedure_for_new_topic()
        covered = {anchor(procedure, target) for target, _ in SCENARIOS}
        return [*SCENARIOS, *((step.key, 10) for step in procedure.steps if step.key not in covered)]

    def _procedure(self, topic: Topic) -> Procedure:
        return procedure_registry(self.plugins).get(topic.procedure_key, topic.procedure_version)

    async def _act(self, topic: Topic, action: Action, payload: dict[str, Any]) -> None:
        clock.advance(timedelta(hours=self.rng.randint(3, 30)))
        if action.note_required and "note" not in payload:
            payload = {**payload, "note": f"{action.title_zh}（演示）"}
        await topics.perform_action(self.session, self.principal, topic.id, action.key, payload,
                                    plugins=self.plugins, authorizer=self.authorizer)

    async def _walk(self, topic: Topic, target: str, catalogue) -> None:
        """Take the procedure's forward actions until the topic reaches ``target``
        (a step key, ``closed`` or ``rejected``), doing what each guard waits for."""
        for _ in range(40):
            await self.session.refresh(topic)
            procedure = self._procedure(topic)
            if topic.status != "open" or topic.step == target:
                if topic.step == target and implementation.implementing(procedure, topic):
                    await self._implement(topic, complete=False)
                return
            step = procedure.step(topic.step)
            order = [s.key for s in procedure.steps]
            if target == "rejected":
                reject = next(a for a in step.actions if a.kind == "screen_reject")
                excluded = catalogue.of_kind(EXCLUDED)[0]
                await self._act(topic, reject, {"catalogue_item": excluded.code,
                                                "note": f"依据议事目录第 {excluded.number} 条不予协商"})
                return
            forward = [a for a in step.actions if a.to_status == "closed"
                       or (a.to_step is not None and order.index(a.to_step) > order.index(step.key))]
            if target != "closed" and target in order:
                forward = [a for a in forward if a.to_step is not None and order.index(a.to_step) <= order.index(target)] \
                    or forward
            if not forward:
                return
            action = await self._first_possible(topic, procedure, forward)
            if action is None:
                return
            await self._prepare(topic, action)
            await self._act(topic, action, await self._payload(topic, action, target))
            if action.kind == "schedule_meeting":
                # Published as soon as the meeting is set, so a region that wants the
                # plan out days ahead (Ningbo's 提前公示协商方案) gets it in time.
                await consultation.publish_plan(self.session, self.principal, await self._meeting(topic), {})

    async def _first_possible(self, topic: Topic, procedure: Procedure, forward: list[Action]) -> Action | None:
        from core.procedures import engine

        settings = (await self._context(topic.region_code)).settings
        context = transitions.engine_context(topic, settings)
        state = transitions.state_of(topic)
        roles = topics.roles_at(self.authorizer, self.principal, topic.region_code, topics.ACT)
        permitted = {o.action.key for o in engine.action_options(procedure, state, roles, context)}
        here = context.at(state)
        # Guards the seeder knows how to satisfy block nothing for good; any
        # other guard that holds the action back now (a fast track for urgent
        # topics only) does.
        for action in (a for a in forward if a.key in permitted):
            if all(g.name in PREPARED_GUARDS for g in action.guards if g.check(here) is not None):
                return action
        return None

    async def _prepare(self, topic: Topic, action: Action) -> None:
        names = {g.name for g in action.guards}
        step = self._procedure(topic).step(topic.step)
        if "research_recorded" in names and topic.counters.get("research", 0) == 0:
            research = next(a for a in step.actions if a.kind == "research")
            # Every part a region may require (consultation.research_parts): fixed members on site, when and
            # where, the feasibility and the plan.
            serving = await consultation.serving_at(self.session, topic.region_code, clock.now())
            visitors = [m.id for m in serving.values() if is_fixed(m.category)][:3]
            await self._act(topic, research, {"note": "实地走访", "method": ["site_visit", "interviews"],
                                              "findings": "走访居民 30 余户，多数支持，少数担心费用分摊。",
                                              "feasibility": "资金可由社区公益金和受益户分摊解决，施工不影响通行。",
                                              "draft_plan": "分两期实施，费用按受益户分摊，困难户减免。",
                                              **({"visitors": visitors, "visited_on": clock.today().isoformat(),
                                                  "visited_place": "小区现场"} if visitors else {})})
        if action.kind == "resolution":
            await self._vote(topic)
        if "notice_period_over" in names and topic.due_at is not None and clock.now() <= topic.due_at:
            clock.set_now(topic.due_at + timedelta(hours=2))
            for notice_id in await notices.expired_notice_ids(self.session):
                await notices.close_if_expired(self.session, notice_id)
        if "tasks_done" in names and not await self.session.scalar(
                select(Task.id).where(Task.topic_id == topic.id).limit(1)):
            await self._implement(topic, complete=True)

    async def _payload(self, topic: Topic, action: Action, target: str) -> dict[str, Any]:
        if action.kind == "screen_admit":
            return {"catalogue_item": topic.category, "selection_standard": list(SELECTION_CRITERIA)}
        if action.kind == "schedule_meeting":
            days = int((await self._context(topic.region_code)).setting(consultation.PLAN_NOTICE_SETTING))
            # A topic left at the meeting step shows an upcoming meeting.
            # A day and a half more than _act may move the clock before the action lands.
            lead = timedelta(days=days + (3 if target == "consult" else 0), hours=36)
            starts = (clock.now() + lead).replace(microsecond=0)
            # The "X": stakeholders and a department, invited for this topic.
            guests = [{"name": self.names.person(), "category": "stakeholder"} for _ in range(3)]
            guests.append({"name": self.names.person(), "category": "department"})
            return {"form": "meeting", "kind": "deliberation", "place": "社区协商议事厅",
                    "starts_at": starts.isoformat(), "title": f"“{topic.title}”专题协商会",
                    "plan": "介绍调研情况，听取各方意见，表决议事方案。", "participants": guests}
        if action.kind == "resolution":
            return {"note": "议事会表决通过", "form": "resolution", "responsible_party": "社区居委会",
                    "deadline": (clock.today() + timedelta(days=30)).isoformat()}
        return {}

    async def _meeting(self, topic: Topic) -> Meeting | None:
        return await self.session.scalar(
            select(Meeting).join(MeetingTopic, MeetingTopic.meeting_id == Meeting.id)
            .where(MeetingTopic.topic_id == topic.id).order_by(Meeting.id.desc()).limit(1))

    async def _vote(self, topic: Topic) -> None:
        meeting = await self._meeting(topic)
        if meeting is None or await self.session.scalar(
                select(Vote.id).where(Vote.topic_id == topic.id, Vote.passed.is_(True))) is not None:
            return
        meeting_context = await self._context(meeting.region_code)
        days = int(meeting_context.setting(consultation.PLAN_NOTICE_SETTING))
        clock.set_now(max(clock.now(), meeting.starts_at + timedelta(minutes=30)))
        serving = await consultation.serving_members(self.session, meeting)
        fixed = [m.id for m in serving.values() if is_fixed(m.category)]
        present = fixed[: max(1, len(fixed) - self.rng.randint(0, 3))]
        await consultation.record_attendance(self.session, self.principal, meeting,
                                             {"present": [{"member_id": i} for i in present]}, plan_notice_days=days)
        ratio = float(meeting_context.setting(consultation.QUORUM_SETTING))
        against = self.rng.randint(0, 2)
        await consultation.record_vote(self.session, self.principal, meeting, {
            "topic_id": topic.id, "tallies": {"for": len(present) - against, "against": against},
            "resolution": "同意按议事方案实施"}, quorum_ratio=ratio, plan_notice_days=days)

    async def _implement(self, topic: Topic, *, complete: bool) -> None:
        task = await implementation.create_task(self.session, self.principal, topic.id, {
            "title": f"落实“{topic.title}”", "measures": "按议事决议分步实施",
            "responsible_name": "社区居委会", "deadline": (clock.today() + timedelta(days=20)).isoformat()},
            plugins=self.plugins, authorizer=self.authorizer)
        clock.advance(timedelta(days=3))
        await implementation.add_progress(self.session, self.principal, task.id,
                                          {"text": "已完成方案细化并开工", "percent": 40}, authorizer=self.authorizer)
        if not complete:
            return
        clock.advance(timedelta(days=5))
        await implementation.attach_report(self.session, self.principal, topic.id, {
            "evaluator": "市社会组织评估中心", "summary": "实施规范，居民满意度较高", "score": 88},
            plugins=self.plugins, authorizer=self.authorizer)
        await implementation.complete_task(self.session, self.principal, task.id, {"note": "已全部完成"},
                                           plugins=self.plugins, authorizer=self.authorizer)


# -- choosing the demo councils and running the seeder ------------------------------

async def _children(session: AsyncSession, code: str) -> list[Region]:
    return list(await session.scalars(select(Region).where(Region.parent_code == code).order_by(Region.code)))


async def _demo_regions(session: AsyncSession, city_code: str, demo: DemoSpec, user_regions: list[str],
                        rng: random.Random) -> dict[str, list[Region]]:
    """Streets (with some of their communities) to seed: those of the demo
    accounts, then one street in each of the first ``districts`` districts."""
    wanted: dict[str, set[str]] = {}
    for code in user_regions:
        if len(code) >= 9:
            wanted.setdefault(code[:9], set())
            if len(code) == 12:
                wanted[code[:9]].add(code)
    districts = await _children(session, city_code)
    for district in districts[: demo.districts]:
        streets = [s for s in await _children(session, district.code)]
        if streets and not any(code.startswith(district.code) for code in wanted):
            wanted.setdefault(rng.choice(streets).code, set())
    chosen: dict[str, list[Region]] = {}
    for street_code in sorted(wanted):
        communities = await _children(session, street_code)
        picked = [c for c in communities if c.code in wanted[street_code]]
        rest = [c for c in communities if c.code not in wanted[street_code]]
        picked += rest[: max(0, demo.communities_per_street - len(picked))]
        chosen[street_code] = sorted(picked, key=lambda r: r.code)
    return chosen


async def seed_city(session: AsyncSession, plugins: PluginHost, city_code: str, demo: DemoSpec,
                    user_regions: list[str], upload_dir) -> DemoReport:
    """Seed one demo city once, in the caller's transaction."""
    username = seeder_username(city_code)
    if await session.scalar(select(User.id).where(User.username == username)) is not None:
        return DemoReport(skipped=True)
    rng = random.Random(demo.seed)
    # An account nobody logs in with (its password is thrown away), so the
    # history and the audit trail name who made the demo.
    seeder = await create_user(session, username, secrets.token_urlsafe(24), display_name=SEEDER_NAME)
    authorizer = Authorizer()
    await authorizer.load(session)
    chosen = await _demo_regions(session, city_code, demo, user_regions, rng)
    councils_at = [code for street, communities in chosen.items() for code in (street, *[c.code for c in communities])]
    grants = tuple((role, code) for code in councils_at for role in SEEDER_ROLES)
    grants += tuple((Role.street_staff, street) for street in chosen)
    principal = Principal(user_id=seeder.id, username=username, display_name=SEEDER_NAME, grants=grants)
    seeder_run = _Seeder(session, plugins, upload_dir, principal, authorizer, rng)
    kinds = ("venue", "rules", "catalogue", "signage", "facilities", "activity_record")
    real_now = clock.now()
    with clock.frozen_at(real_now):
        for index, (street_code, communities) in enumerate(chosen.items()):
            street = await session.get(Region, street_code)
            await seeder_run.council(street, set(kinds))
            for position, community in enumerate(communities):
                # Most councils have everything on file; some lack one piece,
                # so the standards' reports show both.
                documents = set(kinds) if (index + position) % 3 == 0 else set(kinds) - {rng.choice(kinds[1:])}
                await seeder_run.council(community, documents)
                for target, days_ago in await seeder_run.scenarios(community.code):
                    clock.set_now(real_now)
                    await seeder_run.topic(community, target, days_ago)
                clock.set_now(real_now)
                await seeder_run.topic(community, "research", 2, scale="urgent")
            if len(communities) >= 2:
                # A matter touching two communities moves up to the street on admission, and waits
                # there for the street to take it up (at 确定议题, or at research where admission
                # leads straight to it, as in Ningbo's procedure).
                clock.set_now(real_now)
                shared = (await seeder_run._context(communities[0].code)).procedure_for_new_topic()
                await seeder_run.topic(communities[0], "confirm" if anchor(shared, "confirm") else "research", 5,
                                       affected=[communities[0].code, communities[1].code])
    context = await region_context(session, plugins, city_code)
    await await_each(context.hooks.yishi_demo_seeded(session=session, context=context, city_code=city_code,
                                                     council_regions=sorted(seeder_run.report.councils),
                                                     seed=demo.seed))
    return seeder_run.report
