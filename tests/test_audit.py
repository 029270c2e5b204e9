"""The audit chain: appends link up, and ``verify`` names any tampered entry."""
from __future__ import annotations

import asyncio
import json
from datetime import date, datetime, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from core import clock
from core.audit import record, verify
from core.audit.changes import record_role_grant, record_role_revoke, record_setting_change
from core.audit.cli import audit as audit_cli
from core.audit.service import entry_hash
from core.auth.users import create_user
from core.models import AuditEntry, AuditHead
from core.models.audit import GENESIS_HASH

pytestmark = pytest.mark.asyncio


async def _append(db, n: int) -> None:
    for i in range(n):
        await record(db, actor=None if i % 2 else "job:test", action="council.member.add",
                     object_type="council_member", object_id=i + 1, region_code="330203001001",
                     before=None if i == 0 else {"name": f"成员{i}"},
                     after={"name": f"成员{i + 1}", "joined_on": date(2024, 1, i + 1), "score": 1.5})
    await db.commit()


async def test_appends_link_into_a_chain_that_verifies(db):
    clock.set_now(datetime(2024, 3, 1, 8, 30, 15, 123456, tzinfo=timezone.utc))
    await _append(db, 4)
    rows = (await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [r.id for r in rows] == [1, 2, 3, 4]
    assert rows[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:]))
    assert rows[0].actor_label == "job:test" and rows[1].actor_label == "system"
    # Dates were stored as the JSON the hash was computed over.
    assert rows[0].after["joined_on"] == "2024-01-01"
    head = await db.get(AuditHead, 1)
    assert (head.last_id, head.last_hash) == (4, rows[-1].hash)
    report = await verify(db)
    assert report.ok and report.checked == 4, report


async def test_empty_chain_verifies(db):
    report = await verify(db)
    assert report.ok and report.checked == 0


async def test_actor_user_is_named(db):
    user = await create_user(db, "wang_li", "long-enough-pw", "王丽")
    entry = await record(db, actor=user, action="council.update", object_type="council", object_id=7)
    assert (entry.actor_user_id, entry.actor_label) == (user.id, "王丽 (wang_li)")
    await db.commit()
    assert (await verify(db)).ok


async def test_rolled_back_append_leaves_no_gap(db):
    await _append(db, 2)
    await record(db, actor=None, action="x.y", object_type="thing", object_id=1)
    await db.rollback()
    await _append(db, 1)
    ids = (await db.scalars(select(AuditEntry.id).order_by(AuditEntry.id))).all()
    assert ids == [1, 2, 3]
    assert (await verify(db)).ok


async def _note(db, what: str) -> None:
    await record(db, actor="job:test", action=what, object_type="thing", object_id=1)


@pytest.mark.parametrize("first_entry", ["before the savepoint", "inside it"])
async def test_a_rolled_back_savepoint_takes_its_entries_and_the_chain_goes_on(db, first_entry):
    """A page's form runs its service call in a savepoint; a refusal rolls back the entries it
    wrote there, and what the transaction records next links to what is still in the chain."""
    await _append(db, 1)
    if first_entry == "before the savepoint":
        await _note(db, "kept.first")
    savepoint = await db.begin_nested()
    await _note(db, "refused.one")
    await db.flush()
    await _note(db, "refused.two")
    await savepoint.rollback()
    await _note(db, "kept.after")
    await db.commit()
    rows = (await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    expected = ["council.member.add", *(["kept.first"] if first_entry == "before the savepoint" else []), "kept.after"]
    assert [r.action for r in rows] == expected and [r.id for r in rows] == list(range(1, len(expected) + 1))
    head = await db.get(AuditHead, 1)
    assert (head.last_id, head.last_hash) == (rows[-1].id, rows[-1].hash)
    assert (await verify(db)).ok


async def test_the_head_follows_entries_written_together_in_one_flush(db):
    for what in ("a", "b", "c"):
        await _note(db, what)
    await db.commit()
    rows = (await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    head = await db.get(AuditHead, 1)
    assert (head.last_id, head.last_hash) == (3, rows[-1].hash)
    assert (await verify(db)).ok


async def test_altered_entry_is_named(db):
    await _append(db, 5)
    await db.execute(text("UPDATE audit_entries SET after = :v WHERE id = 3"), {"v": '{"name": "改过"}'})
    await db.commit()
    report = await verify(db)
    assert not report.ok
    assert (report.bad_entry_id, report.reason, report.checked) == (3, "altered", 2)


async def test_altered_timestamp_or_actor_is_named(db):
    await _append(db, 3)
    await db.execute(text("UPDATE audit_entries SET actor_label = 'someone else' WHERE id = 2"))
    await db.commit()
    report = await verify(db)
    assert (report.ok, report.bad_entry_id, report.reason) == (False, 2, "altered")


async def test_rewritten_entry_with_recomputed_unkeyed_hash_is_named_itself(db):
    await _append(db, 4)
    row = await db.get(AuditEntry, 2)
    forged = entry_hash(at=row.at, actor_user_id=row.actor_user_id, actor_label="forger",
                        region_code=row.region_code, action=row.action, object_type=row.object_type,
                        object_id=row.object_id, before=row.before, after=row.after, prev_hash=row.prev_hash)
    await db.execute(text("UPDATE audit_entries SET actor_label = 'forger', hash = :h WHERE id = 2"), {"h": forged})
    await db.commit()
    report = await verify(db)
    # Keyed: a hash anyone can compute no longer passes, so the rewritten entry itself is named.
    assert (report.ok, report.bad_entry_id, report.reason) == (False, 2, "altered")
    assert "MAC" in report.detail


async def test_new_entries_are_sealed_with_the_key_not_plain_sha256(db):
    await _append(db, 1)
    row = await db.get(AuditEntry, 1)
    unkeyed = entry_hash(at=row.at, actor_user_id=row.actor_user_id, actor_label=row.actor_label,
                         region_code=row.region_code, action=row.action, object_type=row.object_type,
                         object_id=row.object_id, before=row.before, after=row.after, prev_hash=row.prev_hash)
    assert row.scheme == "hmac-sha256" and row.hash != unkeyed


async def test_removed_entry_is_named(db):
    await _append(db, 5)
    await db.execute(text("DELETE FROM audit_entries WHERE id = 2"))
    await db.commit()
    report = await verify(db)
    assert (report.ok, report.bad_entry_id, report.reason) == (False, 2, "removed")


async def test_removed_last_entry_is_named(db):
    await _append(db, 3)
    await db.execute(text("DELETE FROM audit_entries WHERE id = 3"))
    await db.commit()
    report = await verify(db)
    assert (report.ok, report.bad_entry_id, report.reason) == (False, 3, "removed")


async def test_removed_entry_with_ids_closed_up_is_caught(db):
    await _append(db, 4)
    await db.execute(text("DELETE FROM audit_entries WHERE id = 2"))
    await db.execute(text("UPDATE audit_entries SET id = id - 1 WHERE id = 3"))
    await db.execute(text("UPDATE audit_entries SET id = id - 1 WHERE id = 4"))
    await db.execute(text("UPDATE audit_head SET last_id = 3"))
    await db.commit()
    report = await verify(db)
    assert (report.ok, report.bad_entry_id, report.reason) == (False, 2, "removed")


async def test_swapped_ids_are_reported_as_reordered(db):
    await _append(db, 5)
    await db.execute(text("UPDATE audit_entries SET id = 1000 WHERE id = 2"))
    await db.execute(text("UPDATE audit_entries SET id = 2 WHERE id = 4"))
    await db.execute(text("UPDATE audit_entries SET id = 4 WHERE id = 1000"))
    await db.commit()
    report = await verify(db)
    assert (report.ok, report.bad_entry_id, report.reason) == (False, 2, "reordered")


async def test_swapped_contents_are_reported_as_reordered(db):
    await _append(db, 3)
    columns = ["at", "actor_user_id", "actor_label", "region_code", "action", "object_type", "object_id",
               "before", "after", "prev_hash", "hash"]
    select_sql = text(f"SELECT {', '.join(columns)} FROM audit_entries WHERE id = :id")
    one = (await db.execute(select_sql, {"id": 1})).one()
    two = (await db.execute(select_sql, {"id": 2})).one()
    cast = db.bind.dialect.name == "postgresql"

    def placeholder(column: str) -> str:
        return f"CAST(:{column} AS json)" if cast and column in ("before", "after") else f":{column}"

    update_sql = text(f"UPDATE audit_entries SET {', '.join(f'{c} = {placeholder(c)}' for c in columns)} "
                      "WHERE id = :id")
    for target, values in ((1, two), (2, one)):
        # JSON comes back as text from one driver and parsed from another; send text.
        params = {c: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
                  for c, v in zip(columns, values)}
        await db.execute(update_sql, {**params, "id": target})
    await db.commit()
    report = await verify(db)
    assert (report.ok, report.bad_entry_id, report.reason) == (False, 1, "reordered")


async def test_entry_slipped_in_past_the_head_is_caught(db):
    await _append(db, 2)
    row = await db.get(AuditEntry, 2)
    db.add(AuditEntry(id=3, at=row.at, actor_user_id=None, actor_label="x", region_code=None, action="a",
                      object_type="t", object_id="1", before=None, after=None, prev_hash=row.hash, hash="f" * 64))
    await db.commit()
    report = await verify(db)
    assert (report.ok, report.bad_entry_id) == (False, 3)


async def test_role_and_setting_changes_are_recorded(db):
    user = await create_user(db, "li_ming", "long-enough-pw")
    await record_role_grant(db, actor="cli", user_id=user.id, username=user.username, role="street_staff",
                            region_code="330203001", grant_id=9)
    await record_role_revoke(db, actor="cli", user_id=user.id, username=user.username, role="street_staff",
                             region_code="330203001")
    await record_setting_change(db, actor=user, region_code="3302", key="core.notice_days", before=None, after=5)
    await db.commit()
    rows = (await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [r.action for r in rows] == ["role.grant", "role.revoke", "setting.set"]
    assert rows[0].after == {"user_id": user.id, "username": "li_ming", "role": "street_staff",
                             "region_code": "330203001"}
    assert rows[1].before["role"] == "street_staff" and rows[1].after is None
    assert rows[2].after == {"value": 5}
    assert (await verify(db)).ok


async def test_cli_verify_exit_codes(db, database_url, tmp_path):
    await _append(db, 3)
    runner = CliRunner()
    # The key is in the test's data directory, not the default one.
    args = ["verify", "--database-url", database_url, "--data-dir", str(tmp_path)]
    # The command runs its own event loop, so keep it off the test's.
    ok = await asyncio.to_thread(runner.invoke, audit_cli, args)
    assert ok.exit_code == 0, ok.output
    assert "3 entries" in ok.output
    await db.execute(text("UPDATE audit_entries SET object_id = '999' WHERE id = 2"))
    await db.commit()
    bad = await asyncio.to_thread(runner.invoke, audit_cli, args)
    assert bad.exit_code == 1
    assert "entry 2" in bad.output and "altered" in bad.output
