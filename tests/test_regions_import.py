"""The division importer: real Ningbo data, and small hand-written CSVs for
the edge cases (renames, vanished codes, every kind of bad line)."""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.errors import ApiError
from core.models import Region
from core.models.region import RegionLevel
from core.regions.importer import import_regions, read_divisions

REPO = Path(__file__).resolve().parent.parent
NINGBO_DATA = REPO / "tenants" / "data" / "3302"

HEADERS = {
    "cities": "code,name,provinceCode",
    "areas": "code,name,cityCode,provinceCode",
    "streets": "code,name,areaCode,provinceCode,cityCode",
    "villages": "code,name,streetCode,provinceCode,cityCode,areaCode",
}

# A small two-city tree in the source format, line by line per file.
SMALL = {
    "cities": ['3302,"宁波市",33', '6205,"天水市",62'],
    "areas": ['330203,"海曙区",3302,33', '330205,"江北区",3302,33', '620502,"秦州区",6205,62'],
    "streets": ['330203001,"南门街道",330203,33,3302', '330205001,"中马街道",330205,33,3302',
                '620502001,"大城街道",620502,62,6205'],
    "villages": ['330203001001,"澄浪社区",330203001,33,3302,330203',
                 '330203001002,"柳锦社区",330203001,33,3302,330203',
                 '330205001001,"白沙社区",330205001,33,3302,330205',
                 '620502001001,"进步巷社区居委会",620502001,62,6205,620502'],
}


def write_tree(directory: Path, files: dict[str, list[str]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for stem, lines in files.items():
        (directory / f"{stem}.csv").write_text("\n".join([HEADERS[stem], *lines]) + "\n", encoding="utf-8")
    return directory


def changed(files: dict[str, list[str]], stem: str, index: int, line: str | None) -> dict[str, list[str]]:
    """A copy of ``files`` with one line replaced (or removed when ``line`` is None)."""
    copy = {k: list(v) for k, v in files.items()}
    if line is None:
        del copy[stem][index]
    else:
        copy[stem][index] = line
    return copy


async def count_by_level(session, city: str | None = None, active: bool | None = None) -> dict[str, int]:
    query = select(Region.level, func.count()).group_by(Region.level)
    if city:
        query = query.where(Region.city_code == city)
    if active is not None:
        query = query.where(Region.active.is_(active))
    return dict((await session.execute(query)).all())


async def test_ningbo_import_counts_and_second_run_changes_nothing(db):
    report = await import_regions(db, NINGBO_DATA, ["3302"])
    await db.commit()
    created = {level.value: counts.created for level, counts in report.levels.items()}
    assert created == {"city": 1, "district": 10, "street": 162, "community": 3042}
    assert await count_by_level(db, "3302") == created
    street = await db.get(Region, "330203001")
    assert (street.name, street.level, street.parent_code, street.city_code) == ("南门街道", "street", "330203", "3302")

    again = await import_regions(db, NINGBO_DATA, ["3302"])
    await db.commit()
    assert not again.changed
    assert {level.value: c.unchanged for level, c in again.levels.items()} == created
    assert again.deactivated_codes == []


async def test_rename_vanish_and_reappear(db, tmp_path):
    await import_regions(db, write_tree(tmp_path / "v1", SMALL), ["3302"])
    await db.commit()

    renamed_and_gone = changed(changed(SMALL, "villages", 0, '330203001001,"澄浪新社区",330203001,33,3302,330203'),
                               "villages", 1, None)
    report = await import_regions(db, write_tree(tmp_path / "v2", renamed_and_gone), ["3302"])
    await db.commit()
    community = report.levels[RegionLevel.community]
    assert (community.updated, community.deactivated, community.unchanged) == (1, 1, 1)
    assert report.deactivated_codes == ["330203001002"]
    db.expire_all()
    assert (await db.get(Region, "330203001001")).name == "澄浪新社区"
    gone = await db.get(Region, "330203001002")
    assert gone is not None and gone.active is False  # kept, never deleted

    # Still gone: reported once, not again.
    repeat = await import_regions(db, tmp_path / "v2", ["3302"])
    assert not repeat.changed

    back = await import_regions(db, tmp_path / "v1", ["3302"])
    await db.commit()
    assert back.levels[RegionLevel.community].reactivated == 1
    assert back.levels[RegionLevel.community].updated == 1  # the rename reverted
    db.expire_all()
    assert (await db.get(Region, "330203001002")).active is True


async def test_all_imports_every_city_and_one_city_leaves_others_alone(db, tmp_path):
    source = write_tree(tmp_path / "d", SMALL)
    report = await import_regions(db, source, None)
    await db.commit()
    assert report.cities == ["3302", "6205"]
    assert sum(c.created for c in report.levels.values()) == 12

    # Dropping a Tianshui row and importing only Ningbo must not deactivate it.
    write_tree(source, changed(SMALL, "villages", 3, None))
    only_ningbo = await import_regions(db, source, ["3302"])
    await db.commit()
    assert not only_ningbo.changed
    assert await count_by_level(db, "6205", active=True) == {"city": 1, "district": 1, "street": 1, "community": 1}


BAD_INPUTS = {
    "wrong column count": (changed(SMALL, "streets", 0, '330203001,"南门街道",330203'),
                           "streets.csv:2", "expected 5 columns, got 3"),
    "non-digit code": (changed(SMALL, "villages", 1, '33020300100X,"柳锦社区",330203001,33,3302,330203'),
                       "villages.csv:3", "is not all digits"),
    "code at the wrong level": (changed(SMALL, "areas", 1, '330205001,"江北区",3302,33'),
                                "areas.csv:3", "must have 6 digits"),
    "code not prefixed by its parent": (changed(SMALL, "villages", 2, '330206001001,"白沙社区",330205001,33,3302,330205'),
                                        "villages.csv:4", "does not start with its parent code"),
    "parent missing": (changed(SMALL, "streets", 1, '330299001,"幽灵街道",330299,33,3302'),
                       "streets.csv:3", "parent region '330299' is missing"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
async def test_bad_input_names_file_and_line_and_writes_nothing(db, tmp_path, case):
    files, where, english = BAD_INPUTS[case]
    with pytest.raises(ApiError) as caught:
        await import_regions(db, write_tree(tmp_path / "bad", files), ["3302"])
    await db.rollback()
    err = caught.value
    assert err.code == "validation_failed"
    assert "nothing was written" in err.message_en and "未写入任何内容" in err.message_zh
    assert [f.field for f in err.fields] == [where]
    assert english in err.fields[0].message_en and where in err.fields[0].message_zh
    assert await db.scalar(select(func.count()).select_from(Region)) == 0


async def test_unknown_city_is_refused_and_nothing_written(db, tmp_path):
    with pytest.raises(ApiError) as caught:
        await import_regions(db, write_tree(tmp_path / "d", SMALL), ["3207"])
    assert caught.value.fields[0].field == "--city"
    assert "3207" in caught.value.fields[0].message_en and "3207" in caught.value.fields[0].message_zh
    await db.rollback()
    assert await db.scalar(select(func.count()).select_from(Region)) == 0


async def test_bad_input_leaves_existing_tree_untouched(db, tmp_path):
    await import_regions(db, write_tree(tmp_path / "good", SMALL), ["3302"])
    await db.commit()
    # A valid rename next to an orphan: the rename must not land either.
    files = changed(changed(SMALL, "areas", 0, '330203,"新海曙区",3302,33'),
                    "villages", 0, '330203009001,"孤儿社区",330203009,33,3302,330203')
    with pytest.raises(ApiError):
        await import_regions(db, write_tree(tmp_path / "bad", files), ["3302"])
    await db.rollback()
    db.expire_all()
    assert (await db.get(Region, "330203")).name == "海曙区"


def test_every_problem_is_reported_at_once(tmp_path):
    files = changed(changed(SMALL, "areas", 1, '33020X,"江北区",3302,33'),
                    "villages", 0, '330203001001,"澄浪社区",330203001')
    with pytest.raises(ApiError) as caught:
        read_divisions(write_tree(tmp_path / "d", files), ["3302"])
    # The orphaned street and community under the bad district are not
    # reported again: the one root cause is.
    assert [f.field for f in caught.value.fields] == ["areas.csv:3", "villages.csv:2"]


def test_another_citys_bad_row_does_not_block_a_city_import(tmp_path):
    files = changed(SMALL, "areas", 2, '6205021,"秦州区",6205,62')
    divisions = read_divisions(write_tree(tmp_path / "d", files), ["3302"])
    assert list(divisions.cities) == ["3302"]
    with pytest.raises(ApiError):
        read_divisions(tmp_path / "d", None)
