"""Small builders for test data, shared by the test modules."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Region
from core.models.region import level_of_code


async def add_regions(session: AsyncSession, *entries: tuple[str, str]) -> None:
    """Insert regions given as (code, name), parents before children."""
    for code, name in entries:
        level = level_of_code(code)
        assert level is not None, code
        parent = {6: code[:4], 9: code[:6], 12: code[:9]}.get(len(code))
        session.add(Region(code=code, name=name, level=level.value, parent_code=parent, city_code=code[:4]))
        await session.flush()
    await session.commit()


# Two cities, enough shape for every isolation test: city > 2 districts >
# streets > communities, plus a second city.
SMALL_TREE = [
    ("3302", "宁波市"),
    ("330203", "海曙区"),
    ("330203001", "月湖街道"),
    ("330203001001", "青石社区"),
    ("330203001002", "天一社区"),
    ("330203002", "鼓楼街道"),
    ("330203002001", "中山社区"),
    ("330205", "江北区"),
    ("330205001", "中马街道"),
    ("330205001001", "白沙社区"),
    ("6205", "天水市"),
    ("620502", "秦州区"),
    ("620502001", "大城街道"),
    ("620502001001", "进步巷社区"),
]
