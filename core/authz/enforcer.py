"""Deciding what a principal may do at a region.

Two questions, kept apart:

* *Reach*: does one of the principal's grants cover the target region? Codes
  are prefix-hierarchical, so this is a string prefix test on the grant's
  code (:func:`core.authz.roles.covers`), with no tree walk and no state per
  region; memory does not grow with the number of regions.
* *Permission*: may that grant's role perform the action in the target's
  city? That is casbin policy, stored in ``authz_policies`` so a city can be
  given its own rows without a deploy.

Casbin decisions are memoised per (role, city, action), a set bounded by
roles x cities x actions (a few thousand entries at national scale).
"""
from __future__ import annotations

import logging

import casbin
from casbin.model import Model
from casbin.persist import Adapter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.principal import Principal
from core.authz.roles import SUBTREE_ROLES, Role, covers
from core.authz.scope import _ISSUER, RegionScope
from core.models import AuthzPolicy

# The domain is a city code (the tenant); "*" in a policy row means every
# city, and the action "*" means every action (platform admin).
CASBIN_MODEL = """
[request_definition]
r = role, dom, act

[policy_definition]
p = role, dom, act

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.role == p.role && (p.dom == "*" || r.dom == p.dom) && (p.act == "*" || r.act == p.act)
"""

ANY_CITY = "*"


class RowsAdapter(Adapter):
    """Feeds casbin rows that were read beforehand.

    Casbin's adapter interface is synchronous while our database access is
    async, so the rows are fetched by :meth:`Authorizer.load` and handed over
    here; the adapter never touches the database itself.
    """

    def __init__(self) -> None:
        self.rows: list[tuple[str, ...]] = []

    def load_policy(self, model) -> None:
        for ptype, *values in self.rows:
            section = ptype[:1]
            if section in model.model and ptype in model.model[section]:
                # Trailing empty columns are padding of the v0..v5 table shape.
                while values and values[-1] == "":
                    values.pop()
                model.model[section][ptype].policy.append(list(values))

    # Policy is edited in the database, not through the enforcer.
    def save_policy(self, model) -> bool:  # pragma: no cover - never called
        raise NotImplementedError("authz policy is edited in the authz_policies table")


def _city_of(region_code: str | None) -> str:
    return region_code[:4] if region_code else ANY_CITY


# casbin prints its whole model and policy at INFO while an enforcer is built, before
# its enable_log=False takes effect; an operator's start-up log has no use for it.
for _name in ("casbin", "casbin.policy", "casbin.enforcer", "casbin.role"):
    logging.getLogger(_name).setLevel(logging.WARNING)


class Authorizer:
    def __init__(self) -> None:
        self._adapter = RowsAdapter()
        model = Model()
        model.load_model_from_text(CASBIN_MODEL)
        self._enforcer = casbin.Enforcer(model, self._adapter)
        self._memo: dict[tuple[Role, str, str], bool] = {}
        self.loaded = False

    async def load(self, session: AsyncSession) -> None:
        """(Re)read the policy rows and forget every memoised decision."""
        result = await session.execute(select(
            AuthzPolicy.ptype, AuthzPolicy.v0, AuthzPolicy.v1, AuthzPolicy.v2,
            AuthzPolicy.v3, AuthzPolicy.v4, AuthzPolicy.v5).order_by(AuthzPolicy.id))
        self._adapter.rows = [tuple(row) for row in result]
        self._enforcer.load_policy()
        self._memo.clear()
        self.loaded = True

    async def reload(self, session: AsyncSession) -> None:
        """Pick up policy edits made in the database."""
        await self.load(session)

    def role_may(self, role: Role, city: str, action: str) -> bool:
        """Whether casbin allows ``role`` to do ``action`` in ``city`` (memoised)."""
        key = (role, city, action)
        decision = self._memo.get(key)
        if decision is None:
            if not self.loaded:
                raise RuntimeError("Authorizer used before load()")
            decision = bool(self._enforcer.enforce(role.value, city, action))
            self._memo[key] = decision
        return decision

    def visible(self, principal: Principal, region_code: str) -> bool:
        """Whether any grant reaches the region (what a 404 vs not-404 hinges on)."""
        return any(covers(role, where, region_code) for role, where in principal.grants)

    def allowed(self, principal: Principal, action: str, region_code: str) -> bool:
        """Whether some grant both reaches ``region_code`` and permits ``action`` there."""
        city = region_code[:4]
        for role, where in principal.grants:
            if covers(role, where, region_code) and self.role_may(role, city, action):
                return True
        return False

    def scope(self, principal: Principal, action: str | None = None) -> RegionScope:
        """The regions ``principal`` sees; with ``action``, only through grants permitting it.

        A grant's city is known from its own code (every region it reaches is
        in that city), so the casbin question is per grant, not per region.
        Platform admin reaches every city, so its rows must use domain "*".
        """
        everything = False
        prefixes: list[str] = []
        codes: list[str] = []
        for role, where in principal.grants:
            if action is not None and not self.role_may(role, _city_of(where), action):
                continue
            if role is Role.platform_admin:
                everything = True
            elif where is None:
                continue
            elif role in SUBTREE_ROLES:
                prefixes.append(where)
            else:
                codes.append(where)
        return RegionScope(issuer=_ISSUER, everything=everything, prefixes=prefixes, codes=codes)


async def get_authorizer(runtime) -> Authorizer:
    """The runtime's authorizer, loaded from the database on first use."""
    authorizer = runtime.extras.get("authz")
    if authorizer is None:
        authorizer = runtime.extras.setdefault("authz", Authorizer())
    if not authorizer.loaded:
        # Two first requests racing here both load the same rows; harmless.
        # Read-only, so a handler may call this inside its own writing transaction on SQLite.
        async with runtime.read_sessions() as session:
            await authorizer.load(session)
    return authorizer
