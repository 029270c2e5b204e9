"""Who is asking: the logged-in user and the roles they hold, frozen.

A Principal is built once per request from the database and then only read;
being immutable and hashable it can be shared with any code the request
calls without that code being able to widen its own rights.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.authz.roles import Role

Grant = tuple[Role, "str | None"]


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    grants: tuple[Grant, ...] = ()

    @property
    def is_platform_admin(self) -> bool:
        return any(role is Role.platform_admin for role, _ in self.grants)

    def roles(self) -> frozenset[Role]:
        return frozenset(role for role, _ in self.grants)
