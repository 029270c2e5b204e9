"""Issue 8, done when: ``/schema/openapi.json`` has no request body without a
schema, and a misspelt field gets a 400 naming it, in both languages.

Every body is tried the same way: the operation is called by a platform
admin (so the guard lets it through to the body) with one field no form
has. The body is decoded before the handler runs, so the path's ids need
not exist; a form that dropped the field instead would reach the handler
and answer otherwise (404, 409, a missing field), and the test would fail.
"""
from __future__ import annotations

import re

import msgspec
from sqlalchemy import func, select

from core.app import create_app
from core.consultation.schemas import MemberVote, MinutesEntry, Participant, Tallies
from core.models import AuditEntry, Topic
from core.runtime import Runtime
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions

PARAM = re.compile(r"\{([^}:]+)(:[^}]+)?\}")
BODY_METHODS = ("post", "put", "patch")
MULTIPART = "multipart/form-data"
MISSPELT = "zzz_misspelt"
COMMUNITY = "330203001001"
# Path values that get a platform admin through the guard; ids need not exist.
PATH_VALUES = {"code": COMMUNITY, "home_code": COMMUNITY, "community": COMMUNITY, "action": "admit",
               "username": "nobody"}
# Every body the API takes, at the time of writing (the test fails if the document holds fewer).
KNOWN_BODIES = 31
# A form whose route hands the service the body as sent, so that the service names
# an unknown field together with the form's other mistakes; it does so only for
# an open notice, which tests/test_notices.py objects to with a misspelt field.
NAMED_BY_THE_SERVICE = {"core.notices.schemas.ObjectionForm"}
AFTER_THE_SERVICE_FINDS_ITS_OBJECT = {("post", "/api/v1/public/notices/{notice_id}/objections")}


def _resolve(document: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _untyped(document: dict, schema: dict | None) -> str | None:
    """Why ``schema`` does not type a request body, or None when it does."""
    if not schema:
        return "no schema"
    schema = _resolve(document, schema)
    members = schema.get("oneOf") or schema.get("anyOf")
    if members:
        typed = [m for m in (_resolve(document, m) for m in members) if m.get("type") != "null"]
        if not typed:
            return "a schema that allows only null"
        return next((why for why in (_untyped(document, m) for m in typed) if why), None)
    if schema.get("type") != "object":
        return f"a schema of type {schema.get('type')!r}, not an object with fields"
    if not schema.get("properties"):
        return "an untyped object (no properties)"
    return None


def _bodies(document: dict):
    """(method, path, media type, schema) of every request body in the document."""
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            for media_type, content in operation["requestBody"].get("content", {}).items():
                yield method, path, media_type, content.get("schema")


def _form_of(document: dict, schema: dict) -> dict:
    """The object schema of a body that may also be null."""
    schema = _resolve(document, schema)
    members = [_resolve(document, m) for m in schema.get("oneOf", [])]
    return next((m for m in members if m.get("type") == "object"), schema)


async def test_every_request_body_has_a_typed_schema(runtime):
    async with app_client(runtime) as client:
        document = (await client.get("/schema/openapi.json")).json()
    bodies = list(_bodies(document))
    untyped = [f"{method.upper()} {path} ({media_type}): {why}" for method, path, media_type, schema in bodies
               if (why := _untyped(document, schema))]
    assert untyped == [], "request bodies without a typed schema:\n" + "\n".join(untyped)
    assert len(bodies) >= KNOWN_BODIES


def _structs(info, seen: set) -> None:
    """Every msgspec Struct reachable from the type ``info`` describes, into ``seen``."""
    if isinstance(info, msgspec.inspect.StructType):
        if info.cls in seen:
            return
        seen.add(info.cls)
        for field in info.fields:
            _structs(field.type, seen)
    elif isinstance(info, msgspec.inspect.Metadata):
        _structs(info.type, seen)
    elif isinstance(info, msgspec.inspect.UnionType):
        for member in info.types:
            _structs(member, seen)
    elif isinstance(info, (msgspec.inspect.ListType, msgspec.inspect.SetType, msgspec.inspect.VarTupleType)):
        _structs(info.item_type, seen)
    elif isinstance(info, msgspec.inspect.DictType):
        _structs(info.value_type, seen)


def test_every_form_the_api_decodes_forbids_unknown_fields(config, plugin_host):
    # Nested forms too (a participant, a vote), which the calls below do not reach one by one.
    app = create_app(Runtime.build(config, plugins=plugin_host))
    seen: set = set()
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            body = getattr(handler, "parsed_data_field", None)
            if body is not None:
                _structs(msgspec.inspect.type_info(body.annotation), seen)
    lenient = {f"{cls.__module__}.{cls.__qualname__}" for cls in seen
               if not cls.__struct_config__.forbid_unknown_fields}
    assert lenient - NAMED_BY_THE_SERVICE == set(), f"forms that would drop a misspelt field: {sorted(lenient)}"
    # The walk reached the forms inside forms.
    assert {Participant, MemberVote, MinutesEntry, Tallies} <= seen


async def _call(client, headers, method: str, path: str, media_type: str, fields: dict):
    url = PARAM.sub(lambda m: PATH_VALUES.get(m.group(1), "1"), path)
    if media_type == MULTIPART:
        return await client.request(method.upper(), url, headers=headers, data=fields,
                                    files={"file": ("a.png", b"\x89PNG\r\n\x1a\n", "image/png")})
    return await client.request(method.upper(), url, headers=headers, json=fields)


async def test_a_misspelt_field_is_a_400_naming_it_on_every_body(runtime, db):
    await add_regions(db, *SMALL_TREE)
    await make_user(db, "root", ("platform_admin", None))
    async with app_client(runtime) as client:
        headers = bearer(await login(client, "root"))
        audited = await db.scalar(select(func.count()).select_from(AuditEntry))
        document = (await client.get("/schema/openapi.json")).json()
        failures, checked = [], 0
        for method, path, media_type, schema in _bodies(document):
            if method not in BODY_METHODS or (method, path) in AFTER_THE_SERVICE_FINDS_ITS_OBJECT:
                continue
            answer = await _call(client, headers, method, path, media_type, {MISSPELT: "1"})
            checked += 1
            named = [f for f in answer.json().get("error", {}).get("fields", []) if f["field"] == MISSPELT] \
                if answer.status_code == 400 else []
            if not named:
                failures.append(f"{method.upper()} {path}: {answer.status_code} {answer.text[:200]}")
                continue
            [field] = named
            listed = list(_form_of(document, schema)["properties"])
            if not (MISSPELT in field["message_zh"] and f"unknown field '{MISSPELT}'" in field["message_en"]
                    and all(name in field["message_en"] and name in field["message_zh"] for name in listed)):
                failures.append(f"{method.upper()} {path}: the message does not name the field and the form's "
                                f"fields {listed}: {field}")
    assert failures == [], f"{len(failures)} of {checked} bodies took a misspelt field:\n" + "\n".join(failures)
    assert checked >= KNOWN_BODIES - len(AFTER_THE_SERVICE_FINDS_ITS_OBJECT)
    # Refused before anything was done.
    assert await db.scalar(select(func.count()).select_from(Topic)) == 0
    assert await db.scalar(select(func.count()).select_from(AuditEntry)) == audited


async def test_a_misspelt_field_inside_a_list_is_named_with_its_place(runtime, db):
    await add_regions(db, *SMALL_TREE)
    await make_user(db, "root", ("platform_admin", None))
    async with app_client(runtime) as client:
        headers = {**bearer(await login(client, "root")), "Accept-Language": "en"}
        answer = await client.post("/api/v1/meetings/1/votes", headers=headers,
                                   json={"topic_id": 1, "votes": [{"member_id": 1, "choice": "for"},
                                                                  {"member_id": 2, "chioce": "for"}]})
    assert answer.status_code == 400
    error = answer.json()["error"]
    [field] = error["fields"]
    assert field["field"] == "votes[1].chioce"
    assert field["message_en"] == "unknown field 'votes[1].chioce'; the fields are: member_id, choice"
    assert field["message_zh"] == "未知字段“votes[1].chioce”，可用字段：member_id、choice"
    assert error["code"] == "validation_failed" and error["message"] == error["message_en"]
