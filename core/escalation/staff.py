"""Whom the escalation views show what, by role reach alone (no casbin: the view
hooks get no authorizer; this only decides what is *shown*)."""
from __future__ import annotations

from collections.abc import Iterable

from core.authz.principal import Principal
from core.authz.roles import Role, covers

# Who handles topics at a council and may therefore see what the platform
# suggests about them (similar topics, invitees). Matches the topic
# service's handlers.
STAFF_ROLES = frozenset({Role.platform_admin, Role.city_admin, Role.district_admin, Role.street_staff,
                         Role.council_chair, Role.council_secretary})


def staff_at(principal: Principal | None, region_code: str) -> bool:
    """Whether the caller handles topics at ``region_code`` (role reach, no casbin:
    the view hooks get no authorizer; this only decides what is *shown*)."""
    if principal is None:
        return False
    return any(role in STAFF_ROLES and covers(role, where, region_code) for role, where in principal.grants)


def reaches(principal: Principal | None, region_codes: Iterable[str]) -> bool:
    if principal is None:
        return False
    return any(covers(role, where, code) for role, where in principal.grants for code in region_codes)
