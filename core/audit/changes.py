"""Audit entries for changes made outside this package (role grants, settings).

The owners of those changes call these right after making them, in the same
transaction, so the grant and its audit entry commit together.
"""
from __future__ import annotations

from typing import Any

from core.audit.service import record
from core.models.audit import AuditEntry


def _grant_snapshot(user_id: int, username: str, role: str, region_code: str | None) -> dict:
    return {"user_id": user_id, "username": username, "role": role, "region_code": region_code}


async def record_role_grant(session, *, actor: Any, user_id: int, username: str, role: str,
                            region_code: str | None, grant_id: int | None = None) -> AuditEntry:
    """A role newly granted (call only when a grant row was created, not for a no-op re-grant)."""
    return await record(session, actor=actor, action="role.grant", object_type="role_grant",
                        object_id=grant_id if grant_id is not None else f"{user_id}:{role}:{region_code or '*'}",
                        region_code=region_code, before=None,
                        after=_grant_snapshot(user_id, username, role, region_code))


async def record_role_revoke(session, *, actor: Any, user_id: int, username: str, role: str,
                             region_code: str | None) -> AuditEntry:
    """A role taken away (call only when a grant row was actually removed)."""
    return await record(session, actor=actor, action="role.revoke", object_type="role_grant",
                        object_id=f"{user_id}:{role}:{region_code or '*'}", region_code=region_code,
                        before=_grant_snapshot(user_id, username, role, region_code), after=None)


async def record_setting_change(session, *, actor: Any, region_code: str, key: str, before: Any,
                                after: Any) -> AuditEntry:
    """A region setting set, changed or cleared (``None`` for "not set here")."""
    return await record(session, actor=actor, action="setting.set" if after is not None else "setting.clear",
                        object_type="region_setting", object_id=f"{region_code}:{key}", region_code=region_code,
                        before=None if before is None else {"value": before},
                        after=None if after is None else {"value": after})
