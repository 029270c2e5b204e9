"""Region scoping in one place.

A :class:`RegionScope` is the set of regions a caller may see, expressed as
subtree prefixes (admin and staff roles) and single codes (council roles).
Only the authorizer makes one (see :meth:`core.authz.enforcer.Authorizer.scope`);
query functions take a RegionScope instead of a principal, so a query cannot
forget to restrict itself to the caller's tenant.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, false, or_, true
from sqlalchemy.sql.elements import ColumnElement

from core.models.region import subtree_upper_bound

# Held by the authorizer module; a scope built without it is refused so that
# no handler can hand-roll a wider scope than its principal has.
_ISSUER = object()


class RegionScope:
    __slots__ = ("everything", "prefixes", "codes")

    def __init__(self, *, issuer: object, everything: bool = False,
                 prefixes: Iterable[str] = (), codes: Iterable[str] = ()) -> None:
        if issuer is not _ISSUER:
            raise TypeError("RegionScope is issued by the Authorizer only")
        self.everything = everything
        # A prefix inside another prefix adds nothing to the SQL but an OR term.
        kept: list[str] = []
        for prefix in sorted(set(prefixes), key=len):
            if not any(prefix.startswith(k) for k in kept):
                kept.append(prefix)
        self.prefixes: tuple[str, ...] = tuple(sorted(kept))
        self.codes: tuple[str, ...] = tuple(sorted(
            c for c in set(codes) if not any(c.startswith(p) for p in self.prefixes)))

    @property
    def is_empty(self) -> bool:
        return not (self.everything or self.prefixes or self.codes)

    def contains(self, code: str) -> bool:
        if self.everything:
            return True
        return code in self.codes or any(code.startswith(p) for p in self.prefixes)

    def where(self, column) -> ColumnElement[bool]:
        """A condition keeping only rows whose region code ``column`` is in scope.

        Subtrees are written as ranges rather than LIKE so that an ordinary
        B-tree index on the code column serves them (codes use the "C"
        collation on PostgreSQL, so the range equals "starts with").
        """
        if self.everything:
            return true()
        terms: list[ColumnElement[bool]] = [
            and_(column >= prefix, column < subtree_upper_bound(prefix)) for prefix in self.prefixes
        ]
        if self.codes:
            terms.append(column.in_(self.codes))
        if not terms:
            return false()
        return or_(*terms)

    def __repr__(self) -> str:
        if self.everything:
            return "RegionScope(everything)"
        return f"RegionScope(prefixes={self.prefixes!r}, codes={self.codes!r})"
