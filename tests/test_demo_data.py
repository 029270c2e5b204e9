"""Demo data from a tenant file's [demo] table: councils with members, documents
on file, meetings and topics at every step of the region's own procedure, the
same on every run, made once, through the same services as a user's request."""
from __future__ import annotations

import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import clock
from core.audit import verify
from core.councils.categories import is_fixed
from core.errors import ApiError
from core.models import AuditEntry, Council, CouncilDocument, CouncilMember, Escalation, Topic, TopicEvent, User
from core.models.consultation import Meeting
from core.models.implementation import Task
from core.models.notice import Notice
from core.procedures.registry import procedure_registry
from core.tenants.demo_data import seeder_username
from core.tenants.loader import TENANTS_DIR, load_tenants, read_tenant

pytestmark = pytest.mark.asyncio

CITY = "6203"  # Jinchang: the smallest demo city (182 communities), so the import stays quick.


def tenant_copy(tmp_path: Path, demo: str | None = "[demo]\nseed = 42\n") -> Path:
    """The real Jinchang tenant file beside a copy of its division data, with ``demo`` as its [demo] table."""
    shutil.copytree(TENANTS_DIR / "data" / CITY, tmp_path / "data" / CITY)
    text = (TENANTS_DIR / "jinchang.toml").read_text(encoding="utf-8")
    head, _, _ = text.partition("\n[demo]")
    target = tmp_path / "jinchang.toml"
    target.write_text(head + ("\n" + demo if demo else ""), encoding="utf-8")
    return target


async def _story(db) -> list[tuple]:
    rows = await db.execute(select(Topic.region_code, Topic.title, Topic.step, Topic.status).order_by(Topic.id))
    return [tuple(row) for row in rows]


async def test_demo_topics_stand_at_every_step_of_the_regions_procedure(db, runtime, tmp_path):
    loaded_at = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
    clock.set_now(loaded_at)
    [report] = await load_tenants(runtime, [tenant_copy(tmp_path)])
    assert report.demo is not None and not report.demo.skipped
    assert report.demo.topics == await db.scalar(select(func.count()).select_from(Topic)) > 0

    topics = (await db.scalars(select(Topic))).all()
    registry = procedure_registry(runtime.plugins)
    for key in {t.procedure_key for t in topics}:
        steps = {s.key for s in registry.latest(key).steps}
        reached = {t.step for t in topics if t.procedure_key == key and t.status == "open"}
        assert reached == steps, f"{key}: no open demo topic at {sorted(steps - reached)}"
    assert {t.status for t in topics} == {"open", "closed", "rejected"}
    # A matter of two communities was taken up by their street.
    assert await db.scalar(select(func.count()).select_from(Escalation)) >= 1
    assert any(len(t.region_code) == 9 for t in topics)

    # The councils are real ones: fixed members by the "1+7+X" categories, documents, meetings, notices, tasks.
    councils = (await db.scalars(select(Council))).all()
    assert {c.kind for c in councils} == {"street", "community"}
    fixed = [m for m in (await db.scalars(select(CouncilMember))).all() if is_fixed(m.category)]
    assert len(fixed) >= 20 * sum(1 for c in councils if c.kind == "community")
    assert await db.scalar(select(func.count()).select_from(CouncilDocument)) > 0
    assert await db.scalar(select(func.count()).select_from(Meeting)) > 0
    assert {n.status for n in (await db.scalars(select(Notice))).all()} == {"open", "closed"}
    assert {t.status for t in (await db.scalars(select(Task))).all()} == {"open", "done"}
    # Histories name the seeding account, and the audit chain holds.
    seeder = await db.scalar(select(User).where(User.username == seeder_username(CITY)))
    assert await db.scalar(select(func.count()).select_from(TopicEvent)
                           .where(TopicEvent.actor_user_id == seeder.id)) > 0
    assert (await verify(db)).ok
    # Nothing in the demo happened after the moment it was loaded.
    assert await db.scalar(select(func.max(TopicEvent.at))) <= loaded_at
    assert await db.scalar(select(func.max(AuditEntry.at))) <= loaded_at


async def test_the_same_seed_makes_the_same_demo_and_a_second_load_adds_nothing(db, runtime, tmp_path):
    path = tenant_copy(tmp_path)
    await load_tenants(runtime, [path])
    first = await _story(db)
    await db.rollback()
    [again] = await load_tenants(runtime, [path])
    assert again.demo.skipped and not again.changed
    assert await _story(db) == first
    # Titles, places and steps come from the seed, not from the time of day.
    from core.tenants.demo_data import DemoSpec

    assert read_tenant(path, runtime.plugins).demo == DemoSpec(seed=42)


@pytest.mark.parametrize("table,field", [
    ("[demo]\nseed = \"x\"\n", "demo.seed"),
    ("[demo]\ndistricts = 2\n", "demo.seed"),
    ("[demo]\nseed = 1\ncommunities_per_street = 0\n", "demo.communities_per_street"),
    ("[demo]\nseed = 1\ncolour = \"red\"\n", "demo.colour"),
])
async def test_a_bad_demo_table_is_refused_before_anything_is_written(db, runtime, tmp_path, table, field):
    with pytest.raises(ApiError) as refused:
        await load_tenants(runtime, [tenant_copy(tmp_path, table)])
    assert any(field in f.field for f in refused.value.fields), [f.field for f in refused.value.fields]
    assert await db.scalar(select(func.count()).select_from(Topic)) == 0
