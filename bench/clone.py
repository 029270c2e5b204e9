"""Building a city-sized dataset by cloning rows the services wrote.

``yishi tenants load tenants/ningbo.toml`` seeds demo councils and topics at
every step of their procedure through the real services (core/tenants/demo_data.py).
Those rows are the templates: every topic is copied, with everything that
hangs off it (history, screening, feedback, research, meetings with their
participants and votes, outcomes, notices, objections, tasks, progress,
evaluation reports, notifications, links, escalations) and the audit entries
the services wrote for it, into the communities of the whole city, many
times over. Because each copy is a copy, every column and every JSON key is
the one the services write; only what must differ is rewritten:

* ids: every cloned row gets a new id, and every reference to a cloned row
  (foreign keys, ``object_id`` of audit entries, ids inside JSON such as
  ``{"notice_id": …}`` or a meeting's ``agenda``) follows it;
* regions: the template's community / street / district codes and names
  become the target's, in columns, JSON and text;
* time: a closed or rejected topic's whole story moves into the past by a
  random number of days (so the city has a year of history); an open
  topic's moves by minutes only, never past a deadline still ahead of it,
  so no notice expires and no task falls due because of the copy;
* councils: each community and street gets a copy of its template council
  (council, term, members), and a copied meeting invites the copy's members;
* notifications addressed to a template council's officers (accounts with a
  chair or secretary grant there) go to the council itself in a copy, as
  ``notify`` does for a council without accounts.

The shape of the schema is read from the database (tables, columns, types,
foreign keys), so a new column is copied without a change here; an id key
inside JSON that this module does not know is refused loudly (``ID_KEYS``).

Audit entries are sealed the way ``core.audit.service.record`` seals them (an
HMAC-SHA256 of the canonical form with the database's audit key, each linked to
the previous one; every so often checked against the product's own ``entry_mac``),
so ``yishi audit verify`` checks them like any other. The rows are written with
COPY (binary, asyncpg), with foreign-key triggers off for the loading session
(``session_replication_role = replica``); :func:`check_foreign_keys` then checks
every foreign key of the cloned tables in one pass.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import random
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
from json.encoder import encode_basestring, encode_basestring_ascii

# Tables the copies hang off, and the council tables copied per region.
TOPIC_ROOT = "topics"
COUNCIL_TABLES = ("councils", "council_terms", "council_members")
# Never copied: shared by everything, or holding files (attachments; council documents point at them).
NOT_CLONED = {"regions", "users", "role_grants", "attachments", "council_documents", "audit_entries", "audit_head",
              "authz_policies", "region_settings", "region_plugins", "alembic_version", "job_outbox",
              "scheduled_fires", "auth_tokens", "login_throttles", "rate_limit_windows", "form_submissions",
              *COUNCIL_TABLES}
# Audit ``object_type`` -> table, where the table is not simply ``object_type + "s"``.
OBJECT_TABLES = {"research": "research_records", "vote": "meeting_votes", "council_member": "council_members",
                 "council_term": "council_terms", "evaluation": "evaluation_reports",
                 "upward_report": "upward_reports", "supervision": "supervision_notes"}
# JSON keys holding ids of cloned rows (an int or a list of ints), and the table they name.
ID_KEYS = {"topic_id": "topics", "similar_topic_id": "topics", "agenda": "topics", "topic_ids": "topics",
           "meeting_id": "meetings", "vote_id": "meeting_votes", "outcome_id": "outcomes", "notice_id": "notices",
           "objection_id": "objections", "objection_ids": "objections", "task_id": "tasks",
           "report_id": "evaluation_reports", "event_id": "topic_events", "research_id": "research_records",
           "escalation_id": "escalations", "participant_id": "meeting_participants", "member_id": "council_members",
           "member_ids": "council_members", "council_id": "councils", "term_id": "council_terms"}
# JSON keys holding ids that stay as they are: accounts and stored files are shared, not copied.
KEPT_ID_KEYS = {"user_id", "actor_user_id", "recorded_by_user_id", "responsible_user_id", "by_user_id",
                "answered_by_user_id", "created_by_user_id", "decided_by_user_id", "uploaded_by_user_id",
                "author_user_id", "filed_by_user_id", "recipient_user_id", "proposer_user_id", "user_ids",
                "attachment_id", "attachment_ids", "attachments"}
OFFICER_ROLES = ("council_chair", "council_secretary")

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?\+00:00$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# Dates and China-time minutes inside prose (a reminder's "已超过完成期限 2026-11-19").
_TEXT_DATE = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})( \d{2}:\d{2})?(?!\d)")


class DropRow(Exception):
    """A row that cannot be copied into this target (a link to a topic the copy does not have)."""


# -- the schema, as the database has it -----------------------------------------------

@dataclass
class Table:
    name: str
    columns: list[str]
    types: list[str]
    fks: dict[str, str] = field(default_factory=dict)  # column -> referenced table
    has_id: bool = False


async def load_schema(conn: asyncpg.Connection) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for row in await conn.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"):
        table = tables.setdefault(row["table_name"], Table(row["table_name"], [], []))
        table.columns.append(row["column_name"])
        table.types.append(row["data_type"])
    for row in await conn.fetch(
            "SELECT cl.relname AS tbl, a.attname AS col, rcl.relname AS ref FROM pg_constraint c "
            "JOIN pg_class cl ON cl.oid = c.conrelid JOIN pg_class rcl ON rcl.oid = c.confrelid "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1] "
            "WHERE c.contype = 'f' AND cl.relnamespace = 'public'::regnamespace AND array_length(c.conkey, 1) = 1"):
        tables[row["tbl"]].fks[row["col"]] = row["ref"]
    for table in tables.values():
        if "id" in table.columns and table.types[table.columns.index("id")] == "integer":
            table.has_id = await conn.fetchval("SELECT pg_get_serial_sequence($1, 'id')", table.name) is not None
    return tables


def topic_family(tables: dict[str, Table]) -> list[str]:
    """Tables whose rows belong to a topic, parents before children.

    A table joins when one of its foreign keys points into the family; a
    table a family junction points at (``meeting_topics`` -> ``meetings``) joins too.
    """
    family = {TOPIC_ROOT}
    changed = True
    while changed:
        changed = False
        for table in tables.values():
            if table.name in family or table.name in NOT_CLONED:
                continue
            if any(ref in family for ref in table.fks.values()):
                family.add(table.name)
                changed = True
        for name in list(family):
            table = tables[name]
            if table.has_id or TOPIC_ROOT not in table.fks.values():
                continue
            for ref in table.fks.values():
                if ref not in family and ref not in NOT_CLONED:
                    family.add(ref)
                    changed = True
    order: list[str] = []
    pending = set(family)
    while pending:
        ready = sorted(n for n in pending
                       if all(ref == n or ref not in pending for ref in tables[n].fks.values()))
        if not ready:
            raise RuntimeError(f"foreign keys form a cycle among {sorted(pending)}")
        order += ready
        pending -= set(ready)
    return order


# -- rewriting one value ----------------------------------------------------------------

@dataclass
class Target:
    """Where one copy goes and how its values change."""

    regions: dict[str, str]          # template code -> target code
    names: dict[str, str]            # template region name -> target name
    delta: timedelta                 # subtracted from every moment
    ids: dict[tuple[str, int], int]  # (table, template id) -> new id, this copy's rows
    shared: dict[tuple[str, int], int]  # the target's council rows
    siblings: dict[int, int] = field(default_factory=dict)  # template topic -> a copy of it in the same place
    name_pattern: re.Pattern | None = None
    code_pattern: re.Pattern | None = None

    @property
    def days(self) -> int:
        return self.delta.days

    def resolve(self, table: str, old: int) -> int:
        new = self.ids.get((table, old))
        if new is None:
            new = self.shared.get((table, old))
            if new is None:
                new = self.siblings.get(old) if table == TOPIC_ROOT else None
                if new is None:
                    raise DropRow(f"{table} {old}")
        return new

    def moment(self, value: datetime) -> datetime:
        return value - self.delta

    def day(self, value: date) -> date:
        return value - timedelta(days=self.days)


def _shift_prose(match: re.Match, target: Target) -> str:
    day, minutes = match.group(1), match.group(2)
    if minutes:
        moment = datetime.strptime(day + minutes, "%Y-%m-%d %H:%M") - target.delta
        return moment.strftime("%Y-%m-%d %H:%M")
    return (date.fromisoformat(day) - timedelta(days=target.days)).isoformat()


class Vocabulary:
    """The template codes and names a value may mention, and the tests for them."""

    def __init__(self, codes: dict[str, str]):
        self.codes = codes  # template code -> its name
        names = sorted(set(codes.values()), key=len, reverse=True)
        self.name_pattern = re.compile("|".join(map(re.escape, names))) if names else None
        self.code_pattern = re.compile(r"(?<!\d)(" + "|".join(sorted(codes, key=len, reverse=True)) + r")(?!\d)")

    def text_flags(self, text: str) -> tuple[bool, bool, bool] | None:
        """Which rewrites a text may need (names, codes, dates); None: none."""
        flags = (bool(self.name_pattern and self.name_pattern.search(text)), bool(self.code_pattern.search(text)),
                 bool(_TEXT_DATE.search(text)))
        return flags if any(flags) else None


def rewrite_text(text: str, target: Target, flags: tuple[bool, bool, bool]) -> str:
    names, codes, dates = flags
    if names and target.name_pattern is not None:
        text = target.name_pattern.sub(lambda m: target.names.get(m.group(0), m.group(0)), text)
    if codes and target.code_pattern is not None:
        text = target.code_pattern.sub(lambda m: target.regions.get(m.group(0), m.group(0)), text)
    if dates and target.delta:
        text = _TEXT_DATE.sub(lambda m: _shift_prose(m, target), text)
    return text


# -- JSON and audit entries as text templates --------------------------------------------
#
# A copy changes a few leaves of a JSON document (an id, a moment, a code). The
# template document is serialized once with a marker at each such leaf; a copy
# then only encodes its leaves and joins the pieces. Stored JSON is encoded the
# way SQLAlchemy writes it (json.dumps' defaults); an audit entry's seal covers
# the canonical form core.audit.service builds (sorted keys, no spaces, UTF-8),
# and every sealed copy is checked against core.audit.service.entry_mac now and then
# (Chain.CHECK_EVERY), and the whole chain by ``yishi audit checkpoint`` after the build.

L_ID, L_IDS, L_MOMENT, L_DATE, L_REGION, L_TEXT, L_OBJECT, L_AT, L_PREV = range(9)
_MARK = "@@{}@@"
_MARK_SPLIT = re.compile(r'"@@(\d+)@@"')


class Leaves:
    """The leaves of a document that a copy rewrites, in marker order."""

    def __init__(self) -> None:
        self.specs: list[tuple[int, Any, Any]] = []

    def add(self, kind: int, arg: Any, original: Any) -> str:
        self.specs.append((kind, arg, original))
        return _MARK.format(len(self.specs) - 1)

    def values(self, target: Target, extra: dict[int, Any] | None = None) -> list[Any]:
        out = []
        for kind, arg, original in self.specs:
            if kind == L_ID:
                out.append(target.resolve(arg, original))
            elif kind == L_IDS:
                out.append([target.resolve(arg, i) for i in original])
            elif kind == L_MOMENT:
                out.append((original[0] - target.delta).isoformat(timespec=original[1]))
            elif kind == L_DATE:
                out.append((date.fromisoformat(original) - timedelta(days=target.days)).isoformat())
            elif kind == L_REGION:
                out.append(target.regions.get(original, original))
            elif kind == L_TEXT:
                out.append(rewrite_text(original, target, arg))
            elif kind == L_OBJECT:
                out.append(str(target.resolve(arg, original)))
            else:
                out.append(extra[kind])
        return out


def mark_json(value: Any, leaves: Leaves, vocabulary: Vocabulary, unknown: set[str],
              top_table: str | None = None) -> Any:
    """``value`` with a marker at each leaf a copy rewrites; unknown id-like keys go to ``unknown``."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            table = ID_KEYS.get(key) or (top_table if key == "id" else None)
            if table is not None and item is not None:
                out[key] = leaves.add(L_IDS if isinstance(item, list) else L_ID, table, item)
                continue
            if key not in KEPT_ID_KEYS and (key.endswith("_id") or key.endswith("_ids")) and item is not None:
                unknown.add(key)
            out[key] = mark_json(item, leaves, vocabulary, unknown)
        return out
    if isinstance(value, list):
        return [mark_json(item, leaves, vocabulary, unknown) for item in value]
    if isinstance(value, str):
        if _DATETIME.match(value):
            return leaves.add(L_MOMENT, None,
                              (datetime.fromisoformat(value), "microseconds" if "." in value else "seconds"))
        if _DATE.match(value):
            return leaves.add(L_DATE, None, value)
        if value in vocabulary.codes:
            return leaves.add(L_REGION, None, value)
        flags = vocabulary.text_flags(value)
        if flags is not None:
            return leaves.add(L_TEXT, flags, value)
    return value


def split_template(text: str) -> list[Any]:
    """[text, leaf index, text, leaf index, …, text]."""
    parts: list[Any] = _MARK_SPLIT.split(text)
    for i in range(1, len(parts), 2):
        parts[i] = int(parts[i])
    return parts


def _leaf(value: Any, quote, separator: str) -> str:
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list):
        return "[" + separator.join(map(str, value)) + "]"
    return "null" if value is None else str(value)


def _stored(value: Any) -> str:
    """A leaf as json.dumps writes it with its defaults (ASCII, ', ' between items)."""
    return _leaf(value, encode_basestring_ascii, ", ")


def _canonical(value: Any) -> str:
    """A leaf as the audit seal's canonical form writes it (UTF-8, no spaces)."""
    return _leaf(value, encode_basestring, ",")


def render(parts: list[Any], encoded: list[str]) -> str:
    out = list(parts)
    for i in range(1, len(out), 2):
        out[i] = encoded[out[i]]
    return "".join(out)


@dataclass
class JsonPlan:
    leaves: Leaves
    parts: list[Any]

    def render(self, target: Target) -> str:
        return render(self.parts, [_stored(v) for v in self.leaves.values(target)])


def plan_json(raw: str, vocabulary: Vocabulary, unknown: set[str]) -> JsonPlan | None:
    leaves = Leaves()
    marked = mark_json(json.loads(raw), leaves, vocabulary, unknown)
    return JsonPlan(leaves, split_template(json.dumps(marked))) if leaves.specs else None


# -- one template row, compiled into what a copy changes ---------------------------------

NEW_ID, REF, REGION, MOMENT, DAY, JSONV, TEXT = range(7)


@dataclass
class RowPlan:
    table: str
    id: int | None
    base: list[Any]
    ops: list[tuple[int, int, Any]]

    def emit(self, target: Target, new_id: int | None) -> list[Any]:
        row = list(self.base)
        for index, op, arg in self.ops:
            if op == NEW_ID:
                row[index] = new_id
            elif op == REF:
                row[index] = target.resolve(arg, row[index])
            elif op == REGION:
                row[index] = target.regions.get(row[index], row[index])
            elif op == MOMENT:
                row[index] = row[index] - target.delta
            elif op == DAY:
                row[index] = row[index] - timedelta(days=target.delta.days)
            elif op == JSONV:
                row[index] = arg.render(target)
            elif op == TEXT:
                row[index] = rewrite_text(row[index], target, arg)
        return row


def compile_row(table: Table, record: asyncpg.Record, family: set[str], vocabulary: Vocabulary,
                unknown: set[str]) -> RowPlan:
    base = list(record.values())
    ops = []
    for index, (column, kind) in enumerate(zip(table.columns, table.types)):
        value = base[index]
        if value is None:
            continue
        ref = table.fks.get(column)
        if column == "id" and table.has_id:
            ops.append((index, NEW_ID, None))
        elif ref is not None and (ref in family or ref in COUNCIL_TABLES):
            ops.append((index, REF, ref))
        elif ref == "regions" or column.endswith("region_code"):
            ops.append((index, REGION, None))
        elif kind == "timestamp with time zone":
            ops.append((index, MOMENT, None))
        elif kind == "date":
            ops.append((index, DAY, None))
        elif kind in ("json", "jsonb"):
            plan = plan_json(value, vocabulary, unknown)
            if plan is not None:
                ops.append((index, JSONV, plan))
        elif kind in ("text", "character varying"):
            flags = vocabulary.text_flags(value)
            if flags is not None:
                ops.append((index, TEXT, flags))
    return RowPlan(table.name, record["id"] if table.has_id else None, base, ops)


@dataclass
class AuditPlan:
    """A template audit entry: its seal's canonical form and its stored before/after, as templates."""

    at: datetime
    actor_user_id: int | None
    actor_label: str
    region_code: str | None
    action: str
    object_type: str
    object_table: str
    object_id: int
    leaves: Leaves
    canonical: list[Any]
    before_raw: str | None
    after_raw: str | None
    before_parts: list[Any] | None
    after_parts: list[Any] | None


def plan_audit(entry: asyncpg.Record, table: str, object_id: int, vocabulary: Vocabulary,
               unknown: set[str]) -> AuditPlan:
    leaves = Leaves()
    sides = {}
    for side in ("before", "after"):
        raw = entry[side]
        sides[side] = (mark_json(json.loads(raw), leaves, vocabulary, unknown, top_table=table)
                       if raw is not None else None, len(leaves.specs))
    parts = {}
    for side in ("before", "after"):
        marked, _ = sides[side]
        raw = entry[side]
        has_leaves = raw is not None and _MARK_SPLIT.search(json.dumps(marked)) is not None
        parts[side] = split_template(json.dumps(marked)) if has_leaves else None
    canonical = {
        "at": leaves.add(L_AT, None, None),
        "actor_user_id": entry["actor_user_id"],
        "actor_label": entry["actor_label"],
        "region_code": leaves.add(L_REGION, None, entry["region_code"]) if entry["region_code"] is not None else None,
        "action": entry["action"],
        "object_type": entry["object_type"],
        "object_id": leaves.add(L_OBJECT, table, object_id),
        "before": sides["before"][0] if entry["before"] is not None else None,
        "after": sides["after"][0] if entry["after"] is not None else None,
        "prev_hash": leaves.add(L_PREV, None, None),
    }
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return AuditPlan(entry["at"], entry["actor_user_id"], entry["actor_label"], entry["region_code"],
                     entry["action"], entry["object_type"], table, object_id, leaves, split_template(text),
                     entry["before"], entry["after"], parts["before"], parts["after"])


# -- the templates --------------------------------------------------------------------------

@dataclass
class TemplateTopic:
    id: int
    region_code: str
    status: str
    step: str
    procedure: tuple[str, int]
    created_at: datetime
    rows: dict[str, list[RowPlan]]                 # table -> rows, in the family's order
    foreign_rows: dict[str, list[RowPlan]]         # the same, for a target without the officers' accounts
    audit: list[AuditPlan]
    regions: set[str]                              # template codes its rows mention
    future: datetime | None                        # the earliest moment still ahead of the build

    @property
    def historical(self) -> bool:
        return self.status in ("closed", "rejected")


@dataclass
class TemplateCouncil:
    id: int
    region_code: str
    rows: dict[str, list[RowPlan]]
    audit: list[AuditPlan]
    shift: timedelta


@dataclass
class Templates:
    schema: dict[str, Table]
    family: list[str]
    topics: dict[int, TemplateTopic]
    councils: dict[str, TemplateCouncil]           # by region code
    regions: dict[str, tuple[str, str, str | None]]  # code -> (name, level, parent)
    officers: dict[str, set[int]]
    left_out: dict[str, int]                       # table -> template rows not copied
    audit_left_out: dict[str, int]                 # action -> entries not copied


def _object_table(object_type: str, schema: dict[str, Table]) -> str | None:
    name = OBJECT_TABLES.get(object_type, object_type + "s")
    return name if name in schema else None


def _moments(value: Any) -> list[datetime]:
    if isinstance(value, datetime):
        return [value]
    if isinstance(value, str) and _DATETIME.match(value):
        return [datetime.fromisoformat(value)]
    if isinstance(value, dict):
        return [m for item in value.values() for m in _moments(item)]
    if isinstance(value, list):
        return [m for item in value for m in _moments(item)]
    return []


async def load_templates(conn: asyncpg.Connection, city: str, now: datetime) -> Templates:
    schema = await load_schema(conn)
    family = topic_family(schema)
    family_set = set(family)
    regions = {r["code"]: (r["name"], r["level"], r["parent_code"]) for r in await conn.fetch(
        "SELECT code, name, level, parent_code FROM regions WHERE code >= $1 AND code < $2 ORDER BY code",
        city, city[:-1] + chr(ord(city[-1]) + 1))}
    officers: dict[str, set[int]] = defaultdict(set)
    for row in await conn.fetch("SELECT user_id, region_code FROM role_grants WHERE role = ANY($1::text[])",
                                list(OFFICER_ROLES)):
        officers[row["region_code"]].add(row["user_id"])

    records: dict[str, list[asyncpg.Record]] = {}
    for name in [*family, *COUNCIL_TABLES]:
        table = schema[name]
        order = "id" if table.has_id else ", ".join(table.columns)
        records[name] = list(await conn.fetch(
            f"SELECT {', '.join(table.columns)} FROM {name} ORDER BY {order}"))
    template_codes = {row["region_code"] for row in records["councils"]}
    template_codes |= {code[:6] for code in template_codes} | {code[:4] for code in template_codes}
    vocabulary = Vocabulary({code: regions[code][0] for code in template_codes if code in regions})

    # Who owns each row: its topic, found through the first foreign key that leads to one.
    owner: dict[str, dict[Any, int]] = {name: {} for name in family}
    for row in records[TOPIC_ROOT]:
        owner[TOPIC_ROOT][row["id"]] = row["id"]

    def key_of(name: str, row: asyncpg.Record, index: int) -> Any:
        return row["id"] if schema[name].has_id else index

    for _ in range(len(family) + 1):
        for name in family[1:]:
            table = schema[name]
            for index, row in enumerate(records[name]):
                key = key_of(name, row, index)
                if key in owner[name]:
                    continue
                refs = sorted(table.fks.items(), key=lambda item: item[1] != TOPIC_ROOT)
                for column, ref in refs:
                    value = row[column]
                    if ref in family_set and value is not None and value in owner[ref]:
                        owner[name][key] = owner[ref][value]
                        break
        # Junctions hand their topic to the row they point at (a meeting, through meeting_topics).
        for name in family:
            table = schema[name]
            if table.has_id or TOPIC_ROOT not in table.fks.values():
                continue
            for index, row in enumerate(records[name]):
                topic = owner[name].get(index)
                for column, ref in table.fks.items():
                    if ref in family_set and ref != TOPIC_ROOT and row[column] is not None and topic is not None:
                        owner[ref].setdefault(row[column], topic)

    unknown: set[str] = set()
    topics: dict[int, TemplateTopic] = {}
    left_out: dict[str, int] = {}
    for row in records[TOPIC_ROOT]:
        topics[row["id"]] = TemplateTopic(row["id"], row["region_code"], row["status"], row["step"],
                                          (row["procedure_key"], row["procedure_version"]), row["created_at"],
                                          {n: [] for n in family}, {}, [], set(), None)
    for name in family:
        table = schema[name]
        for index, row in enumerate(records[name]):
            topic_id = owner[name].get(key_of(name, row, index))
            if topic_id is None:
                left_out[name] = left_out.get(name, 0) + 1
                continue
            topic = topics[topic_id]
            topic.rows[name].append(compile_row(table, row, family_set, vocabulary, unknown))
            for column, kind, value in zip(table.columns, table.types, row.values()):
                if value is None:
                    continue
                if column.endswith("region_code"):
                    topic.regions.add(value)
                if kind in ("json", "jsonb"):
                    parsed = json.loads(value)
                    topic.regions |= {s for s in _strings(parsed) if s in vocabulary.codes}
                    moments = _moments(parsed)
                else:
                    moments = _moments(value)
                ahead = [m for m in moments if m > now]
                if ahead and (topic.future is None or min(ahead) < topic.future):
                    topic.future = min(ahead)

    # Notifications for a template council's officers go to the council itself in a copy.
    for topic in topics.values():
        topic.foreign_rows = dict(topic.rows)
        if "notifications" in topic.rows:
            table = schema["notifications"]
            user_at, region_at = table.columns.index("user_id"), table.columns.index("region_code")
            kept, seen = [], set()
            for plan in topic.rows["notifications"]:
                user, region = plan.base[user_at], plan.base[region_at]
                if user is not None and user in officers.get(region, ()):
                    plan = RowPlan(plan.table, plan.id, list(plan.base), plan.ops)
                    plan.base[user_at] = None
                    group = tuple(v for i, v in enumerate(plan.base) if table.columns[i] not in ("id", "user_id"))
                    if group in seen:
                        continue
                    seen.add(group)
                kept.append(plan)
            topic.foreign_rows["notifications"] = kept

    # Councils, copied per region with their terms and members.
    councils: dict[str, TemplateCouncil] = {}
    council_owner: dict[tuple[str, int], str] = {}
    for row in records["councils"]:
        councils[row["region_code"]] = TemplateCouncil(row["id"], row["region_code"],
                                                       {n: [] for n in COUNCIL_TABLES}, [], timedelta(0))
        council_owner[("councils", row["id"])] = row["region_code"]
    for name, parent_column, parent in (("council_terms", "council_id", "councils"),
                                        ("council_members", "term_id", "council_terms")):
        for row in records[name]:
            region = council_owner.get((parent, row[parent_column]))
            if region is not None:
                council_owner[(name, row["id"])] = region
    for name in COUNCIL_TABLES:
        for row in records[name]:
            region = council_owner.get((name, row["id"]))
            if region is not None:
                councils[region].rows[name].append(
                    compile_row(schema[name], row, set(COUNCIL_TABLES), vocabulary, unknown))
    for row in records["council_terms"]:
        council = councils[council_owner[("council_terms", row["id"])]]
        created = next(r for r in records["councils"] if r["id"] == council.id)["created_at"]
        # A copied council was set up the week before its term began.
        council.shift = max(timedelta(0), timedelta(days=(created.date() - row["starts_on"]).days + 7))

    # The audit entries of each copied row.
    audit_left_out: dict[str, int] = {}
    for entry in await conn.fetch("SELECT * FROM audit_entries ORDER BY id"):
        table = _object_table(entry["object_type"], schema)
        object_id = int(entry["object_id"]) if entry["object_id"].isdigit() else None
        topic_id = owner.get(table, {}).get(object_id) if table in owner else None
        council_region = council_owner.get((table, object_id)) if table in COUNCIL_TABLES else None
        if topic_id is None and council_region is None:
            audit_left_out[entry["action"]] = audit_left_out.get(entry["action"], 0) + 1
            continue
        plan = plan_audit(entry, table, object_id, vocabulary, unknown)
        before = json.loads(entry["before"]) if entry["before"] is not None else None
        after = json.loads(entry["after"]) if entry["after"] is not None else None
        if topic_id is not None:
            topics[topic_id].audit.append(plan)
            topics[topic_id].regions |= {s for s in _strings([before, after, entry["region_code"]])
                                         if s in vocabulary.codes}
            if entry["at"] > now:
                topics[topic_id].future = min(filter(None, (topics[topic_id].future, entry["at"])))
        else:
            councils[council_region].audit.append(plan)
    if unknown:
        raise SystemExit(f"!! JSON keys that look like ids but are not known to bench/clone.py: {sorted(unknown)}; "
                         "add each to ID_KEYS (a cloned table) or KEPT_ID_KEYS (a shared one)")
    return Templates(schema, family, topics, councils, regions, dict(officers), left_out, audit_left_out)


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# -- where the copies go -----------------------------------------------------------------------

@dataclass
class Unit:
    """A template street: its council regions (the street, then its communities) and their topics."""

    street: str
    communities: list[str]
    topics: list[TemplateTopic]


@dataclass
class Pair:
    """A place a unit is copied to: a street and as many of its communities as the unit has
    (fewer when the street has run out; the topics needing the missing ones are not copied there)."""

    unit: Unit
    street: str
    communities: list[str]

    def regions(self) -> dict[str, str]:
        mapping = {self.unit.street: self.street, self.unit.street[:6]: self.street[:6]}
        mapping.update(zip(self.unit.communities, self.communities))
        return mapping


@dataclass
class Copy:
    pair_index: int
    copy: int
    topic: TemplateTopic
    delta: timedelta
    created_at: datetime
    new_id: int = 0


# How many copies each kind of template topic gets, relative to the others: most of a
# city's topics are done with (closed), fewer are under way, a few were turned down.
WEIGHTS = {"closed": 20.0, "rejected": 2.5, "implementing": 4.0, "on_notice": 1.5, "other": 1.0}
# Closed and rejected topics are spread over this many days before the build (inside the
# councils' current term, which the demo starts on 2026-01-01).
HISTORY_DAYS = 250
# An open topic moves back by at most this much (and never past a deadline still ahead of it).
OPEN_JITTER = timedelta(hours=6)


def weigh(topic: TemplateTopic) -> float:
    if topic.status == "closed":
        return WEIGHTS["closed"]
    if topic.status == "rejected":
        return WEIGHTS["rejected"]
    if topic.rows.get("tasks"):
        return WEIGHTS["implementing"]
    if topic.rows.get("notices"):
        return WEIGHTS["on_notice"]
    return WEIGHTS["other"]


def plan_copies(templates: Templates, pairs: list[Pair], regular: int, topics_wanted: int,
                extra: list[tuple[int, TemplateTopic, int]], now: datetime, rng: random.Random) -> list[Copy]:
    """Copies of the template topics into the first ``regular`` pairs, weighted by kind, so that
    the city holds ``topics_wanted`` topics (the templates included), plus the ``extra``
    copies (pair index, template topic, how many) exactly."""
    eligible: list[tuple[int, TemplateTopic]] = []
    for index, pair in enumerate(pairs[:regular]):
        mapped = set(pair.regions()) | {pair.unit.street[:4]}
        eligible += [(index, topic) for topic in pair.unit.topics if topic.regions <= mapped]
    wanted = topics_wanted - len(templates.topics) - sum(n for _, _, n in extra)
    if wanted < 0 or not eligible:
        raise SystemExit(f"!! cannot make {topics_wanted} topics from {len(eligible)} places")
    scale = wanted / sum(weigh(t) for _, t in eligible)
    counts: dict[tuple[int, int], int] = {}
    for index, topic in eligible:
        share = weigh(topic) * scale
        counts[(index, topic.id)] = int(share) + (1 if rng.random() < share - int(share) else 0)
    keys = list(counts)
    difference = wanted - sum(counts.values())
    while difference:
        key = rng.choice(keys)
        if difference > 0:
            counts[key] += 1
            difference -= 1
        elif counts[key] > 0:
            counts[key] -= 1
            difference += 1
    copies: list[Copy] = []
    for (index, topic_id), count in counts.items():
        copies += [_copy(index, number, templates.topics[topic_id], now, rng) for number in range(count)]
    for index, topic, count in extra:
        copies += [_copy(index, number, topic, now, rng) for number in range(count)]
    copies.sort(key=lambda c: (c.created_at, c.pair_index, c.topic.id, c.copy))
    return copies


def _copy(index: int, number: int, topic: TemplateTopic, now: datetime, rng: random.Random) -> Copy:
    if topic.historical:
        delta = timedelta(days=rng.randrange(HISTORY_DAYS), minutes=rng.randrange(1440))
    else:
        room = OPEN_JITTER if topic.future is None else min(OPEN_JITTER, topic.future - now - timedelta(hours=1))
        minutes = int(room.total_seconds() // 60)
        delta = timedelta(minutes=rng.randrange(minutes)) if minutes > 0 else timedelta(0)
    return Copy(index, number, topic, delta, topic.created_at - delta)


# -- writing -----------------------------------------------------------------------------------

class Writer:
    """Rows collected per table; every ``batch_rows`` rows the batch goes to the COPY side."""

    def __init__(self, handoff, batch_rows: int = 100_000):
        self.handoff = handoff
        self.buffers: dict[str, list] = defaultdict(list)
        self.pending = 0
        self.batch_rows = batch_rows

    def add(self, table: str, row: list) -> None:
        self.buffers[table].append(row)
        self.pending += 1
        if self.pending >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.handoff(self.buffers)
            self.buffers = defaultdict(list)
            self.pending = 0


class Chain:
    """The audit chain's tip while copies are appended: each entry sealed over the canonical
    form ``core.audit.service`` seals, with its key, linked to the one before."""

    # Every so many entries (and the first ones), the seal is recomputed with the product's own
    # entry_mac from the stored columns, as ``yishi audit verify`` will read them.
    CHECK_EVERY = 5000

    COLUMNS = ["id", "at", "actor_user_id", "actor_label", "region_code", "action", "object_type", "object_id",
               "before", "after", "prev_hash", "hash", "scheme"]

    def __init__(self, key, last_id: int, last_hash: str, entry_mac, scheme: str, columns: list[str]):
        if sorted(columns) != sorted(self.COLUMNS):
            raise SystemExit(f"!! audit_entries has columns {columns}; bench/clone.py writes {self.COLUMNS}")
        self.key = key
        self.secret = key.secret
        self.last_id = last_id
        self.last_hash = last_hash
        self.entry_mac = entry_mac
        self.scheme = scheme
        self.columns = columns
        self.appended = 0
        self.checked = 0

    def append(self, plan: AuditPlan, target: Target, writer: Writer) -> None:
        at = plan.at - target.delta
        try:
            values = plan.leaves.values(target, {L_AT: at.isoformat(timespec="microseconds"),
                                                 L_PREV: self.last_hash})
        except DropRow:
            return
        canonical = render(plan.canonical, [_canonical(v) for v in values])
        mac = hmac.digest(self.secret, canonical.encode("utf-8"), "sha256").hex()
        stored = [_stored(v) for v in values]
        before = render(plan.before_parts, stored) if plan.before_parts is not None else plan.before_raw
        after = render(plan.after_parts, stored) if plan.after_parts is not None else plan.after_raw
        region = target.regions.get(plan.region_code, plan.region_code)
        object_id = str(target.resolve(plan.object_table, plan.object_id))
        entry_id = self.last_id + 1
        row = [entry_id, at, plan.actor_user_id, plan.actor_label, region, plan.action, plan.object_type,
               object_id, before, after, self.last_hash, mac, self.scheme]
        if self.appended < 200 or self.appended % self.CHECK_EVERY == 0:
            expected = self.entry_mac(
                self.key, at=at, actor_user_id=plan.actor_user_id, actor_label=plan.actor_label, region_code=region,
                action=plan.action, object_type=plan.object_type, object_id=object_id,
                before=json.loads(before) if before is not None else None,
                after=json.loads(after) if after is not None else None, prev_hash=self.last_hash)
            if expected != mac:
                raise SystemExit(f"!! copied audit entry {entry_id} ({plan.action}) does not seal as "
                                 f"core.audit.service seals:\n{canonical}")
            self.checked += 1
        writer.add("audit_entries", row)
        self.last_id, self.last_hash = entry_id, mac
        self.appended += 1


@dataclass
class Place:
    """What every copy into one place shares: the region rewrite and the councils there."""

    regions: dict[str, str]
    names: dict[str, str]
    name_pattern: re.Pattern | None
    code_pattern: re.Pattern | None
    councils: dict[tuple[str, int], int]

    def target(self, delta: timedelta, siblings: dict[int, int] | None = None) -> Target:
        return Target(self.regions, self.names, delta, {}, self.councils, siblings or {},
                      self.name_pattern, self.code_pattern)


def place_for(regions: dict[str, str], templates: Templates, councils: dict[tuple[str, int], int]) -> Place:
    moved = {old: new for old, new in regions.items() if old != new}
    names = {templates.regions[old][0]: templates.regions[new][0] for old, new in moved.items()
             if old in templates.regions and new in templates.regions
             and templates.regions[old][0] != templates.regions[new][0]}
    name_pattern = re.compile("|".join(map(re.escape, sorted(names, key=len, reverse=True)))) if names else None
    code_pattern = (re.compile(r"(?<!\d)(" + "|".join(sorted(moved, key=len, reverse=True)) + r")(?!\d)")
                    if moved else None)
    return Place(moved, names, name_pattern, code_pattern, councils)


def emit_rows(plans: dict[str, list[RowPlan]], order: list[str], target: Target, ids: dict[str, int],
              writer: Writer, dropped: dict[str, int]) -> None:
    # Ids first: a row may name one written after it (a notice_closed event's notice_id).
    for name in order:
        for plan in plans.get(name, ()):
            if plan.id is not None and (name, plan.id) not in target.ids:
                target.ids[(name, plan.id)] = ids[name]
                ids[name] += 1
    for name in order:
        for plan in plans.get(name, ()):
            try:
                row = plan.emit(target, target.ids[(name, plan.id)] if plan.id is not None else None)
            except DropRow:
                dropped[name] = dropped.get(name, 0) + 1
                continue
            writer.add(name, row)


@dataclass
class Written:
    rows: dict[str, int]
    dropped: dict[str, int]
    councils: int
    audit: int
    audit_checked: int
    head: tuple[int, str]
    seconds: float
    copy_busy: float
    index_seconds: float


async def secondary_indexes(conn: asyncpg.Connection, tables: list[str]) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of ``tables`` that back no constraint."""
    rows = await conn.fetch(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
        "WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[]) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid) ORDER BY 1", tables)
    return [(r["indexname"], r["indexdef"]) for r in rows]


def produce(templates: Templates, pairs: list[Pair], copies: list[Copy], ids: dict[str, int], chain: Chain,
            writer: Writer, dropped: dict[str, int]) -> int:
    """Every council copy, then every topic copy, into ``writer`` (runs in a thread); councils made."""
    order = templates.family
    council_maps: dict[str, dict[tuple[str, int], int]] = {}
    made = 0
    for pair in pairs:
        for old, new in pair.regions().items():
            council = templates.councils.get(old)
            if council is None or new in council_maps:
                continue
            if new == old:
                council_maps[new] = {(name, plan.id): plan.id for name, plans in council.rows.items()
                                     for plan in plans}
                continue
            target = place_for({old: new, old[:6]: new[:6]}, templates, {}).target(council.shift)
            emit_rows(council.rows, list(COUNCIL_TABLES), target, ids, writer, dropped)
            for plan in council.audit:
                chain.append(plan, target, writer)
            council_maps[new] = dict(target.ids)
            made += 1

    places = []
    for pair in pairs:
        councils: dict[tuple[str, int], int] = {}
        for new in pair.regions().values():
            councils.update(council_maps.get(new, {}))
        places.append(place_for(pair.regions(), templates, councils))

    for copy in copies:
        copy.new_id = ids[TOPIC_ROOT]
        ids[TOPIC_ROOT] += 1
    # A copy's link to another topic of the same place goes to a copy of that topic there
    # (the copy with the same number, or one of the fewer there are).
    by_place: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for copy in sorted(copies, key=lambda c: c.copy):
        by_place[copy.pair_index][copy.topic.id].append(copy.new_id)
    siblings: dict[tuple[int, int], dict[int, int]] = {}
    for copy in copies:
        key = (copy.pair_index, copy.copy)
        if key not in siblings:
            siblings[key] = {topic: there[copy.copy % len(there)]
                             for topic, there in by_place[copy.pair_index].items()}

    for copy in copies:
        place = places[copy.pair_index]
        target = place.target(copy.delta, siblings[(copy.pair_index, copy.copy)])
        target.ids[(TOPIC_ROOT, copy.topic.id)] = copy.new_id
        foreign = place.regions.get(copy.topic.region_code, copy.topic.region_code) != copy.topic.region_code
        emit_rows(copy.topic.foreign_rows if foreign else copy.topic.rows, order, target, ids, writer, dropped)
        for plan in copy.topic.audit:
            chain.append(plan, target, writer)
    writer.flush()
    return made


async def write_copies(conn: asyncpg.Connection, templates: Templates, pairs: list[Pair], copies: list[Copy],
                       key, entry_mac, scheme: str) -> Written:
    """Write the councils of every place and every copy, then move the audit head and the sequences.

    Rows are made in a thread while this coroutine COPYs the previous batch, so the
    database ingests on one core while Python generates on the other. Secondary
    indexes of the loaded tables are dropped first and built again at the end
    (the same definitions), which is quicker than keeping them up row by row.
    """
    schema = templates.schema
    order = templates.family
    loaded = [*COUNCIL_TABLES, *order, "audit_entries"]
    ids = {name: (await conn.fetchval(f"SELECT coalesce(max(id), 0) FROM {name}")) + 1
           for name in [*COUNCIL_TABLES, *order] if schema[name].has_id}
    head = await conn.fetchrow("SELECT last_id, last_hash FROM audit_head WHERE id = 1")
    chain = Chain(key, head["last_id"], head["last_hash"], entry_mac, scheme, schema["audit_entries"].columns)
    indexes = await secondary_indexes(conn, loaded)
    for name, _ in indexes:
        await conn.execute(f'DROP INDEX "{name}"')
    await conn.execute("SET session_replication_role = replica")
    await conn.execute("SET synchronous_commit = off")

    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue(maxsize=2)

    def handoff(buffers) -> None:
        asyncio.run_coroutine_threadsafe(queue.put(buffers), loop).result()

    writer = Writer(handoff)
    dropped: dict[str, int] = {}
    started = time.perf_counter()

    def run() -> int:
        try:
            return produce(templates, pairs, copies, ids, chain, writer, dropped)
        finally:
            asyncio.run_coroutine_threadsafe(queue.put(None), loop).result()

    producer = loop.run_in_executor(None, run)
    written: dict[str, int] = defaultdict(int)
    busy = 0.0
    while True:
        buffers = await queue.get()
        if buffers is None:
            break
        began = time.perf_counter()
        for name in loaded:
            rows = buffers.get(name)
            if rows:
                columns = Chain.COLUMNS if name == "audit_entries" else schema[name].columns
                await conn.copy_records_to_table(name, records=rows, columns=columns)
                written[name] += len(rows)
        busy += time.perf_counter() - began
    made = await producer

    await conn.execute("SET session_replication_role = DEFAULT")
    await conn.execute("UPDATE audit_head SET last_id = $1, last_hash = $2 WHERE id = 1",
                       chain.last_id, chain.last_hash)
    for name in [*COUNCIL_TABLES, *order]:
        if schema[name].has_id:
            await conn.execute(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                               f"(SELECT coalesce(max(id), 1) FROM {name}))")
    generated = time.perf_counter() - started
    began = time.perf_counter()
    await conn.execute("SET maintenance_work_mem = '256MB'")
    for _, definition in indexes:
        await conn.execute(definition)
    return Written(dict(written), dropped, made, chain.appended, chain.checked, (chain.last_id, chain.last_hash),
                   generated, busy, time.perf_counter() - began)


async def check_foreign_keys(conn: asyncpg.Connection, schema: dict[str, Table], tables: list[str]) -> list[str]:
    """Every foreign key of ``tables`` that points at a missing row (there should be none)."""
    broken = []
    for name in tables:
        for column, ref in schema[name].fks.items():
            ref_column = "code" if ref == "regions" else "id"
            missing = await conn.fetchval(
                f"SELECT count(*) FROM {name} c WHERE c.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {ref} p WHERE p.{ref_column} = c.{column})")
            if missing:
                broken.append(f"{name}.{column} -> {ref}: {missing} rows")
    return broken
