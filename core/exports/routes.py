"""The ledger over HTTP: the guard checks ``stats.read`` at ``{code}`` (404 for
a region out of reach); the lists are restricted to the caller's scope too.

The file is written whole inside the request's transaction, into a spooled
temporary file (memory up to :data:`SPOOL_BYTES`, disk beyond), and then
streamed from there: the database is done with before the first byte goes
out, and a slow client holds no transaction open.
"""
from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from typing import Annotated, BinaryIO
from urllib.parse import quote

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from core.authz.scope import RegionScope
from core.exports import csv as csv_file
from core.exports import service, xlsx
from core.runtime import Runtime

ACCESS = {"action": service.READ}
SPOOL_BYTES = 8 * 1024 * 1024
SEND_BYTES = 64 * 1024

FromDay = Annotated[str | None, QueryParameter(name=service.FROM, description=(
    "First day, YYYY-MM-DD in China time; with 'to', or neither for the current quarter"))]
ToDay = Annotated[str | None, QueryParameter(name=service.TO, description=(
    "Last day (included), YYYY-MM-DD in China time"))]
SheetKey = Annotated[str | None, QueryParameter(name=service.SHEET, description=(
    "Which list (required): " + ", ".join(service.SHEET_KEYS)))]


def content_disposition(chinese: str, ascii_name: str) -> str:
    # RFC 6266 / 5987: filename* carries the Chinese name, filename the fallback for old clients.
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(chinese, safe='')}"


async def _sent(spool: BinaryIO) -> AsyncIterator[bytes]:
    try:
        spool.seek(0)
        while chunk := spool.read(SEND_BYTES):
            yield chunk
    finally:
        spool.close()


def _download(spool: BinaryIO, media_type: str, names: tuple[str, str]) -> Stream:
    return Stream(_sent(spool), media_type=media_type, headers={"Content-Disposition": content_disposition(*names)})


@get("/regions/{code:str}/ledger.xlsx", opt=ACCESS, media_type=xlsx.MEDIA_TYPE,
     summary="The 台账 (ledger) of a region's subtree for a period as an Excel workbook: topics, meetings, "
             "attendance, votes, outcomes, notices, objections, tasks, progress")
async def ledger_xlsx(code: FromPath[str], db: NamedDependency[AsyncSession],
                      region_scope: NamedDependency[RegionScope], runtime: NamedDependency[Runtime],
                      first: FromDay = None, last: ToDay = None) -> Stream:
    period = service.period_of(first, last)
    ledger = await service.open_ledger(db, region_scope, code, period, plugins=runtime.plugins)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        await xlsx.write_workbook(ledger, spool)
    except BaseException:
        spool.close()
        raise
    return _download(spool, xlsx.MEDIA_TYPE, ledger.file_name(xlsx.EXTENSION))


@get("/regions/{code:str}/ledger.csv", opt=ACCESS, media_type=csv_file.MEDIA_TYPE,
     summary="One list of the ledger as CSV (UTF-8 with a byte order mark, for Excel): "
             "sheet=" + "|".join(service.SHEET_KEYS))
async def ledger_csv(code: FromPath[str], db: NamedDependency[AsyncSession],
                     region_scope: NamedDependency[RegionScope], runtime: NamedDependency[Runtime],
                     sheet: SheetKey = None, first: FromDay = None, last: ToDay = None) -> Stream:
    chosen, period = service.csv_request(sheet, first, last)
    ledger = await service.open_ledger(db, region_scope, code, period, plugins=runtime.plugins, sheets=[chosen])
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        await csv_file.write_csv(ledger, chosen, spool)
    except BaseException:
        spool.close()
        raise
    return _download(spool, csv_file.MEDIA_TYPE, ledger.file_name(csv_file.EXTENSION, chosen))


ROUTES = [ledger_xlsx, ledger_csv]
