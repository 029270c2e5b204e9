"""One activity per quarter per home (seed 003 §五: "原则上每个协商民主之家每季度开展一次协商议事活动"):
reminded 15 days before the quarter ends, flagged to the district and city CPPCC once it ended
without one; the job runs through the scheduler on the embedded broker and on Redis, the clock
moved by core.clock, never slept. Then the quarterly report and the home standard."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import pytest_asyncio
from sqlalchemy import select

from core import clock
from core.models import RegionSetting, User
from core.models.implementation import Notification
from plugins.lianyungang import jobs
from plugins.lianyungang.models import QuarterCheck
from plugins.lianyungang.quarter_checks import FLAG_KIND, REMINDER_KIND, run_checks
from plugins.lianyungang.quarters import Quarter
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.jobs_fixtures import broker_kind, job_runner  # noqa: F401  (fixtures)
from tests.plugins.lianyungang.conftest import (
    BINHAI, CITY, DONGHAI, DONGYUAN, LIANYUN, LYG, NIUSHAN_COMMUNITY, XIYUAN, XUGOU, YUANQIAN, designate,
    hold_meeting, seat, write_lyg)
from tests.conftest import Seed

BEFORE_Q3 = date(2026, 6, 1)


def utc(month: int, day: int, hour: int = 1, minute: int = 5, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


def test_quarters_run_on_the_calendar_and_the_reminder_day_is_15_days_before_the_end():
    q3 = Quarter.of(date(2026, 8, 20))
    assert (q3.year, q3.number, q3.first_day, q3.last_day) == (2026, 3, date(2026, 7, 1), date(2026, 9, 30))
    assert q3.reminder_day(15) == date(2026, 9, 15)
    assert Quarter(2026, 4).reminder_day(15) == date(2026, 12, 16)
    assert Quarter(2026, 1).previous == Quarter(2025, 4) and Quarter(2026, 4).next == Quarter(2027, 1)
    # Midnight in Beijing is 16:00 UTC the day before.
    assert Quarter(2026, 3).utc_bounds()[0] == datetime(2026, 6, 30, 16, 0, tzinfo=timezone.utc)


PEOPLE = {"head": [], "district_cppcc": [("cppcc_member", LIANYUN)], "city_cppcc": [("cppcc_member", CITY)],
          "district_admin": [("district_admin", LIANYUN)], "city_admin": [("city_admin", CITY)],
          "donghai_admin": [("district_admin", DONGHAI)], "chair": [("council_chair", YUANQIAN)]}


async def _write_people(runtime) -> None:
    async with runtime.read_sessions() as db:
        await write_lyg(db)
        for name, grants in PEOPLE.items():
            await make_user(db, name, *grants)


# The tree and PEOPLE, made on 1 June, written once per backend (hashing passwords is the slow part).
WITH_PEOPLE = Seed("lianyungang_quarterly", utc(6, 1), _write_people)


@pytest.fixture
def database_seed(request) -> Seed | None:
    return WITH_PEOPLE if "people" in request.fixturenames else LYG if "lyg" in request.fixturenames else None


@pytest_asyncio.fixture
async def people(db, runtime, lyg):
    """User ids by name: PEOPLE are in the WITH_PEOPLE template."""
    clock.set_now(utc(6, 1))
    return {name: await db.scalar(select(User.id).where(User.username == name)) for name in PEOPLE}


@pytest_asyncio.fixture
async def homes(db, runtime, people):
    """东园 (no activity in Q3, its head has an account) and 西园 (a meeting on 10 August)."""
    await designate(db, runtime, DONGYUAN, BEFORE_Q3)
    await designate(db, runtime, XIYUAN, BEFORE_Q3)
    await seat(db, runtime, DONGYUAN, head_user_id=people["head"])
    await seat(db, runtime, XIYUAN)
    clock.set_now(utc(8, 1))
    await hold_meeting(db, XIYUAN, utc(8, 10, 2, 0))
    return people


async def notifications(db, kind=None) -> list[tuple[int | None, str, str]]:
    query = select(Notification).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return [(n.user_id, n.region_code, n.text_zh) for n in (await db.scalars(query)).all()]


async def checks(db) -> list[tuple[str, int, int, str, int]]:
    rows = (await db.scalars(select(QuarterCheck).order_by(QuarterCheck.id))).all()
    return [(c.region_code, c.year, c.quarter, c.kind, c.activities) for c in rows]


# -- the job through the scheduler and a broker (as tests/test_notices.py runs its job) ------

async def test_a_home_without_an_activity_is_reminded_on_15_september_and_flagged_on_1_october(
        db, homes, job_runner):
    name = jobs.CHECK_QUARTERLY_ACTIVITY
    clock.set_now(utc(9, 14, 0, 30))
    await job_runner.baseline(name)

    # 14 September, 09:05 in Beijing: 16 days before the quarter ends, too early.
    clock.set_now(utc(9, 14))
    await job_runner(name)
    assert await notifications(db) == [] and await checks(db) == []

    # 15 September: 东园 has held nothing this quarter; its head is reminded. 西园 met in August.
    clock.set_now(utc(9, 15))
    await job_runner(name)
    [(user_id, region, text)] = await notifications(db, REMINDER_KIND)
    assert (user_id, region) == (homes["head"], DONGYUAN)
    assert text == ("东园社区政协市民协商民主之家2026年第3季度已开展协商议事活动 0 次，每季度至少 1 次；"
                    "距季度末还有 15 天，请于 9月30日前组织开展。")
    assert await checks(db) == [(DONGYUAN, 2026, 3, "reminder", 0)]

    # The next day: reminded once per quarter.
    clock.set_now(utc(9, 16))
    await job_runner(name)
    assert len(await notifications(db)) == 1

    # 1 October: Q3 ended without an activity; the district's and the city's CPPCC members are told.
    clock.set_now(utc(10, 1))
    await job_runner(name)
    flagged = await notifications(db, FLAG_KIND)
    assert sorted((u, r) for u, r, _ in flagged) == sorted([(homes["district_cppcc"], LIANYUN),
                                                            (homes["city_cppcc"], CITY)])
    assert flagged[0][2] == "东园社区政协市民协商民主之家2026年第3季度开展协商议事活动 0 次，未达到每季度至少 1 次的要求。"
    assert await checks(db) == [(DONGYUAN, 2026, 3, "reminder", 0), (DONGYUAN, 2026, 3, "flag", 0)]
    recorded = await db.scalar(select(QuarterCheck).where(QuarterCheck.kind == "flag"))
    assert sorted(recorded.notified_user_ids) == sorted([homes["district_cppcc"], homes["city_cppcc"]])

    # Running again changes nothing; 西园 got neither all along.
    clock.set_now(utc(10, 2))
    await job_runner(name)
    assert len(await notifications(db)) == 3
    assert [c[0] for c in await checks(db)] == [DONGYUAN, DONGYUAN]


async def test_the_job_is_scheduled_daily_in_the_beijing_morning():
    assert jobs.SCHEDULE.cron == "0 1 * * *"  # 01:00 UTC = 09:00 in Beijing
    assert jobs.SCHEDULE.job == jobs.CHECK_QUARTERLY_ACTIVITY


# -- who is told, and the settings (service level) ------------------------------------------

async def test_without_a_head_account_the_officers_are_reminded_and_admins_stand_in_for_cppcc(
        db, runtime, people):
    await designate(db, runtime, YUANQIAN, BEFORE_Q3)
    await seat(db, runtime, YUANQIAN)                 # a head without an account
    await designate(db, runtime, NIUSHAN_COMMUNITY, BEFORE_Q3)  # 东海县: no CPPCC member granted there
    clock.set_now(utc(9, 20))
    summary = await run_checks(runtime)
    assert sorted(summary.reminded) == sorted([YUANQIAN, NIUSHAN_COMMUNITY])
    reminders = await notifications(db, REMINDER_KIND)
    assert (people["chair"], YUANQIAN) in [(u, r) for u, r, _ in reminders]
    # 牛山 has no head and no officer with an account: the message is left for its council.
    assert (None, NIUSHAN_COMMUNITY) in [(u, r) for u, r, _ in reminders]

    clock.set_now(utc(10, 1))
    await run_checks(runtime)
    told = {(u, r) for u, r, _ in await notifications(db, FLAG_KIND)}
    # 院前 (连云区): the CPPCC members; 牛山 (东海县): its district admin, and the city's CPPCC member.
    assert told == {(people["district_cppcc"], LIANYUN), (people["city_cppcc"], CITY),
                    (people["donghai_admin"], DONGHAI)}


async def test_city_admins_are_told_when_the_city_has_no_cppcc_member(db, runtime, people):
    from core.models import RoleGrant

    grant = await db.scalar(select(RoleGrant).where(RoleGrant.user_id == people["city_cppcc"]))
    await db.delete(grant)
    await db.commit()
    await designate(db, runtime, BINHAI, BEFORE_Q3)
    clock.set_now(utc(10, 1))
    await run_checks(runtime)
    told = {(u, r) for u, r, _ in await notifications(db, FLAG_KIND)}
    assert told == {(people["district_cppcc"], LIANYUN), (people["city_admin"], CITY)}


async def test_a_home_designated_during_the_quarter_is_counted_from_the_next(db, runtime, people):
    clock.set_now(utc(8, 1))
    await designate(db, runtime, BINHAI)
    clock.set_now(utc(9, 20))
    await run_checks(runtime)
    clock.set_now(utc(10, 1))
    await run_checks(runtime)
    assert await checks(db) == []


async def test_the_settings_move_the_reminder_day_and_the_minimum(db, runtime, people):
    db.add(RegionSetting(region_code=LIANYUN, key="lianyungang.remind_days_before", value=20))
    db.add(RegionSetting(region_code=XUGOU, key="lianyungang.min_activities_per_quarter", value=2))
    await db.commit()
    await designate(db, runtime, BINHAI, BEFORE_Q3)
    clock.set_now(utc(8, 1))
    await hold_meeting(db, BINHAI, utc(8, 10, 2, 0))

    clock.set_now(utc(9, 9))   # 21 days before 30 September
    await run_checks(runtime)
    assert await checks(db) == []
    clock.set_now(utc(9, 10))  # 20 days before
    await run_checks(runtime)
    [(_, _, text)] = await notifications(db, REMINDER_KIND)
    assert "已开展协商议事活动 1 次，每季度至少 2 次" in text and "还有 20 天" in text

    clock.set_now(utc(10, 1))
    await run_checks(runtime)
    assert await checks(db) == [(BINHAI, 2026, 3, "reminder", 1), (BINHAI, 2026, 3, "flag", 1)]


def test_the_settings_are_validated(plugin_host):
    days = plugin_host.setting_spec("lianyungang.remind_days_before")
    assert days.default == 15 and days.validate(0) is not None and days.validate("15") is not None
    minimum = plugin_host.setting_spec("lianyungang.min_activities_per_quarter")
    assert minimum.default == 1 and minimum.validate(0) is not None and minimum.validate(2) is None


# -- the quarterly report and the home standard -----------------------------------------------

async def test_the_quarterly_report_shows_each_home_and_the_district_totals(db, runtime, homes):
    await designate(db, runtime, NIUSHAN_COMMUNITY, BEFORE_Q3)
    clock.set_now(utc(10, 1))
    await run_checks(runtime)
    async with app_client(runtime) as client:
        city = bearer(await login(client, "city_admin"))
        answer = await client.get("/api/v1/plugins/lianyungang/regions/3207/quarters?year=2026&quarter=3",
                                  headers=city)
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert report["quarter"] == {"year": 2026, "quarter": 3, "label_zh": "2026年第3季度", "label_en": "Q3 2026",
                                     "first_day": "2026-07-01", "last_day": "2026-09-30", "ended": True}
        shown = {h["region_code"]: (h["activities"], h["required"], h["met"], h["status"], h["flagged"])
                 for h in report["homes"]}
        assert shown == {DONGYUAN: (0, 1, False, "missed", True), XIYUAN: (1, 1, True, "met", False),
                         NIUSHAN_COMMUNITY: (0, 1, False, "missed", True)}
        districts = {d["code"]: d for d in report["districts"]}
        assert {k: districts[LIANYUN][k] for k in ("homes", "due", "met", "missed", "activities")} == {
            "homes": 2, "due": 2, "met": 1, "missed": 1, "activities": 1}
        assert districts[DONGHAI]["missed"] == 1 and report["totals"]["missed"] == 2

        district = bearer(await login(client, "district_admin"))
        own = await client.get(f"/api/v1/plugins/lianyungang/regions/{LIANYUN}/quarters?year=2026&quarter=3",
                               headers=district)
        assert [h["region_code"] for h in own.json()["homes"]] == [DONGYUAN, XIYUAN]
        # The running quarter (Q4) by default: nothing missed yet.
        running = await client.get(f"/api/v1/plugins/lianyungang/regions/{LIANYUN}/quarters", headers=district)
        assert running.json()["quarter"]["quarter"] == 4
        assert {h["status"] for h in running.json()["homes"]} == {"in_progress"}

        bad = await client.get(f"/api/v1/plugins/lianyungang/regions/{LIANYUN}/quarters?quarter=5", headers=district)
        assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "quarter"
        year = await client.get(f"/api/v1/plugins/lianyungang/regions/{LIANYUN}/quarters?year=1900", headers=district)
        assert year.status_code == 400 and year.json()["error"]["fields"][0]["field"] == "year"
        street = await client.get(f"/api/v1/plugins/lianyungang/regions/{XUGOU}/quarters", headers=district)
        assert street.status_code == 400 and street.json()["error"]["fields"][0]["field"] == "code"
        other = await client.get(f"/api/v1/plugins/lianyungang/regions/{DONGHAI}/quarters", headers=district)
        assert other.status_code == 404


async def test_the_home_standard_checks_members_head_and_this_quarters_activity(db, runtime, homes):
    clock.set_now(utc(9, 1))
    async with app_client(runtime) as client:
        headers = bearer(await login(client, "district_admin"))

        async def standard(code):
            answer = await client.get(f"/api/v1/regions/{code}/compliance", headers=headers)
            assert answer.status_code == 200, answer.text
            [result] = [r for r in answer.json()["items"] if r["standard"] == "lianyungang.home"]
            return {i["key"]: (i["met"], i["detail_zh"]) for i in result["items"]}, result

        items, result = await standard(XIYUAN)
        assert result["complete"] is True and result["title_zh"] == "西园社区政协市民协商民主之家建设要求"
        assert items["cppcc_members"] == (True, "政协委员 3 人")
        assert items["head_designated"] == (True, "负责人：政协委员1（政协委员）")
        assert items["quarterly_activity"] == (True, "2026年第3季度截至 2026-09-01 已开展 1 次，至少 1 次")

        items, result = await standard(DONGYUAN)
        assert result["met"] == 2 and items["quarterly_activity"][0] is False
        assert "已开展 0 次" in items["quarterly_activity"][1]

    # A home of two CPPCC members whose head is not one of them.
    await designate(db, runtime, YUANQIAN, BEFORE_Q3)
    await seat(db, runtime, YUANQIAN, cppcc=2, head_is_cppcc=False)
    async with app_client(runtime) as client:
        headers = bearer(await login(client, "district_admin"))
        answer = await client.get(f"/api/v1/regions/{YUANQIAN}/compliance", headers=headers)
        [result] = [r for r in answer.json()["items"] if r["standard"] == "lianyungang.home"]
        items = {i["key"]: (i["met"], i["detail_zh"]) for i in result["items"]}
        assert items["cppcc_members"] == (False, "政协委员 1 人")
        assert items["head_designated"] == (False, "负责人：政协委员1（不是政协委员）")
        # A council that is not a home has no such standard.
        plain = await client.get(f"/api/v1/regions/{BINHAI}/compliance", headers=headers)
        assert not [r for r in plain.json()["items"] if r["standard"] == "lianyungang.home"]
