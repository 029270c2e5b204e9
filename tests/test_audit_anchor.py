"""The keyed, checkpointed audit chain against an attacker who can write the database.

Every rewrite here is done with raw SQL, as someone holding database
credentials (but not the audit key or the checkpoint file) would do it,
recomputing plain SHA-256 seals wherever the rewrite needs them; the
``yishi audit`` commands are then run as an operator would run them.
"""
from __future__ import annotations

import asyncio
import os
import stat
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy import select, text

from core import clock
from core.audit import record, verify
from core.audit.checkpoint import checkpoint_path
from core.audit.cli import audit as audit_cli
from core.audit.jobs import CHECKPOINT_JOB, checkpoint_audit_chain
from core.audit.key import AuditKeyError, key_path, load_audit_key
from core.audit.service import CheckpointRefused, entry_hash, take_checkpoint
from core.config import Config
from core.db import UTCDateTime, make_sessionmaker
from core.jobs.scheduler import Scheduler, collect_scheduled_jobs
from core.migrate import upgrade
from core.models import AuditEntry, AuditHead
from core.runtime import Runtime
from tests.conftest import BACKENDS, pg_admin, pg_url

pytestmark = pytest.mark.asyncio


async def _append(db, n: int) -> None:
    for i in range(n):
        await record(db, actor="job:test", action="council.member.add", object_type="council_member",
                     object_id=i + 1, region_code="330203001001", after={"name": f"成员{i + 1}"})
    await db.commit()


async def _cli(database_url: str, data_dir, *args: str):
    runner = CliRunner()
    # The commands run their own event loop, so keep them off the test's.
    return await asyncio.to_thread(runner.invoke, audit_cli,
                                   [*args, "--database-url", database_url, "--data-dir", str(data_dir)])


def _plain_sha256(row, prev_hash: str) -> str:
    return entry_hash(at=row.at, actor_user_id=row.actor_user_id, actor_label=row.actor_label,
                      region_code=row.region_code, action=row.action, object_type=row.object_type,
                      object_id=row.object_id, before=row.before, after=row.after, prev_hash=prev_hash)


async def _rows(db) -> list[AuditEntry]:
    db.expire_all()
    return list((await db.scalars(select(AuditEntry).order_by(AuditEntry.id))).all())


async def _rehash_from(db, first_id: int, scheme: str | None) -> None:
    """Re-seal entries ``first_id``… with plain SHA-256 and point the head at the new tip, by raw SQL."""
    rows = await _rows(db)
    prev = next(r.hash for r in rows if r.id == first_id - 1)
    for row in rows:
        if row.id < first_id:
            continue
        digest = _plain_sha256(row, prev)
        await db.execute(text("UPDATE audit_entries SET prev_hash = :p, hash = :h, scheme = COALESCE(:s, scheme) "
                              "WHERE id = :id"), {"p": prev, "h": digest, "s": scheme, "id": row.id})
        prev = digest
    await db.execute(text("UPDATE audit_head SET last_hash = :h WHERE id = 1"), {"h": prev})
    await db.commit()


async def test_intact_chain_verifies_after_checkpointing(db, database_url, tmp_path):
    await _append(db, 4)
    taken = await _cli(database_url, tmp_path, "checkpoint")
    assert taken.exit_code == 0, taken.output
    assert taken.stdout.startswith("yishi-audit v1 entry=4 mac=")
    # The printed line is the one kept in the data directory.
    assert checkpoint_path(tmp_path).read_text().splitlines() == [taken.stdout.strip()]
    ok = await _cli(database_url, tmp_path, "verify")
    assert ok.exit_code == 0, ok.output
    assert "4 entries" in ok.output and "audit.checkpoints line 1" in ok.output


@pytest.mark.parametrize("scheme", [None, "sha256"], ids=["keeps-keyed-scheme", "claims-old-algorithm"])
async def test_edited_middle_row_with_later_rows_rehashed_is_named(db, database_url, tmp_path, scheme):
    await _append(db, 4)
    assert (await _cli(database_url, tmp_path, "checkpoint")).exit_code == 0
    await _append(db, 2)
    await db.execute(text("UPDATE audit_entries SET actor_label = 'forger' WHERE id = 3"))
    await db.commit()
    await _rehash_from(db, 3, scheme)

    bad = await _cli(database_url, tmp_path, "verify")
    assert bad.exit_code == 1, bad.output
    assert "broken at entry 3: altered" in bad.output
    report = await verify(db)
    assert (report.bad_entry_id, report.checked) == (3, 2)


async def test_deleted_last_rows_with_head_rewound_are_named_by_the_checkpoint(db, database_url, tmp_path):
    await _append(db, 5)
    assert (await _cli(database_url, tmp_path, "checkpoint")).exit_code == 0
    third = (await _rows(db))[2]
    await db.execute(text("DELETE FROM audit_entries WHERE id > 3"))
    await db.execute(text("UPDATE audit_head SET last_id = 3, last_hash = :h WHERE id = 1"), {"h": third.hash})
    await db.commit()

    bad = await _cli(database_url, tmp_path, "verify")
    assert bad.exit_code == 1, bad.output
    assert "broken at entry 4: removed" in bad.output and "records entry 5" in bad.output
    # Nor will a new checkpoint bless the rewound head.
    refused = await _cli(database_url, tmp_path, "checkpoint")
    assert refused.exit_code == 1 and "no checkpoint written" in refused.output
    assert len(checkpoint_path(tmp_path).read_text().splitlines()) == 1


async def test_rewind_hidden_by_fresh_appends_is_named_at_the_checkpointed_entry(db, database_url, tmp_path):
    await _append(db, 5)
    assert (await _cli(database_url, tmp_path, "checkpoint")).exit_code == 0
    third = (await _rows(db))[2]
    await db.execute(text("DELETE FROM audit_entries WHERE id > 3"))
    await db.execute(text("UPDATE audit_head SET last_id = 3, last_hash = :h WHERE id = 1"), {"h": third.hash})
    await db.commit()
    # The application goes on auditing: new, genuinely keyed entries take ids 4 and 5 again.
    await _append(db, 2)

    bad = await _cli(database_url, tmp_path, "verify")
    assert bad.exit_code == 1, bad.output
    assert "broken at entry 5: altered" in bad.output and "audit.checkpoints line 1" in bad.output


@pytest.mark.parametrize("checkpointed", [True, False], ids=["after-checkpoint", "no-checkpoint"])
@pytest.mark.parametrize("scheme", ["hmac-sha256", "sha256"])
async def test_forged_row_appended_with_a_correct_sha256_is_named(db, database_url, tmp_path, scheme,
                                                                 checkpointed):
    await _append(db, 3)
    if checkpointed:
        assert (await _cli(database_url, tmp_path, "checkpoint")).exit_code == 0
    await db.execute(text(
        "INSERT INTO audit_entries (id, at, actor_user_id, actor_label, region_code, action, object_type, "
        "object_id, before, after, prev_hash, hash, scheme) "
        "SELECT 4, at, NULL, 'cli', region_code, 'role.grant', 'role_grant', '7', NULL, NULL, hash, '', :s "
        "FROM audit_entries WHERE id = 3"), {"s": scheme})
    await db.execute(text("UPDATE audit_head SET last_id = 4 WHERE id = 1"))
    await db.commit()
    await _rehash_from(db, 4, None)

    bad = await _cli(database_url, tmp_path, "verify")
    assert bad.exit_code == 1, bad.output
    assert "broken at entry 4: altered" in bad.output


@pytest.mark.parametrize("edit", ["entry", "mac", "signature", "forged-line"])
async def test_tampered_checkpoint_file_fails_verify(db, database_url, tmp_path, edit):
    await _append(db, 3)
    assert (await _cli(database_url, tmp_path, "checkpoint")).exit_code == 0
    path = checkpoint_path(tmp_path)
    line = path.read_text().strip()
    first = (await _rows(db))[0]
    if edit == "entry":
        line = line.replace("entry=3 ", "entry=1 ")
    elif edit == "mac":
        line = line.split(" mac=")[0] + f" mac={first.hash} at=" + line.split(" at=")[1]
    elif edit == "signature":
        line = line[:-1] + ("0" if line[-1] != "0" else "1")
    else:
        line = line + "\n" + line.replace("entry=3 ", "entry=9 ")
    path.write_text(line + "\n")

    bad = await _cli(database_url, tmp_path, "verify")
    assert bad.exit_code == 1, bad.output
    assert "checkpoint" in bad.output and "signature does not match" in bad.output
    assert f"audit.checkpoints line {2 if edit == 'forged-line' else 1}" in bad.output


async def test_printed_checkpoint_catches_a_rewind_after_the_file_is_lost(db, database_url, tmp_path):
    await _append(db, 4)
    printed = (await _cli(database_url, tmp_path, "checkpoint")).stdout.strip()
    checkpoint_path(tmp_path).unlink()
    await db.execute(text("DELETE FROM audit_entries WHERE id = 4"))
    third = (await _rows(db))[2]
    await db.execute(text("UPDATE audit_head SET last_id = 3, last_hash = :h WHERE id = 1"), {"h": third.hash})
    await db.commit()

    # With the file gone, nothing on this host remembers entry 4 (the documented limit)...
    assert (await _cli(database_url, tmp_path, "verify")).exit_code == 0
    # ...but the copy kept on paper does.
    bad = await _cli(database_url, tmp_path, "verify", "--checkpoint", printed)
    assert bad.exit_code == 1 and "broken at entry 4: removed" in bad.output
    assert "--checkpoint 1" in bad.output


async def test_rows_added_and_removed_between_checkpoints_go_unnoticed(db):
    """The documented limit: the checkpoint only anchors what existed when it was taken."""
    await _append(db, 3)
    await take_checkpoint(db)
    await _append(db, 2)
    third = (await _rows(db))[2]
    await db.execute(text("DELETE FROM audit_entries WHERE id > 3"))
    await db.execute(text("UPDATE audit_head SET last_id = 3, last_hash = :h WHERE id = 1"), {"h": third.hash})
    await db.commit()
    report = await verify(db)
    assert report.ok and report.checked == 3


async def test_checkpoint_is_written_only_when_the_head_moved(db, tmp_path):
    await _append(db, 2)
    first, line = await take_checkpoint(db)
    again, same = await take_checkpoint(db)
    assert (again.entry_id, same) == (2, line)
    await _append(db, 1)
    third, _ = await take_checkpoint(db)
    assert third.entry_id == 3
    assert [row.split()[2] for row in checkpoint_path(tmp_path).read_text().splitlines()] == ["entry=2", "entry=3"]


async def test_checkpoint_job_is_scheduled_hourly_and_refuses_a_forged_chain(runtime, db, tmp_path):
    scheduled = {job.name: job for job in collect_scheduled_jobs(runtime)}
    schedule = scheduled[CHECKPOINT_JOB]
    clock.set_now(datetime(2030, 3, 1, 12, 30, tzinfo=timezone.utc))
    scheduler = Scheduler(runtime, [schedule])
    assert await scheduler.tick() == []  # first sight: remembered, not fired
    clock.advance(timedelta(hours=1))
    assert [fire.slot for fire in await scheduler.tick()] == [datetime(2030, 3, 1, 13, 0, tzinfo=timezone.utc)]

    await _append(db, 2)
    assert await checkpoint_audit_chain(runtime) == 2
    await _append(db, 2)
    await db.execute(text("UPDATE audit_entries SET object_id = '99' WHERE id = 3"))
    await db.commit()
    with pytest.raises(CheckpointRefused) as refused:
        await checkpoint_audit_chain(runtime)
    assert refused.value.report.bad_entry_id == 3
    assert len(checkpoint_path(tmp_path).read_text().splitlines()) == 1


async def test_key_is_generated_once_private_and_reused(database_url, tmp_path, monkeypatch):
    monkeypatch.delenv("YISHI_AUDIT_KEY", raising=False)
    data_dir = tmp_path / "fresh"
    config = Config.from_env(database_url=database_url, data_dir=data_dir)
    with pytest.raises(AuditKeyError):
        load_audit_key(config, create=False)
    first = Runtime.build(config)
    try:
        path = key_path(data_dir)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        written = path.read_text()
        async with first.sessions() as db:
            await _append(db, 2)
    finally:
        await first.close()
    second = Runtime.build(Config.from_env(database_url=database_url, data_dir=data_dir))
    try:
        assert path.read_text() == written
        async with second.sessions() as db:
            assert (await verify(db)).ok
    finally:
        await second.close()


async def test_environment_key_overrides_the_file(database_url, tmp_path, monkeypatch):
    data_dir = tmp_path / "data"
    monkeypatch.delenv("YISHI_AUDIT_KEY", raising=False)
    from_file = Runtime.build(Config.from_env(database_url=database_url, data_dir=data_dir))
    try:
        async with from_file.sessions() as db:
            await _append(db, 1)
    finally:
        await from_file.close()
    monkeypatch.setenv("YISHI_AUDIT_KEY", "k" * 40)
    config = Config.from_env(database_url=database_url, data_dir=data_dir)
    assert load_audit_key(config).source == "YISHI_AUDIT_KEY"
    from_env = Runtime.build(config)
    try:
        async with from_env.sessions() as db:
            # Written with the file's key, so under another key the entry does not verify.
            report = await verify(db)
            assert (report.ok, report.bad_entry_id) == (False, 1)
    finally:
        await from_env.close()


async def test_weak_or_exposed_keys_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("YISHI_AUDIT_KEY", "short")
    with pytest.raises(AuditKeyError, match="at least 32"):
        load_audit_key(Config.from_env(data_dir=tmp_path))
    monkeypatch.delenv("YISHI_AUDIT_KEY")
    config = Config.from_env(data_dir=tmp_path)
    load_audit_key(config)
    os.chmod(key_path(tmp_path), 0o644)
    with pytest.raises(AuditKeyError, match="chmod 600"):
        load_audit_key(config)


async def test_verify_on_a_host_without_the_key_refuses_instead_of_making_one(db, database_url, tmp_path,
                                                                               monkeypatch):
    monkeypatch.delenv("YISHI_AUDIT_KEY", raising=False)
    await _append(db, 1)
    elsewhere = tmp_path / "other-host"
    result = await _cli(database_url, elsewhere, "verify")
    assert result.exit_code == 2 and "no audit key" in result.output
    assert not key_path(elsewhere).exists()


async def test_a_session_without_the_key_cannot_append(runtime, db):
    bare = make_sessionmaker(runtime.engine)
    async with bare() as session:
        with pytest.raises(RuntimeError, match="audit key"):
            await record(session, actor=None, action="x.y", object_type="thing", object_id=1)
    assert (await db.get(AuditHead, 1)).last_id == 0


# audit_entries as migration 0014 left it: no scheme column.
_PRE_KEY_TABLE = sa.table(
    "audit_entries", *(sa.column(name) for name in (
        "id", "actor_user_id", "actor_label", "region_code", "action", "object_type", "object_id", "prev_hash",
        "hash")),
    sa.column("at", UTCDateTime()), sa.column("before", sa.JSON()), sa.column("after", sa.JSON()))


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'legacy.sqlite3'}"
        return
    name = f"yishi_legacy_{os.getpid()}"
    pg_admin(f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}")
    yield pg_url(name)
    pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def test_entries_from_before_the_key_stay_verifiable_and_are_sealed_by_the_first_checkpoint(
        empty_database_url, tmp_path):
    await asyncio.to_thread(upgrade, empty_database_url, "0014")
    config = Config.from_env(database_url=empty_database_url, data_dir=tmp_path, broker_url=None)
    runtime = Runtime.build(config)
    try:
        async with runtime.sessions() as db:
            # Two entries as the old code wrote them: plain SHA-256, no scheme column yet.
            prev = "0" * 64
            at = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
            for entry_id in (1, 2):
                fields = dict(at=at, actor_user_id=None, actor_label="cli", region_code=None, action="role.grant",
                              object_type="role_grant", object_id=str(entry_id), before=None, after=None)
                digest = entry_hash(**fields, prev_hash=prev)
                await db.execute(_PRE_KEY_TABLE.insert().values(id=entry_id, prev_hash=prev, hash=digest, **fields))
                prev = digest
            await db.execute(text("UPDATE audit_head SET last_id = 2, last_hash = :h WHERE id = 1"), {"h": prev})
            await db.commit()
        await asyncio.to_thread(upgrade, empty_database_url)
        async with runtime.sessions() as db:
            assert (await db.scalars(select(AuditEntry.scheme).order_by(AuditEntry.id))).all() == ["sha256"] * 2
            await _append(db, 1)
            checkpoint, _ = await take_checkpoint(db)
            assert (checkpoint.entry_id, checkpoint.legacy_end) == (3, 2)
            report = await verify(db)
            assert report.ok and report.checked == 3
            # After the seal, an entry cannot pass itself off as legacy.
            await db.execute(text("UPDATE audit_entries SET scheme = 'sha256' WHERE id = 3"))
            await db.commit()
            await _rehash_from(db, 3, None)
            report = await verify(db)
            assert (report.ok, report.bad_entry_id) == (False, 3)
            assert "legacy part at entry 2" in report.detail
    finally:
        await runtime.close()
