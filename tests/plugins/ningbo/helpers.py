"""What the Ningbo tests share: the real tenant file, people at real division
codes, and an HTTP client that walks topics and files council documents."""
from __future__ import annotations

from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from core import clock
from core.clock import CHINA_TZ
from core.tenants.loader import TENANTS_DIR, load_tenants
from tests.auth_helpers import app_client, bearer, login, make_user

NINGBO_TOML = TENANTS_DIR / "ningbo.toml"

# Real codes (tenants/data/3302).
CITY = "3302"                      # 宁波市
HAISHU = "330203"                  # 海曙区
NANMEN = "330203001"               # 南门街道
CHENGLANG = "330203001001"         # 澄浪社区
LIUJIN = "330203001002"            # 柳锦社区, same street
WANAN = "330203001003"             # 万安社区, same street
JIANGXIA_XINJIE = "330203002001"   # 新街社区, 江厦街道
JIANGBEI = "330205"                # 江北区 (generic procedure in the tenant file)
WAITAN = "330205001"               # 外滩街道
BEILUN = "330206"                  # 北仑区
HAIWAN = "330206001001"            # 海湾居委会, 大榭街道

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"

# 1+7+X: the "1" and all seven fixed kinds (the secretary counts with the party organisation).
SEVEN_KINDS = (("党组织书记", "party_secretary"), ("居委会主任", "residents_committee"),
               ("监委会主任", "supervisory_committee"), ("区人大代表", "deputies"), ("社区法律顾问", "legal_worker"),
               ("物业公司代表", "organisation"), ("老党员", "resident"))


def fixed_now() -> datetime:
    # Monday 2024-06-03, 10:00 in Beijing.
    return datetime(2024, 6, 3, 2, 0, tzinfo=timezone.utc)


def local(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).replace(tzinfo=None, microsecond=0).isoformat()


def tenant_without_demo(tmp_path: Path) -> Path:
    """``tenants/ningbo.toml`` as shipped (plugins, settings, overrides, accounts)
    without its ``[demo]`` table: these tests arrange and count their own councils."""
    text = NINGBO_TOML.read_text(encoding="utf-8")
    head, _, _ = text.partition("\n[demo]")
    data = (TENANTS_DIR / "data" / CITY).as_posix()
    target = tmp_path / "ningbo.toml"
    target.write_text(head.replace("[city]\n", f'[city]\ndata = "{data}"\n', 1), encoding="utf-8")
    return target


async def load_ningbo(runtime, tmp_path: Path) -> None:
    """The shipped tenant file (less its demo), as ``yishi tenants load`` applies it."""
    await load_tenants(runtime, [tenant_without_demo(tmp_path)])


def grants_at(community: str = CHENGLANG) -> dict[str, list[tuple[str, str]]]:
    """Accounts at real Ningbo codes (the tenant's own demo accounts stay untouched)."""
    return {
        "chair": [("council_chair", community)],
        "member": [("council_member", community)],
        "resident": [("resident", community)],
        "supervisor": [("supervisor", community)],
        "street": [("street_staff", community[:9])],
        "district": [("district_admin", community[:6])],
        "jiangbei": [("district_admin", JIANGBEI)],
        "beilun": [("district_admin", BEILUN)],
        "city": [("city_admin", CITY)],
    }


class Api:
    """The API as named people use it; each account is made on first use
    (hashing passwords is the slowest part of arranging a test)."""

    def __init__(self, client, db, grants: dict[str, list[tuple[str, str]]]):
        self.client = client
        self.db = db
        self.grants = grants
        self.made: set[str] = set()
        self.tokens: dict[str, dict[str, str]] = {}

    async def auth(self, who: str) -> dict[str, str]:
        if who not in self.made:
            await make_user(self.db, who, *self.grants[who])
            self.made.add(who)
        if who not in self.tokens:
            self.tokens[who] = bearer(await login(self.client, who))
        return self.tokens[who]

    async def user_id(self, who: str) -> int:
        from sqlalchemy import select

        from core.models import User

        await self.auth(who)
        return await self.db.scalar(select(User.id).where(User.username == who))

    async def _send(self, method: str, who: str, path: str, **kw):
        response = await self.client.request(method, f"/api/v1{path}", headers=await self.auth(who), **kw)
        if response.status_code == 401:
            # The clock moved past the session's lifetime: log in again, as a user would.
            self.tokens.pop(who, None)
            response = await self.client.request(method, f"/api/v1{path}", headers=await self.auth(who), **kw)
        return response

    async def get(self, who: str, path: str, **params):
        return await self._send("GET", who, path, params=params)

    async def post(self, who: str, path: str, body: Any = None):
        return await self._send("POST", who, path, json=body)

    async def put(self, who: str, path: str, body: Any = None):
        return await self._send("PUT", who, path, json=body)

    async def delete(self, who: str, path: str):
        return await self._send("DELETE", who, path)

    async def ok(self, response, status: int = 200) -> dict:
        assert response.status_code == status, f"{response.status_code} {response.text}"
        return response.json()

    async def submit(self, who: str, region: str, title: str = "小区停车难", **extra) -> dict:
        return await self.ok(await self.post(who, f"/regions/{region}/topics", {
            "title": title, "description": "夜间车位不足，居民反映强烈", "channel": "member",
            "category": "ningbo.yi.2", **extra}), 201)

    async def act(self, who: str, topic_id: int, action: str, **payload) -> dict:
        return await self.ok(await self.post(who, f"/topics/{topic_id}/actions/{action}", payload))

    async def refused(self, who: str, topic_id: int, action: str, status: int = 409, **payload) -> dict:
        response = await self.post(who, f"/topics/{topic_id}/actions/{action}", payload)
        assert response.status_code == status, f"{action}: {response.status_code} {response.text}"
        return response.json()["error"]

    async def file_document(self, who: str, region: str, kind: str) -> dict:
        uploaded = await self._send("POST", who, f"/regions/{region}/attachments",
                                    files={"file": (f"{kind}.pdf", PDF, "application/pdf")})
        assert uploaded.status_code == 201, uploaded.text
        return await self.ok(await self.post(who, f"/regions/{region}/council/documents",
                                             {"kind": kind, "attachment_id": uploaded.json()["id"],
                                              "title": f"澄浪社区{kind}"}), 201)

    async def seat(self, who: str, region: str, members=SEVEN_KINDS, joined_on: str | None = None) -> dict[str, int]:
        joined_on = joined_on or (clock.now().astimezone(CHINA_TZ).date() - timedelta(days=60)).isoformat()
        seated = {}
        for name, category in members:
            body = await self.ok(await self.post(who, f"/regions/{region}/council/members",
                                                 {"name": name, "category": category, "joined_on": joined_on}), 201)
            seated[name] = body["member"]["id"]
        return seated

    async def meeting(self, who: str, region: str, starts_at: datetime, **extra) -> dict:
        return await self.ok(await self.post(who, f"/regions/{region}/meetings", {
            "form": "meeting", "kind": "deliberation", "place": "社区议事厅", "starts_at": local(starts_at),
            "plan": "议事方案：增设夜间临时车位", **extra}), 201)

    async def hold_vote(self, who: str, meeting_id: int, topic_id: int) -> dict:
        """Every invited council member attends and votes for the topic."""
        shown = await self.ok(await self.get(who, f"/meetings/{meeting_id}"))
        present = [{"member_id": p["member_id"]} for p in shown["participants"] if p["member_id"] is not None]
        await self.ok(await self.post(who, f"/meetings/{meeting_id}/attendance", {"present": present}))
        return await self.ok(await self.post(who, f"/meetings/{meeting_id}/votes", {
            "topic_id": topic_id, "tallies": {"for": len(present)}, "resolution": "按议事方案实施"}))


@asynccontextmanager
async def api_for(runtime, db, grants: dict[str, list[tuple[str, str]]] | None = None):
    async with app_client(runtime) as client:
        yield Api(client, db, grants or grants_at())


def resolution(**extra) -> dict[str, Any]:
    deadline = (clock.now().astimezone(CHINA_TZ).date() + timedelta(days=30)).isoformat()
    return {"note": "议事会表决通过", "form": "resolution", "responsible_party": "社区居委会", "deadline": deadline,
            **extra}


RESEARCH = {"note": "实地查看", "method": ["site_visit"], "findings": "夜间车位缺口约 40 个",
            "draft_plan": "利用周边空地增设临时车位"}
