"""Importing the official division tree (统计用区划代码) into ``regions``.

Two phases, so that bad input never leaves half a tree behind:

1. :func:`read_divisions` reads and validates the whole directory in memory
   and raises one bilingual error listing every problem (file and line).
2. :func:`apply_divisions` compares with what the database holds, city by
   city, and writes only the difference in the caller's transaction.

Regions are never deleted: other tables point at them (grants, councils,
topics), so a code that disappears from the data is marked inactive and one
that comes back is activated again.
"""
from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import utcnow
from core.errors import FieldError, validation_failed
from core.models import Region
from core.models.region import LEVEL_BY_LENGTH, LEVEL_ORDER, RegionLevel

BATCH_SIZE = 5000
MAX_REPORTED_ERRORS = 50
NAME_MAX_LENGTH = 100

# Length of the code each prefix column must hold; a row's code must start with it.
PREFIX_COLUMNS = {"provinceCode": 2, "cityCode": 4, "areaCode": 6, "streetCode": 9}


@dataclass(frozen=True)
class _FileSpec:
    stem: str
    level: RegionLevel
    parent_column: str | None  # the column naming the parent region, None for cities


FILE_SPECS = (
    _FileSpec("cities", RegionLevel.city, None),
    _FileSpec("areas", RegionLevel.district, "cityCode"),
    _FileSpec("streets", RegionLevel.street, "areaCode"),
    _FileSpec("villages", RegionLevel.community, "streetCode"),
)


@dataclass
class Divisions:
    """A validated division tree, grouped by city: ``{city: {code: name}}``.

    Level, parent and city follow from the code itself (validated to be
    prefix-consistent), so only code and name are kept: ``--all`` holds
    over 660k rows.
    """

    source: Path
    cities: dict[str, dict[str, str]]

    def count(self) -> int:
        return sum(len(rows) for rows in self.cities.values())

    def has(self, code: str) -> bool:
        rows = self.cities.get(code[:4])
        return rows is not None and code in rows

    def name_of(self, code: str) -> str | None:
        rows = self.cities.get(code[:4])
        return rows.get(code) if rows else None


@dataclass
class LevelCounts:
    created: int = 0
    updated: int = 0  # renamed
    reactivated: int = 0
    unchanged: int = 0
    deactivated: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.reactivated + self.deactivated


@dataclass
class ImportReport:
    cities: list[str]
    levels: dict[RegionLevel, LevelCounts] = field(
        default_factory=lambda: {level: LevelCounts() for level in LEVEL_ORDER})
    deactivated_codes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(counts.changed for counts in self.levels.values())

    def summary_lines(self) -> list[str]:
        lines = [f"{'level':<10} {'created':>8} {'updated':>8} {'reactiv.':>8} {'unchanged':>9} {'deactiv.':>8}"]
        for level, c in self.levels.items():
            lines.append(f"{level.value:<10} {c.created:>8} {c.updated:>8} {c.reactivated:>8} "
                         f"{c.unchanged:>9} {c.deactivated:>8}")
        return lines


ProgressFn = Callable[[int], None]
EchoFn = Callable[[str], None]


class _Errors:
    """Collects every problem so the user fixes the file in one round."""

    def __init__(self) -> None:
        self.items: list[FieldError] = []
        self.total = 0

    def add(self, where: str, zh: str, en: str) -> None:
        self.total += 1
        if len(self.items) < MAX_REPORTED_ERRORS:
            self.items.append(FieldError(where, f"{where}：{zh}", f"{where}: {en}"))

    def raise_if_any(self) -> None:
        if not self.total:
            return
        fields = list(self.items)
        if self.total > len(self.items):
            more = self.total - len(self.items)
            fields.append(FieldError("…", f"另有 {more} 处错误未列出", f"{more} more errors not listed"))
        raise validation_failed(
            *fields,
            zh=f"区划数据有 {self.total} 处错误，未写入任何内容",
            en=f"the division data has {self.total} error(s); nothing was written",
        )


def _locate(directory: Path, stem: str) -> Path | None:
    for candidate in (directory / f"{stem}.csv.gz", directory / f"{stem}.csv"):
        if candidate.is_file():
            return candidate
    return None


def _open_text(path: Path) -> io.TextIOBase:
    # utf-8-sig: spreadsheets saving "CSV UTF-8" prepend a BOM to the header.
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def _normalise_cities(cities: Iterable[str] | None) -> set[str] | None:
    return None if cities is None else {c.strip() for c in cities}


def read_divisions(directory: str | Path, cities: Iterable[str] | None = None,
                   echo: EchoFn | None = None) -> Divisions:
    """Read and validate ``directory``; ``cities`` None means every city in it.

    Raises a bilingual validation error listing every bad line; returns only
    when the whole selection is consistent.
    """
    directory = Path(directory)
    wanted = _normalise_cities(cities)
    errors = _Errors()
    if not directory.is_dir():
        errors.add(str(directory), "目录不存在", "directory not found")
        errors.raise_if_any()
    if wanted is not None:
        for code in sorted(wanted):
            if not (code.isdigit() and len(code) == 4):
                errors.add("--city", f"城市代码“{code}”应为 4 位数字", f"city code '{code}' must be 4 digits")
        errors.raise_if_any()

    tree: dict[str, dict[str, str]] = {}
    # Codes accepted per level, and codes whose own line was rejected.
    seen: dict[RegionLevel, set[str]] = {level: set() for level in LEVEL_ORDER}
    rejected: set[str] = set()
    # Levels whose file had errors: a child of a bad line would only repeat
    # the same problem as "parent missing", so orphans there go unreported
    # (still rejected) until the parent file is clean.
    faulty: set[RegionLevel] = set()
    parent_level = {spec.level: prev.level for prev, spec in zip(FILE_SPECS, FILE_SPECS[1:])}

    for spec in FILE_SPECS:
        path = _locate(directory, spec.stem)
        if path is None:
            errors.add(f"{directory / spec.stem}.csv[.gz]", "文件不存在", "file not found")
            faulty.add(spec.level)
            continue
        if echo:
            echo(f"读取 reading {path.name}")
        before = errors.total
        silent = False
        try:
            silent = _read_file(path, spec, wanted, tree, seen, rejected, parent_level.get(spec.level),
                                parent_level.get(spec.level) in faulty, errors)
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            errors.add(path.name, f"无法读取（须为 UTF-8 编码的 CSV 或 gzip 压缩的 CSV）：{exc}",
                       f"cannot be read (expected UTF-8 CSV, optionally gzip-compressed): {exc}")
        if errors.total > before or silent:
            faulty.add(spec.level)

    if wanted is not None:
        for code in sorted(wanted - seen[RegionLevel.city]):
            if code not in rejected:
                errors.add("--city", f"城市代码“{code}”不在 cities 文件中",
                           f"city code '{code}' is not in the cities file")
    errors.raise_if_any()
    if not tree:
        errors.add(str(directory), "没有可导入的城市", "no city to import")
        errors.raise_if_any()
    return Divisions(source=directory, cities=tree)


def _read_file(path: Path, spec: _FileSpec, wanted: set[str] | None, tree: dict[str, dict[str, str]],
               seen: dict[RegionLevel, set[str]], rejected: set[str], parent_level: RegionLevel | None,
               parents_faulty: bool, errors: _Errors) -> bool:
    """Read one file into ``tree``; returns whether a row was rejected without a report."""
    file_name = path.name
    code_length = spec.level.code_length
    with _open_text(path) as fh:
        reader = csv.reader(fh)
        try:
            header = next(reader)
        except StopIteration:
            errors.add(f"{file_name}:1", "文件为空，缺少表头", "empty file, header missing")
            return False
        except csv.Error as exc:
            errors.add(f"{file_name}:1", f"表头格式错误：{exc}", f"malformed header: {exc}")
            return False
        header = [h.strip() for h in header]
        required = ["code", "name"] + ([spec.parent_column] if spec.parent_column else [])
        missing = [c for c in required if c not in header]
        if missing:
            errors.add(f"{file_name}:1", f"表头缺少列：{', '.join(missing)}",
                       f"header lacks column(s): {', '.join(missing)}")
            return False
        width = len(header)
        code_at, name_at = header.index("code"), header.index("name")
        prefix_at = [(header.index(col), col, length) for col, length in PREFIX_COLUMNS.items()
                     if col in header and length < code_length]
        city_at = header.index("cityCode") if "cityCode" in header else None
        parent_at = header.index(spec.parent_column) if spec.parent_column else None
        parents = seen[parent_level] if parent_level else None
        own = seen[spec.level]
        silent = False

        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                errors.add(f"{file_name}:{reader.line_num}", f"CSV 格式错误：{exc}", f"malformed CSV: {exc}")
                continue
            where = f"{file_name}:{reader.line_num}"
            if not row:
                continue  # a blank line (often the file's last) carries no row
            if len(row) != width:
                errors.add(where, f"应有 {width} 列，实际 {len(row)} 列", f"expected {width} columns, got {len(row)}")
                continue
            code = row[code_at].strip()
            if not code.isdigit():
                errors.add(where, f"代码“{code}”不是数字", f"code '{code}' is not all digits")
                continue
            # Selection comes before the remaining checks: importing one city
            # must not fail on another city's problem. A row counts as the
            # city's when either its code or its cityCode column says so, so
            # a row contradicting itself is caught rather than skipped.
            if wanted is not None:
                claimed = row[city_at].strip() if city_at is not None else code[:4]
                if code[:4] not in wanted and claimed not in wanted:
                    continue
            if len(code) != code_length:
                errors.add(where, f"代码“{code}”应为 {code_length} 位（{spec.level.label_zh}级），实际 {len(code)} 位",
                           f"code '{code}' must have {code_length} digits for level {spec.level.value}, "
                           f"got {len(code)}")
                rejected.add(code)
                continue
            bad_prefix = next(((col, row[at].strip()) for at, col, length in prefix_at
                               if row[at].strip() != code[:length]), None)
            if bad_prefix:
                col, value = bad_prefix
                errors.add(where, f"代码“{code}”不以其上级代码 {col}=“{value}” 开头",
                           f"code '{code}' does not start with its parent code {col}='{value}'")
                rejected.add(code)
                continue
            if code in own:
                errors.add(where, f"代码“{code}”重复", f"code '{code}' appears twice")
                continue
            name = row[name_at].strip()
            if not name or len(name) > NAME_MAX_LENGTH:
                errors.add(where, f"名称须为 1–{NAME_MAX_LENGTH} 个字符", f"name must have 1–{NAME_MAX_LENGTH} characters")
                rejected.add(code)
                continue
            if parents is not None:
                parent = row[parent_at].strip()
                if parent not in parents:
                    if parents_faulty:
                        silent = True
                    else:
                        errors.add(where, f"上级区划“{parent}”不存在", f"parent region '{parent}' is missing")
                    rejected.add(code)
                    continue
            own.add(code)
            tree.setdefault(code[:4], {})[code] = name
    return silent


def _parent_of(code: str) -> str | None:
    return {6: code[:4], 9: code[:6], 12: code[:9]}.get(len(code))


class _Writer:
    """Buffers rows and writes them in batches (one executemany each)."""

    def __init__(self, session: AsyncSession, progress: ProgressFn | None):
        self.session = session
        self.progress = progress
        self.now = utcnow()
        self.inserts: list[dict] = []
        self.updates: list[dict] = []
        table = Region.__table__
        self.insert_stmt = insert(table)
        self.update_stmt = (
            update(table)
            .where(table.c.code == bindparam("b_code"))
            .values(name=bindparam("b_name"), active=bindparam("b_active"), updated_at=bindparam("b_now"))
        )

    async def add_insert(self, code: str, name: str) -> None:
        self.inserts.append({"code": code, "name": name, "level": LEVEL_BY_LENGTH[len(code)].value,
                             "parent_code": _parent_of(code), "city_code": code[:4], "active": True,
                             "created_at": self.now, "updated_at": self.now})
        if len(self.inserts) >= BATCH_SIZE:
            await self.flush_inserts()

    async def add_update(self, code: str, name: str, active: bool) -> None:
        self.updates.append({"b_code": code, "b_name": name, "b_active": active, "b_now": self.now})
        if len(self.updates) >= BATCH_SIZE:
            await self.flush_updates()

    async def flush_inserts(self) -> None:
        if self.inserts:
            # Rows arrive parents-first, so every parent_code FK is satisfied
            # as each batch lands.
            await self.session.execute(self.insert_stmt, self.inserts)
            if self.progress:
                self.progress(len(self.inserts))
            self.inserts = []

    async def flush_updates(self) -> None:
        if self.updates:
            await self.session.execute(self.update_stmt, self.updates)
            self.updates = []

    async def flush(self) -> None:
        await self.flush_inserts()
        await self.flush_updates()


async def apply_divisions(session: AsyncSession, divisions: Divisions,
                          progress: ProgressFn | None = None) -> ImportReport:
    """Make ``regions`` match ``divisions`` for the cities it holds.

    Writes in ``session`` without committing: the caller owns the
    transaction. ``progress`` is called with the number of rows handled.
    """
    report = ImportReport(cities=sorted(divisions.cities))
    writer = _Writer(session, progress)
    for city in report.cities:
        wanted = divisions.cities[city]
        # One query per city keeps memory bounded on --all while staying
        # O(cities) round trips rather than O(rows).
        result = await session.execute(
            # Enterprise and institution councils are the platform's, not the data's.
            select(Region.code, Region.name, Region.active).where(Region.city_code == city, Region.unit_kind == ""))
        existing = {code: (name, active) for code, name, active in result}
        handled = 0
        for code in sorted(wanted, key=lambda c: (len(c), c)):
            name = wanted[code]
            counts = report.levels[LEVEL_BY_LENGTH[len(code)]]
            current = existing.get(code)
            if current is None:
                counts.created += 1
                await writer.add_insert(code, name)
                continue
            handled += 1
            old_name, active = current
            if old_name == name and active:
                counts.unchanged += 1
                continue
            if not active:
                counts.reactivated += 1
            else:
                counts.updated += 1
            await writer.add_update(code, name, True)
        for code, (old_name, active) in existing.items():
            if code in wanted:
                continue
            level = LEVEL_BY_LENGTH.get(len(code))
            counts = report.levels[level] if level else report.levels[RegionLevel.community]
            if active:
                counts.deactivated += 1
                report.deactivated_codes.append(code)
                await writer.add_update(code, old_name, False)
            else:
                counts.unchanged += 1
        if progress and handled:
            progress(handled)
    await writer.flush()
    report.deactivated_codes.sort()
    return report


async def import_regions(session: AsyncSession, directory: str | Path, cities: Iterable[str] | None = None,
                         progress: ProgressFn | None = None, echo: EchoFn | None = None) -> ImportReport:
    """Validate ``directory`` completely, then apply it; ``cities`` None imports every city."""
    divisions = read_divisions(directory, cities, echo=echo)
    return await apply_divisions(session, divisions, progress=progress)
