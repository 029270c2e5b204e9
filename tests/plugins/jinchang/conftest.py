"""Jinchang on its real division codes: the shipped tenant file loaded, people
with grants, a client of the app. Time is fixed by core.clock."""
from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import pytest_asyncio

from core.region_context import region_context
from core import clock
from core.councils import service as councils
from core.councils.categories import FIXED_CATEGORIES, is_fixed
from core.councils.service import MemberData
from core.tenants.loader import TENANTS_DIR, load_tenants
from tests import walk
from tests.conftest import Seed
from tests.auth_helpers import app_client, bearer, login, make_user

T0 = datetime(2030, 5, 6, 1, 0, tzinfo=timezone.utc)  # 09:00 in Beijing, a Monday

CITY = "6203"                 # 金昌市
JINCHUAN = "620302"           # 金川区 (the tenant file sets core.notice_days = 10 here)
YONGCHANG = "620321"          # 永昌县
GUANGZHOU_ROAD = "620302006"  # 广州路街道
BAOYUNLI = "620302006003"     # 宝运里社区: the gas-pipe meeting of the report
BAOLINLI = "620302002002"     # 宝林里社区
HEXIBAO = "620321101"         # 河西堡镇
HUANGJIAQUAN = "620321101207"  # 黄家泉村: the 百姓议事厅 of the report
SHANGSIBA = "620321104206"    # 上四坝村 (东寨镇): the reservoir and the road of the report

GRANTS = {
    "chair": [("council_chair", BAOYUNLI)],
    "secretary": [("council_secretary", BAOYUNLI)],
    "member": [("council_member", BAOYUNLI)],
    "resident": [("resident", BAOYUNLI)],
    "street": [("street_staff", GUANGZHOU_ROAD)],
    "yc_chair": [("council_chair", HUANGJIAQUAN)],
    "yc_street": [("street_staff", HEXIBAO)],
    "jinchuan": [("district_admin", JINCHUAN)],
    "yongchang": [("district_admin", YONGCHANG)],
    "city": [("city_admin", CITY)],
}


class People:
    """Bearer headers by name; each account is made (with its GRANTS) on first use,
    since hashing passwords is the slowest part of arranging a test."""

    def __init__(self, db, client):
        self.db = db
        self.client = client
        self._made: set[str] = set()
        self._headers: dict[str, dict[str, str]] = {}

    async def __call__(self, name: str) -> dict[str, str]:
        if name not in self._made:
            await make_user(self.db, name, *GRANTS[name])
            self._made.add(name)
        if name not in self._headers:
            self._headers[name] = bearer(await login(self.client, name))
        return self._headers[name]

    async def again(self, name: str) -> dict[str, str]:
        """Log in anew, after the clock moved past the session's lifetime."""
        self._headers.pop(name, None)
        return await self(name)


def tenant_without_demo(tmp_path: Path) -> Path:
    """``tenants/jinchang.toml`` as shipped (plugins, settings, overrides, accounts)
    but without its ``[demo]`` table, if it has one: these tests count councils."""
    text = (TENANTS_DIR / "jinchang.toml").read_text(encoding="utf-8")
    head, _, _ = text.partition("\n[demo]")
    data = (TENANTS_DIR / "data" / CITY).as_posix()
    target = tmp_path / "jinchang.toml"
    target.write_text(head.replace("[city]\n", f'[city]\ndata = "{data}"\n', 1), encoding="utf-8")
    return target


async def _write_jinchang(runtime) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        await load_tenants(runtime, [tenant_without_demo(Path(scratch))])
    async with runtime.read_sessions() as db:
        for council in (BAOYUNLI, HUANGJIAQUAN):
            await walk.seat_council(db, runtime.plugins, council)
        await db.commit()


# Written once per backend (tests/conftest.py); loading the city was most of each test's setup.
JINCHANG = Seed("jinchang", T0, _write_jinchang)


@pytest.fixture
def database_seed(request) -> Seed | None:
    return JINCHANG if "jinchang" in request.fixturenames else None


@pytest_asyncio.fixture
async def jinchang(db, runtime):
    """The city as ``tenants/jinchang.toml`` ships it, and the two community councils
    most tests use seated with the fixed members of tests/walk.py (all at T0: the
    database is a copy of the JINCHANG template)."""
    clock.set_now(T0)
    return runtime


@pytest_asyncio.fixture
async def client(runtime, jinchang):
    async with app_client(runtime) as test_client:
        yield test_client


@pytest_asyncio.fixture
async def people(db, client):
    return People(db, client)


async def submit(client, headers, region: str, title: str, *, scale: str | None = None,
                 channel: str = "member", **extra) -> dict:
    body = {"title": title, "channel": channel, "category": "generic.yi.6", **extra}
    if scale is not None:
        body["scale"] = scale
    response = await client.post(f"/api/v1/regions/{region}/topics", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def act(client, headers, topic_id: int, action: str, **payload):
    """The raw response of an action (tests look at refusals too)."""
    return await client.post(f"/api/v1/topics/{topic_id}/actions/{action}", json=payload, headers=headers)


# -- 六有 evidence ---------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"


async def file_document(client, headers, region: str, kind: str) -> dict:
    """Upload a small real file at the region and file it as the council's ``kind`` document."""
    content, name, media = (PDF, f"{kind}.pdf", "application/pdf") if kind in ("rules", "activity_record") \
        else (PNG, f"{kind}.png", "image/png")
    uploaded = await client.post(f"/api/v1/regions/{region}/attachments", headers=headers,
                                 files={"file": (name, content, media)})
    assert uploaded.status_code == 201, uploaded.text
    filed = await client.post(f"/api/v1/regions/{region}/council/documents", headers=headers,
                              json={"kind": kind, "attachment_id": uploaded.json()["id"], "title": name})
    assert filed.status_code == 201, filed.text
    return filed.json()


async def seat_fixed(db, runtime, region: str, count: int) -> None:
    """Seat ``count`` more fixed members (of the seven kinds, each with a grid) today."""
    council = await councils.ensure_council(db, region)
    hooks = await region_context(db, runtime.plugins, region)
    kinds = list(FIXED_CATEGORIES)
    for n in range(count):
        await councils.add_member(db, council, MemberData(name=f"{region[-3:]}固定成员{n}", category=kinds[n % 7],
                                                          grid=f"第{n % 4 + 1}网格"), context=hooks)
    await db.commit()


async def hold_meeting(client, headers, region: str, starts_at: datetime) -> dict:
    body = {"form": "meeting", "kind": "deliberation", "place": "议事厅", "title": "协商议事会",
            "starts_at": starts_at.replace(microsecond=0).isoformat()}
    response = await client.post(f"/api/v1/regions/{region}/meetings", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def six_haves(client, headers, region: str, on: str | None = None) -> dict:
    """The 六有 result of the region's compliance answer, by item key."""
    url = f"/api/v1/regions/{region}/compliance" + (f"?on={on}" if on else "")
    response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    [result] = [r for r in response.json()["items"] if r["standard"] == "jinchang.six_haves"]
    return {"result": result, **{item["key"]: item for item in result["items"]}}


async def furnish(client, headers, db, runtime, region: str, *, fixed: int) -> dict[str, dict]:
    """Every piece of 六有 evidence for the council of ``region``; returns the documents by kind."""
    venue = await client.put(f"/api/v1/regions/{region}/council", headers=headers,
                             json={"venue": "村党群服务中心百姓议事厅"})
    assert venue.status_code == 200, venue.text
    documents = {kind: await file_document(client, headers, region, kind)
                 for kind in ("signage", "facilities", "rules")}
    council = await councils.ensure_council(db, region)
    term = await councils.current_term(db, council)
    serving = len([m for m in await councils.roster(db, term) if is_fixed(m.category)]) if term else 0
    await seat_fixed(db, runtime, region, fixed - serving)
    await hold_meeting(client, headers, region, T0 - timedelta(days=10))
    return documents
