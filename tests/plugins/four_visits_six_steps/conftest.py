"""The county practice of seed 004 at 城关镇 (永昌县), as ``tenants/jinchang.toml`` ships
it: the tenant file loaded once per backend, one community's council seated the
way the report describes it, people with grants, a client of the app. Time is
fixed by core.clock."""
from __future__ import annotations

import tempfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select

from core import clock
from core.auth.service import principal_of
from core.authz.enforcer import Authorizer
from core.councils import service as councils
from core.councils.service import MemberData
from core.db import transaction
from core.models import User
from core.region_context import region_context
from core.tenants.loader import TENANTS_DIR, load_tenants
from core.topics import service as topics
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.conftest import Seed

T0 = datetime(2030, 5, 6, 1, 0, tzinfo=timezone.utc)  # 09:00 in Beijing, a Monday

SEEDS_DIR = Path(__file__).resolve().parents[4] / "shared" / "seeds"

CITY = "6203"                  # 金昌市
YONGCHANG = "620321"           # 永昌县
CHENGGUAN = "620321100"        # 城关镇: the plugin is on here (tenants/jinchang.toml)
YONGFUYUAN = "620321100001"    # 永福苑社区: its council seated as the report describes
CHANGKANGYUAN = "620321100002"  # 昌康苑社区: no council yet
HUANGJIAQUAN = "620321101207"  # 黄家泉村 (河西堡镇): the same county, Jinchang's rules only
BAOYUNLI = "620302006003"      # 宝运里社区 (金川区): Jinchang's rules only

# The fixed members of 004 §一, "1+7+X" with the deputy secretary in the chair:
# (name, category, extra fields). Eight, the plugin's default 有固定成员 minimum.
ROSTER = (
    ("社区党委副书记", "party_committee", {"role_in_council": "chair", "is_cadre": True}),
    ("社区党委书记", "party_secretary", {"is_cadre": True}),
    ("居委会主任", "residents_committee", {"is_cadre": True, "is_residents_committee_director": True}),
    ("监委会主任", "supervisory_committee", {"is_supervisory_director": True}),
    ("政协委员", "deputies", {"is_cppcc": True}),
    ("群众代表", "resident", {"grid": "第一网格"}),
    ("业主委员会代表", "organisation", {}),
    ("社区卫生站医生", "organisation", {}),
)

GRANTS = {
    "chair": [("council_chair", YONGFUYUAN)],
    "member": [("council_member", YONGFUYUAN)],
    "resident": [("resident", YONGFUYUAN)],
    "street": [("street_staff", CHENGGUAN)],
    "other_chair": [("council_chair", CHANGKANGYUAN)],
    "jinchuan_chair": [("council_chair", BAOYUNLI)],
    "village_chair": [("council_chair", HUANGJIAQUAN)],
    "county": [("district_admin", YONGCHANG)],
}

# The whole topic-selection standard, as an admission confirms it.
STANDARD = ["small_entry", "high_aim", "wide_links"]


def seed_text() -> str:
    [found] = sorted(SEEDS_DIR.glob("004_*.txt"))
    return found.read_text(encoding="utf-8")


def member(name: str, category: str, **extra) -> MemberData:
    return MemberData(name=name, category=category, **extra)


async def seat(db, plugins, region: str, members) -> list:
    """Seat ``members`` (MemberData) at the council of ``region``; the roster changes, committed."""
    council = await councils.ensure_council(db, region)
    context = await region_context(db, plugins, region)
    changes = [await councils.add_member(db, council, data, context=context) for data in members]
    await db.commit()
    return changes


def tenant_without_demo(tmp_path: Path) -> Path:
    """``tenants/jinchang.toml`` as shipped, but without its ``[demo]`` table."""
    text = (TENANTS_DIR / "jinchang.toml").read_text(encoding="utf-8")
    head, _, _ = text.partition("\n[demo]")
    data = (TENANTS_DIR / "data" / CITY).as_posix()
    target = tmp_path / "jinchang.toml"
    target.write_text(head.replace("[city]\n", f'[city]\ndata = "{data}"\n', 1), encoding="utf-8")
    return target


async def _write(runtime) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        await load_tenants(runtime, [tenant_without_demo(Path(scratch))])
    async with runtime.read_sessions() as db:
        await seat(db, runtime.plugins, YONGFUYUAN, [member(n, c, **x) for n, c, x in ROSTER])


# Written once per backend (tests/conftest.py): loading the city is most of a test's setup.
COUNTY = Seed("four_visits_six_steps", T0, _write)


@pytest.fixture
def database_seed(request) -> Seed | None:
    return COUNTY if "county" in request.fixturenames else None


@pytest_asyncio.fixture
async def county(db, runtime):
    """The city as shipped, with 永福苑社区's council seated (a copy of the COUNTY template)."""
    clock.set_now(T0)
    return runtime


@pytest_asyncio.fixture
async def client(runtime, county):
    async with app_client(runtime) as test_client:
        yield test_client


class People:
    """Bearer headers and service principals by name; each account is made (with
    its GRANTS) on first use."""

    def __init__(self, db, client):
        self.db = db
        self.client = client
        self._headers: dict[str, dict[str, str]] = {}

    async def _made(self, name: str) -> User:
        user = await self.db.scalar(select(User).where(User.username == name))
        if user is None:
            user = await make_user(self.db, name, *GRANTS[name])
        return user

    async def __call__(self, name: str) -> dict[str, str]:
        if name not in self._headers:
            await self._made(name)
            self._headers[name] = bearer(await login(self.client, name))
        return self._headers[name]

    async def again(self, name: str) -> dict[str, str]:
        """Log in anew, after the clock moved past the session's lifetime."""
        self._headers.pop(name, None)
        return await self(name)

    async def principal(self, name: str):
        user = await self._made(name)
        # Reloaded so the grants come with the user, as a login loads them.
        return principal_of(await self.db.scalar(select(User).where(User.id == user.id)
                                                 .execution_options(populate_existing=True)))


@pytest_asyncio.fixture
async def people(db, client):
    return People(db, client)


async def submit(client, headers, region: str, title: str, *, channel: str = "on_behalf",
                 category: str = "four_visits_six_steps.yi.7", **extra) -> dict:
    body = {"title": title, "channel": channel, "category": category, "scale": "minor", **extra}
    if channel == "on_behalf":
        # Staff enter a resident's topic: what a home visit or a phone call brings in.
        body.setdefault("proposer_name", "王大妈")
    response = await client.post(f"/api/v1/regions/{region}/topics", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def act(client, headers, topic_id: int, action: str, **payload):
    """The raw response of an action over HTTP (tests look at refusals too)."""
    return await client.post(f"/api/v1/topics/{topic_id}/actions/{action}", json=payload, headers=headers)


async def admit(db, runtime, people, who: str, topic_id: int, **payload):
    """The admission, through the topic service in a transaction of its own: the HTTP
    body (core.topics.schemas.TopicAction) has no ``selection_standard`` or ``source``
    field yet. Committed when it succeeds, rolled back when it raises."""
    principal = await people.principal(who)
    authorizer = Authorizer()
    await authorizer.load(db)
    await db.commit()
    async with transaction(runtime.sessions) as session:
        await topics.perform_action(session, principal, topic_id, "admit", {"selection_standard": STANDARD, **payload},
                                    plugins=runtime.plugins, authorizer=authorizer)
