"""topic_rollups: per-region running totals the stats read instead of scanning topics, filled from the
rows already there; indexes that let the stats count only open notices and open tasks

Revision ID: 0018
Revises: 0017

The backfill is written out here rather than calling core/stats/recount.py, so
that this revision keeps doing what it did when the core's code moves on; the
two compute the same totals (tests/test_stats_rollups.py checks the recount).
"""
from __future__ import annotations

from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# Every level a topic's own region or an ancestor of it can have (city, district, street, community).
LEVELS = "(SELECT 4 AS n UNION ALL SELECT 6 UNION ALL SELECT 9 UNION ALL SELECT 12) AS levels"
REGION = "substr({code}, 1, levels.n)"
OWN = "length({code}) = levels.n"


def _per_level(figure: str, item: str, source: str, code: str) -> str:
    """One INSERT … SELECT: each row of ``source`` counted in its region's own row and each ancestor's."""
    region, own = REGION.format(code=code), OWN.format(code=code)
    return (f"INSERT INTO topic_rollups (region_code, own, figure, item, total) "
            f"SELECT {region}, {own}, '{figure}', {item}, count(*) FROM {source} "
            f"JOIN {LEVELS} ON levels.n <= length({code}) GROUP BY 1, 2, 4")


def _whole_days(dialect: str, start: str, end: str) -> str:
    """Whole days from ``start`` to ``end``, rounded down, exact to the microsecond on both backends."""
    if dialect == "postgresql":
        return f"CAST(floor(extract(epoch FROM {end} - {start}) / 86400) AS INTEGER)"
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' text: whole seconds from strftime, microseconds
    # from the text (julianday's floating point could land a whole day a hair short).
    return (f"(((CAST(strftime('%s', {end}) AS INTEGER) - CAST(strftime('%s', {start}) AS INTEGER)) * 1000000"
            f" + CAST(substr({end}, 21, 6) AS INTEGER) - CAST(substr({start}, 21, 6) AS INTEGER)) / 86400000000)")


def upgrade() -> None:
    op.create_table(
        "topic_rollups",
        sa.Column("region_code", sa.String(12).with_variant(sa.String(12, collation="C"), "postgresql"),
                  nullable=False),
        sa.Column("own", sa.Boolean, nullable=False),
        sa.Column("figure", sa.String(8), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("total", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("region_code", "own", "figure", "item", name="pk_topic_rollups"),
    )
    op.create_index("ix_notices_status_region_code_closes_at", "notices", ["status", "region_code", "closes_at"])
    op.create_index("ix_tasks_status_region_code_deadline", "tasks", ["status", "region_code", "deadline"])

    dialect = op.get_bind().dialect.name
    op.execute(_per_level("step", "topics.step", "topics", "topics.region_code"))
    op.execute(_per_level("status", "topics.status", "topics", "topics.region_code"))
    op.execute(_per_level("action", "topic_events.action",
                          "topic_events JOIN topics ON topics.id = topic_events.topic_id", "topics.region_code"))
    days = _whole_days(dialect, "topics.created_at", "min(topic_events.at)")
    resolved = (f"(SELECT topics.region_code AS region_code, {days} AS days FROM topics "
                "JOIN topic_events ON topic_events.topic_id = topics.id "
                "WHERE topics.status = 'closed' AND topic_events.status = 'closed' "
                "GROUP BY topics.id, topics.region_code, topics.created_at) AS resolved")
    op.execute(_per_level("days", "CAST(resolved.days AS VARCHAR(64))", resolved, "resolved.region_code"))


def downgrade() -> None:
    op.drop_index("ix_tasks_status_region_code_deadline", table_name="tasks")
    op.drop_index("ix_notices_status_region_code_closes_at", table_name="notices")
    op.drop_table("topic_rollups")
