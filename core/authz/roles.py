"""Roles, where they may be granted, and what they cover.

Admin and staff roles cover the whole subtree of the region they are
granted at; council roles cover their own council's region only.
What a role may *do* is casbin policy (``authz_policies``), not code.
"""
from __future__ import annotations

import enum

from core.models.region import RegionLevel


class Role(str, enum.Enum):
    platform_admin = "platform_admin"
    city_admin = "city_admin"
    district_admin = "district_admin"
    street_staff = "street_staff"
    council_chair = "council_chair"
    council_secretary = "council_secretary"
    council_member = "council_member"
    cppcc_member = "cppcc_member"
    supervisor = "supervisor"
    resident = "resident"


ROLE_LABELS = {
    Role.platform_admin: ("平台管理员", "platform admin"),
    Role.city_admin: ("市级管理员", "city admin"),
    Role.district_admin: ("区县管理员", "district admin"),
    Role.street_staff: ("街道工作人员", "street staff"),
    Role.council_chair: ("议事会召集人", "council chair"),
    Role.council_secretary: ("议事会秘书", "council secretary"),
    Role.council_member: ("议事会成员", "council member"),
    Role.cppcc_member: ("政协委员", "CPPCC member"),
    Role.supervisor: ("监委会成员", "supervisory committee member"),
    Role.resident: ("居民", "resident"),
}

SUBTREE_ROLES = frozenset({Role.platform_admin, Role.city_admin, Role.district_admin, Role.street_staff})

_ALL_LEVELS = frozenset(RegionLevel)
GRANT_LEVELS: dict[Role, frozenset[RegionLevel]] = {
    Role.platform_admin: frozenset(),  # global: granted with no region
    Role.city_admin: frozenset({RegionLevel.city}),
    Role.district_admin: frozenset({RegionLevel.district}),
    Role.street_staff: frozenset({RegionLevel.street}),
    Role.council_chair: _ALL_LEVELS,
    Role.council_secretary: _ALL_LEVELS,
    Role.council_member: _ALL_LEVELS,
    Role.cppcc_member: _ALL_LEVELS,
    Role.supervisor: frozenset({RegionLevel.street, RegionLevel.community}),
    Role.resident: frozenset({RegionLevel.community}),
}


def covers(role: Role, grant_region: str | None, target_region: str) -> bool:
    """Whether a grant of ``role`` at ``grant_region`` reaches ``target_region``."""
    if role is Role.platform_admin:
        return True
    if grant_region is None:
        return False
    if role in SUBTREE_ROLES:
        return target_region.startswith(grant_region)
    return target_region == grant_region
