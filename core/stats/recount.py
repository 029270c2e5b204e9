"""The per-region totals recounted from the topics and their history.

The totals are kept as topics change (core/models/rollup.py); this computes
them anew, for ``yishi stats rebuild`` after writes that went around the ORM
(a bulk import, rows copied by SQL) and for the tests that check the kept
totals against the tables. One INSERT … SELECT per figure, on both backends.
"""
from __future__ import annotations

from sqlalchemy import Integer, String, cast, delete, extract, func, literal, literal_column, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.models import Topic, TopicEvent
from core.models.rollup import ACTION, CLOSED, DAYS, LEVEL_LENGTHS, STATUS, STEP, TopicRollup

SECONDS_PER_DAY = 86400
MICROSECONDS_PER_DAY = SECONDS_PER_DAY * 1_000_000


def whole_days_sql(dialect: str, start, end) -> ColumnElement[int]:
    """SQL for :func:`core.models.rollup.whole_days`: exact to the microsecond, rounded down."""
    if dialect == "postgresql":
        return cast(func.floor(extract("epoch", end - start) / SECONDS_PER_DAY), Integer)
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' text: whole seconds from strftime and the
    # microseconds from the text, since julianday's floating point can land a day a hair short.
    def micros(value):
        return (cast(func.strftime("%s", value), Integer) * 1_000_000
                + cast(func.substr(value, 21, 6), Integer))
    return (micros(end) - micros(start)) // MICROSECONDS_PER_DAY


def _levels():
    # Inline numbers: PostgreSQL cannot tell the type of a bare bound parameter in a UNION.
    return union_all(*(select(literal_column(str(n), Integer).label("n"))
                       for n in LEVEL_LENGTHS)).subquery("levels")


def _insert_per_level(figure: str, code, item, source) -> object:
    """Each row of ``source`` counted in its region's own row and in each ancestor's."""
    levels = _levels()
    region = func.substr(code, 1, levels.c.n).label("region_code")
    own = (func.length(code) == levels.c.n).label("own")
    item = cast(item, String(64)).label("item")
    query = (select(region, own, literal(figure).label("figure"), item, func.count().label("total"))
             .select_from(source).join(levels, levels.c.n <= func.length(code))
             .group_by(region, own, item))
    return TopicRollup.__table__.insert().from_select(["region_code", "own", "figure", "item", "total"], query)


def statements(dialect: str) -> dict[str, object]:
    """The INSERT … SELECT of each figure."""
    days = whole_days_sql(dialect, Topic.created_at, func.min(TopicEvent.at)).label("days")
    resolved = (select(Topic.region_code.label("region_code"), days)
                .join(TopicEvent, TopicEvent.topic_id == Topic.id)
                .where(Topic.status == CLOSED, TopicEvent.status == CLOSED)
                .group_by(Topic.id, Topic.region_code, Topic.created_at).subquery("resolved"))
    history = TopicEvent.__table__.join(Topic.__table__, Topic.id == TopicEvent.topic_id)
    return {
        STEP: _insert_per_level(STEP, Topic.region_code, Topic.step, Topic.__table__),
        STATUS: _insert_per_level(STATUS, Topic.region_code, Topic.status, Topic.__table__),
        ACTION: _insert_per_level(ACTION, Topic.region_code, TopicEvent.action, history),
        DAYS: _insert_per_level(DAYS, resolved.c.region_code, resolved.c.days, resolved),
    }


async def rebuild(session: AsyncSession) -> dict[str, int]:
    """Replace every total with one recounted from the tables; rows written per figure.

    On PostgreSQL the table is locked first: a writer committing meanwhile
    waits, then adds its change to the recounted totals, so none is lost or
    counted twice. SQLite's transactions take the one write lock anyway.
    """
    dialect = session.bind.dialect.name
    if dialect == "postgresql":
        await session.execute(text("LOCK TABLE topic_rollups IN EXCLUSIVE MODE"))
    await session.execute(delete(TopicRollup))
    written = {}
    for figure, statement in statements(dialect).items():
        written[figure] = (await session.execute(statement)).rowcount
    return written
