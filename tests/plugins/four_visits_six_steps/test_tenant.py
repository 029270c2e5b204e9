"""The demo county: ``tenants/jinchang.toml`` turns the plugin on at 城关镇 (永昌县) beside
the city's own, and chooses its procedure there; the demo seeder walks a community's
topics through it, each admission confirming the topic-selection standard."""
from __future__ import annotations

from sqlalchemy import select

from core import clock
from core.builtin import make_plugin_manager
from core.models import Topic, TopicEvent
from core.procedures.registry import procedure_registry
from core.region_context import region_context
from core.tenants.demo_data import DemoSpec, seed_city
from core.tenants.loader import TENANTS_DIR, load_tenants, read_tenant
from core.tenants.settings import enabled_plugins, resolve_setting
from tests.plugins.four_visits_six_steps.conftest import (BAOYUNLI, CHANGKANGYUAN, CHENGGUAN, CITY, HUANGJIAQUAN, T0,
                                                          YONGCHANG, YONGFUYUAN, tenant_without_demo)

NAME = "four_visits_six_steps"


def test_the_shipped_file_turns_it_on_at_chengguan():
    spec = read_tenant(TENANTS_DIR / "jinchang.toml", make_plugin_manager())
    [override] = [o for o in spec.overrides if NAME in o.plugins]
    assert (override.region, override.disabled) == (CHENGGUAN, ())
    assert override.settings == {"procedure.key": NAME}
    # The city's own rules stay on city-wide.
    assert spec.plugins == ("jinchang",)


async def test_the_county_seat_runs_it_and_the_rest_of_the_city_does_not(db, runtime, tmp_path):
    await load_tenants(runtime, [tenant_without_demo(tmp_path)])
    host = runtime.plugins
    for code in (CHENGGUAN, YONGFUYUAN, CHANGKANGYUAN):
        assert {NAME, "jinchang"} <= await enabled_plugins(db, host, code), code
        assert await resolve_setting(db, host, code, "procedure.key") == NAME
        assert (await region_context(db, host, code)).procedure_for_new_topic().key == NAME
    for code in (CITY, YONGCHANG, HUANGJIAQUAN, BAOYUNLI):
        assert NAME not in await enabled_plugins(db, host, code), code
        assert "jinchang" in await enabled_plugins(db, host, code), code
    assert (await region_context(db, host, HUANGJIAQUAN)).procedure_for_new_topic().key == "jinchang"


async def test_the_demo_seeder_walks_the_countys_topics_through_its_six_steps(db, county):
    clock.set_now(T0)
    async with county.sessions() as session:
        async with session.begin():
            report = await seed_city(session, county.plugins, CITY, DemoSpec(seed=4, districts=0,
                                                                             communities_per_street=1),
                                     [CHANGKANGYUAN], county.config.upload_dir)
    assert CHANGKANGYUAN in report.councils and report.topics > 0
    topics = (await db.scalars(select(Topic).where(Topic.origin_region_code == CHANGKANGYUAN))).all()
    assert {t.procedure_key for t in topics} == {NAME}
    steps = [s.key for s in procedure_registry(county.plugins).latest(NAME).steps]
    assert {t.step for t in topics if t.status == "open"} == set(steps)
    admissions = (await db.scalars(select(TopicEvent).where(
        TopicEvent.topic_id.in_([t.id for t in topics]), TopicEvent.action == "admit"))).all()
    assert admissions and all(e.data["selection_standard"] == {"small_entry": True, "high_aim": True,
                                                               "wide_links": True} for e in admissions)
