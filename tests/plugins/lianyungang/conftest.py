"""A slice of the real 连云港市 tree (tenants/data/3207) with the plugin enabled, and builders
for homes, their members and their activities."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core.region_context import region_context
from core import clock
from core.auth.service import principal_of
from core.consultation import service as consultation
from core.councils import service as councils
from core.councils.service import MemberData
from core.models import RegionPlugin, User
from plugins.lianyungang import homes
from tests.auth_helpers import make_user
from tests.conftest import Seed
from tests.helpers import add_regions

CITY = "3207"                        # 连云港市
LIANYUN = "320703"                   # 连云区
XUGOU = "320703001"                  # 墟沟街道
DONGYUAN = "320703001001"            # 东园社区居委会
XIYUAN = "320703001006"              # 西园社区居委会
YUANQIAN = "320703001007"            # 院前社区居委会
BINHAI = "320703001008"              # 滨海社区居委会
NANXIANG = "320703001009"            # 南巷社区居委会
LIANYUN_STREET = "320703003"         # 连云街道
SHENGLI = "320703003001"             # 胜利社区居委会
DONGHAI = "320722"                   # 东海县
NIUSHAN = "320722001"                # 牛山街道
NIUSHAN_COMMUNITY = "320722001001"   # 牛山社区居民委员会
BAITABU = "320722101"                # 白塔埠镇
BAITA = "320722101200"               # 白塔村委会
HAIZHOU = "320706"                   # 海州区
XIMEN = "320706001001"               # 西门社区居委会 (朐阳街道)

TREE = [
    (CITY, "连云港市"),
    (LIANYUN, "连云区"),
    (XUGOU, "墟沟街道"),
    (DONGYUAN, "东园社区居委会"),
    (XIYUAN, "西园社区居委会"),
    (YUANQIAN, "院前社区居委会"),
    (BINHAI, "滨海社区居委会"),
    (NANXIANG, "南巷社区居委会"),
    (LIANYUN_STREET, "连云街道"),
    (SHENGLI, "胜利社区居委会"),
    (DONGHAI, "东海县"),
    (NIUSHAN, "牛山街道"),
    (NIUSHAN_COMMUNITY, "牛山社区居民委员会"),
    (BAITABU, "白塔埠镇"),
    (BAITA, "白塔村委会"),
    (HAIZHOU, "海州区"),
    ("320706001", "朐阳街道"),
    (XIMEN, "西门社区居委会"),
    # Another city, where the plugin is off.
    ("3302", "宁波市"),
    ("330203", "海曙区"),
    ("330203001", "月湖街道"),
    ("330203001001", "青石社区"),
]


async def write_lyg(db) -> None:
    await add_regions(db, *TREE)
    db.add(RegionPlugin(region_code=CITY, plugin="lianyungang", enabled=True))
    await db.commit()


async def _write_lyg_seed(runtime) -> None:
    async with runtime.read_sessions() as db:
        await write_lyg(db)


# The modules' own clock (1 July 2026, 10:00 in Beijing); nothing here reads the rows' timestamps.
LYG = Seed("lianyungang", datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc), _write_lyg_seed)


@pytest.fixture
def database_seed(request) -> Seed | None:
    # Only for tests that ask for the tree (tests/conftest.py); a module may narrow this further.
    return LYG if "lyg" in request.fixturenames else None


@pytest.fixture
def lyg() -> None:
    """The tree, with the plugin enabled at the city: the database is a copy of the LYG template."""


async def principal(db, username: str, *grants: tuple[str, str]):
    user = await make_user(db, username, *grants)
    user = await db.scalar(select(User).where(User.id == user.id).execution_options(populate_existing=True))
    return principal_of(user)


async def designate(db, runtime, code: str, designated_on: date | None = None):
    row = await homes.designate(db, runtime.plugins, None, code, designated_on)
    await db.commit()
    return row


async def seat(db, runtime, code: str, *, cppcc: int = 3, head_user_id: int | None = None,
               head_is_cppcc: bool = True, joined_on: date | None = None) -> None:
    """Seat ``cppcc`` CPPCC members (the first one the head, unless ``cppcc`` is 0) and a party secretary."""
    council = await councils.ensure_council(db, code)
    hooks = await region_context(db, runtime.plugins, code)
    joined_on = joined_on or clock.today() - timedelta(days=30)
    await councils.add_member(db, council, MemberData(name="党组织书记", category="party_secretary",
                                                     joined_on=joined_on), context=hooks)
    for n in range(cppcc):
        head = n == 0
        await councils.add_member(db, council, MemberData(
            name=f"政协委员{n + 1}", category="deputies", is_cppcc=head_is_cppcc or not head,
            role_in_council="head" if head else "member", user_id=head_user_id if head else None,
            joined_on=joined_on), context=hooks)
    await db.commit()


async def hold_meeting(db, code: str, starts_at: datetime) -> None:
    """A consultation activity of the council of ``code`` (counted once its start has passed)."""
    await consultation.create_meeting(db, None, code, {"form": "meeting", "kind": "deliberation",
                                                       "place": "协商民主之家", "starts_at": starts_at.isoformat()})
    await db.commit()
