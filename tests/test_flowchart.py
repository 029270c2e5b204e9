"""The procedure flowchart (议事流程图): completeness of any procedure, the SVG
drawing (parsed as XML, every step title in it, self-contained), and the
region's procedure over HTTP as JSON and SVG on both backends."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from core.authz.roles import Role
from core.procedures.flowchart import flowchart_complete, procedure_dict, render_svg
from core.procedures.generic import GENERIC
from core.procedures.model import Action, Procedure, Stage, Step
from core.procedures.registry import procedure_registry
from tests.auth_helpers import app_client, bearer, login, make_user
from tests.helpers import SMALL_TREE, add_regions

SVG_NS = "{http://www.w3.org/2000/svg}"
LEAD = frozenset({Role.council_chair})
STAGE = (Stage("only", "阶段", "stage"),)


def procedure(*steps: Step) -> Procedure:
    # Built directly: flowchart_complete must judge procedures the validator lets through too.
    return Procedure("t", 1, "测试程序", "test procedure", STAGE, steps)


def go(key: str, to_step: str | None = None, to_status: str | None = None) -> Action:
    return Action(key, f"操作{key}", f"action {key}", LEAD, to_step=to_step, to_status=to_status)


def kinds(problems) -> list[tuple[str, str]]:
    return [(p.kind, p.step) for p in problems]


def test_every_installed_procedure_is_complete(plugin_host):
    registry = procedure_registry(plugin_host)
    for key in registry.keys():
        for version in registry.versions(key):
            assert flowchart_complete(registry.get(key, version)) == [], f"{key}@{version}"


def test_a_step_nothing_leads_to_is_unreachable():
    found = flowchart_complete(procedure(Step("a", "甲", "A", "only", (go("end", to_status="closed"),)),
                                         Step("b", "乙", "B", "only", (go("back", to_step="a"),))))
    assert kinds(found) == [("unreachable", "b")]
    assert found[0].zh == "从起始步骤无法到达“乙”" and found[0].as_dict()["message_en"].startswith("step 'B'")


def test_a_step_without_actions_is_a_problem_with_no_exception():
    # Not even a last step may be a dead end: a topic there could never finish.
    found = flowchart_complete(procedure(Step("a", "甲", "A", "only", (go("next", to_step="b"),)),
                                         Step("b", "乙", "B", "only", ())))
    assert kinds(found) == [("no_way_out", "a"), ("no_actions", "b")]


def test_a_loop_with_no_way_to_an_end_is_a_problem():
    found = flowchart_complete(procedure(
        Step("a", "甲", "A", "only", (go("next", to_step="b"), go("stop", to_status="rejected"))),
        Step("b", "乙", "B", "only", (go("next", to_step="c"),)),
        Step("c", "丙", "C", "only", (go("again", to_step="b"), go("note"))),
    ))
    assert kinds(found) == [("no_way_out", "b"), ("no_way_out", "c")]


def test_an_action_to_an_unknown_step_and_an_empty_procedure():
    found = flowchart_complete(procedure(Step("a", "甲", "A", "only", (go("x", to_step="nowhere"),
                                                                       go("end", to_status="closed")))))
    assert kinds(found) == [("unknown_target", "a")]
    assert kinds(flowchart_complete(procedure())) == [("no_actions", "")]


def _step_titles(root: ET.Element, key: str, joiner: str) -> str:
    group = next(g for g in root.iter(f"{SVG_NS}g") if g.get("data-step") == key)
    return joiner.join(t.text for t in group.iter(f"{SVG_NS}text") if t.get("font-weight") == "bold")


@pytest.mark.parametrize("lang, joiner", [("zh", ""), ("en", " ")])
def test_the_svg_parses_and_names_every_step_stage_and_end(lang, joiner):
    svg = render_svg(GENERIC, lang)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    title = (lambda o: o.title_en if lang == "en" else o.title_zh)
    for step in GENERIC.steps:
        assert _step_titles(root, step.key, joiner) == title(step)
    texts = "".join(root.itertext()) if lang == "zh" else " ".join(root.itertext())
    for stage in GENERIC.stages:
        assert all(word in texts for word in title(stage).split())
    ends = {g.get("data-status"): "".join(g.itertext()) for g in root.iter(f"{SVG_NS}g") if g.get("class") == "end"}
    assert ends == ({"rejected": "不予协商", "closed": "办结"} if lang == "zh" else
                    {"rejected": "rejected", "closed": "closed"})
    # Staying actions are listed in their step's box, moving ones label arrows.
    assert "记录调研" in texts if lang == "zh" else "record research" in texts
    moves = " ".join("".join(g.itertext()) for g in root.iter(f"{SVG_NS}g") if g.get("class") == "move")
    for step in GENERIC.steps:
        for action in step.actions:
            if action.to_step or action.to_status:
                assert all(word in moves for word in title(action).split()), action.key


def test_the_svg_is_self_contained():
    svg = render_svg(GENERIC)
    assert "<script" not in svg and "@import" not in svg and "<style" not in svg and "href" not in svg
    assert re.findall(r"https?://[^\"]+", svg) == ["http://www.w3.org/2000/svg"]
    assert set(re.findall(r"url\(([^)]*)\)", svg)) == {"#arrow-generic-1"}
    families = {f.strip() for value in re.findall(r'font-family="([^"]*)"', svg) for f in value.split(",")}
    assert families == {"system-ui", "sans-serif"}
    with pytest.raises(ValueError):
        render_svg(GENERIC, "fr")


def test_procedure_as_json_lists_stages_steps_and_actions():
    shown = procedure_dict(GENERIC)
    assert shown["initial_step"] == "collect"
    assert [s["steps"] for s in shown["stages"]] == [["collect", "confirm"], ["research", "consult"],
                                                    ["publicize", "implement"]]
    close = next(a for s in shown["steps"] for a in s["actions"] if a["key"] == "close")
    assert (close["to_status"], close["guards"]) == ("closed", ["tasks_done"])


@pytest.fixture
async def client(runtime, db):
    await add_regions(db, *SMALL_TREE)
    await make_user(db, "resident", ("resident", "330203001001"))
    await make_user(db, "tianshui", ("city_admin", "6205"))
    async with app_client(runtime) as test_client:
        yield test_client


async def test_the_regions_procedure_over_http(client):
    resident = bearer(await login(client, "resident"))
    shown = await client.get("/api/v1/regions/330203001001/procedure", headers=resident)
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert (body["procedure"]["key"], body["complete"], body["problems"]) == ("generic", True, [])
    assert [s["title_zh"] for s in body["procedure"]["steps"]] == [s.title_zh for s in GENERIC.steps]

    svg = await client.get("/api/v1/regions/330203001001/procedure.svg", headers=resident)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.text)
    assert all(_step_titles(root, s.key, "") == s.title_zh for s in GENERIC.steps)
    english = await client.get("/api/v1/regions/330203001001/procedure.svg", headers=resident,
                               params={"lang": "en"})
    assert all(_step_titles(ET.fromstring(english.text), s.key, " ") == s.title_en for s in GENERIC.steps)

    bad = await client.get("/api/v1/regions/330203001001/procedure.svg", headers=resident, params={"lang": "fr"})
    assert bad.status_code == 400 and bad.json()["error"]["fields"][0]["field"] == "lang"
    other_city = bearer(await login(client, "tianshui"))
    assert (await client.get("/api/v1/regions/330203001001/procedure", headers=other_city)).status_code == 404
    assert (await client.get("/api/v1/regions/330203001001/procedure.svg")).status_code == 401
