"""One list of the ledger as CSV: the workbook's header and rows, without its title row.

UTF-8 with a byte order mark, which is what makes Excel read the Chinese
right when the file is opened by a double click; times are China time, as
``YYYY-MM-DD HH:MM:SS``.
"""
from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any, BinaryIO

from core.exports.service import Ledger, Sheet

# Litestar adds "; charset=utf-8" to a text/ type.
MEDIA_TYPE = "text/csv"
EXTENSION = "csv"
# What a spreadsheet would take for the start of a formula (CSV injection, OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        # Quoted as Excel quotes typed text, so "=HYPERLINK(…)" opens as the words it is.
        return f"'{value}" if value.startswith(FORMULA_STARTS) else value
    return str(value)


async def write_csv(ledger: Ledger, sheet: Sheet, out: BinaryIO) -> int:
    """Write the list to ``out``; returns its number of rows."""
    stream = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(stream)
        writer.writerow([column.title for column in sheet.columns])
        count = 0
        async for rows in ledger.rows(sheet):
            writer.writerows([text(value) for value in row] for row in rows)
            count += len(rows)
        stream.flush()
    finally:
        # The caller keeps ``out`` open to send it.
        stream.detach()
    return count
