"""Reading regions. Every function takes a RegionScope, so none can return a
region outside the caller's reach."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.scope import RegionScope
from core.errors import FieldError, validation_failed
from core.models import Region
from core.models.region import subtree_upper_bound

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
MIN_QUERY_LENGTH = 2
MAX_QUERY_LENGTH = 50


@dataclass(frozen=True)
class Paging:
    page: int
    page_size: int

    @classmethod
    def checked(cls, page: int, page_size: int) -> "Paging":
        errors = []
        if page < 1:
            errors.append(FieldError("page", "页码须为正整数", "page must be a positive integer"))
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            errors.append(FieldError("page_size", f"每页条数须在 1 到 {MAX_PAGE_SIZE} 之间",
                                     f"page_size must be between 1 and {MAX_PAGE_SIZE}"))
        if errors:
            raise validation_failed(*errors)
        return cls(page, page_size)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def region_dict(region: Region) -> dict[str, Any]:
    return {
        "code": region.code,
        "name": region.name,
        "level": region.level,
        "parent_code": region.parent_code,
        "city_code": region.city_code,
        "active": region.active,
        "unit_kind": region.unit_kind or None,
    }


async def _page(session: AsyncSession, condition, paging: Paging) -> dict[str, Any]:
    total = await session.scalar(select(func.count()).select_from(Region).where(condition))
    rows = await session.scalars(select(Region).where(condition).order_by(Region.code)
                                 .offset(paging.offset).limit(paging.page_size))
    return {"items": [region_dict(r) for r in rows], "total": total or 0,
            "page": paging.page, "page_size": paging.page_size}


async def get_region(session: AsyncSession, scope: RegionScope, code: str) -> dict[str, Any] | None:
    """The region with its count of children in scope, or None when missing or out of reach."""
    region = await session.scalar(select(Region).where(Region.code == code, scope.where(Region.code)))
    if region is None:
        return None
    children = await session.scalar(select(func.count()).select_from(Region).where(
        Region.parent_code == code, scope.where(Region.code)))
    return {**region_dict(region), "children_count": children or 0}


async def list_children(session: AsyncSession, scope: RegionScope, code: str, paging: Paging) -> dict[str, Any]:
    # A council role at a street sees the street but not its communities,
    # hence the scope on the children too.
    return await _page(session, and_(Region.parent_code == code, scope.where(Region.code)), paging)


def check_query(q: str | None) -> str:
    q = (q or "").strip()
    if len(q) < MIN_QUERY_LENGTH or len(q) > MAX_QUERY_LENGTH:
        raise validation_failed(FieldError(
            "q", f"搜索词须为 {MIN_QUERY_LENGTH}–{MAX_QUERY_LENGTH} 个字符（名称片段或代码前缀）",
            f"q must have {MIN_QUERY_LENGTH}–{MAX_QUERY_LENGTH} characters (part of a name or a code prefix)"))
    return q


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search_regions(session: AsyncSession, scope: RegionScope, q: str, paging: Paging, *,
                         within: str | None = None) -> dict[str, Any]:
    """Regions in scope whose code starts with ``q`` (all digits) or whose name contains it;
    ``within``: only below that region (a region page searches its own subtree)."""
    q = check_query(q)
    if q.isdigit():
        match = and_(Region.code >= q, Region.code < subtree_upper_bound(q))
    else:
        match = Region.name.like(f"%{_escape_like(q)}%", escape="\\")
    if within is not None:
        match = and_(match, Region.code > within, Region.code < subtree_upper_bound(within))
    return await _page(session, and_(match, scope.where(Region.code)), paging)
