"""The ledger as one Excel workbook: a cover sheet, then one sheet per list.

Written with openpyxl in write-only mode, which puts each row into the
sheet's temporary file as it is appended, so only one partition of rows is in
memory at a time. openpyxl is plain Python and slow next to the database, so
each partition, and the final zipping, is written on a worker thread: a city's
ledger must not stall every other request of the process meanwhile.
"""
from __future__ import annotations

from typing import Any, BinaryIO

from anyio import to_thread
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from core import clock
from core.exports.service import Ledger, Sheet, local

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSION = "xlsx"
COVER = "概况"
# What one cell of Excel holds; a longer text would make Excel repair the file.
MAX_CELL_TEXT = 32767
TITLE_FONT = Font(bold=True, size=14)
HEADER_FONT = Font(bold=True)
# The title row, then the header row: data starts on row 3.
FIRST_DATA_CELL = "A3"


def _value(ws, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    # Control characters make the file unreadable, and openpyxl refuses them.
    value = ILLEGAL_CHARACTERS_RE.sub("", value)[:MAX_CELL_TEXT]
    if value.startswith("="):
        # A resident's "=HYPERLINK(…)" stays text: openpyxl would store it as a formula.
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"
        return cell
    return value


def _styled(ws, value: Any, font: Font) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value)
    cell.font = font
    return cell


def _append(ws, rows: list[tuple]) -> None:
    for row in rows:
        ws.append([_value(ws, v) for v in row])


def _begin(ws, ledger: Ledger, sheet: Sheet) -> None:
    # Widths and the frozen panes are written before the first row, as write-only mode requires.
    for index, column in enumerate(sheet.columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = FIRST_DATA_CELL
    ws.append([_styled(ws, f"{ledger.region_name}　{sheet.title}台账　{ledger.period.words()}", TITLE_FONT)])
    ws.append([_styled(ws, column.title, HEADER_FONT) for column in sheet.columns])


def _cover(ws, ledger: Ledger, counts: dict[str, int]) -> None:
    bold = HEADER_FONT
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 36
    ws.column_dimensions["C"].width = 24
    ws.append([_styled(ws, f"{ledger.region_name}协商议事台账", TITLE_FONT)])
    ws.append([_styled(ws, "区划", bold), ledger.region_name])
    ws.append([_styled(ws, "区划代码", bold), ledger.region_code])
    ws.append([_styled(ws, "期间", bold), ledger.period.words()])
    ws.append([_styled(ws, "导出时间", bold), local(clock.now())])
    ws.append([_styled(ws, "时间", bold), "均为北京时间（UTC+8）"])
    ws.append([])
    ws.append([_styled(ws, title, bold) for title in ("表", "记录数", "按何日期计入期间")])
    for sheet in ledger.sheets:
        ws.append([sheet.title, counts[sheet.key], sheet.dated_by])


async def write_workbook(ledger: Ledger, out: BinaryIO) -> dict[str, int]:
    """Write the workbook to ``out``; returns the number of rows of each list."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = f"{ledger.region_name}协商议事台账"
    workbook.properties.subject = ledger.period.words()
    workbook.properties.creator = "议事 Yishi"
    # Created first so that it opens first; filled last, when the counts are known.
    cover = workbook.create_sheet(COVER)
    counts: dict[str, int] = {}
    for sheet in ledger.sheets:
        ws = workbook.create_sheet(sheet.title)
        _begin(ws, ledger, sheet)
        counts[sheet.key] = 0
        async for rows in ledger.rows(sheet):
            await to_thread.run_sync(_append, ws, rows)
            counts[sheet.key] += len(rows)
    _cover(cover, ledger, counts)
    await to_thread.run_sync(workbook.save, out)
    return counts
