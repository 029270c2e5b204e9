"""The procedure model, its validator, the engine and the generic six steps.

The engine is pure (no database), so these tests need no backend; the
topic service's use of it is covered on both backends in test_topics.py.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from core.authz.roles import Role
from core.errors import ApiError
from core.plugins import hookimpl
from core.builtin import make_plugin_manager
from core.procedures import engine, generic
from core.procedures.generic import GENERIC
from core.procedures.model import (Action, Procedure, ProcedureError, Stage, Step, TopicContext, TopicState,
                                   validate_procedure)
from core.procedures.registry import ProcedureRegistry, procedure_for_region, procedure_registry

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
CHAIR = {Role.council_chair}
SECRETARY = {Role.council_secretary}
MEMBER = {Role.council_member}
RESIDENT = {Role.resident}


def host_with(*plugins):
    host = make_plugin_manager(load_entry_points=False)
    assert host.pm.is_registered(generic)  # a built-in
    for plugin in plugins:
        host.pm.register(plugin)
    return host


def ctx(now: datetime = NOW, **settings) -> TopicContext:
    return TopicContext(now=now, settings=settings)


def keys(actions) -> list[str]:
    return [a.key for a in actions]


def walk(state: TopicState, *steps: tuple[str, set[Role]], context: TopicContext | None = None) -> TopicState:
    for action, roles in steps:
        state = engine.apply(GENERIC, state, action, roles, context or ctx()).after
    return state


def test_generic_procedure_validates_and_has_six_steps_in_three_stages():
    assert validate_procedure(GENERIC) is GENERIC
    assert [s.title_zh for s in GENERIC.steps] == ["收集议题", "确定议题", "议前调研", "协商议事", "公开公示", "跟踪落实"]
    assert [GENERIC.stage_of(s.key).key for s in GENERIC.steps] == [
        "selection", "selection", "consultation", "consultation", "decision", "decision"]
    registry = procedure_registry(host_with())
    assert registry.latest("generic") is GENERIC


def _tiny(**changes) -> Procedure:
    base = Procedure("tiny", 1, "小程序", "tiny", (Stage("only", "唯一", "only"),), (
        Step("a", "甲", "a", "only", (Action("go", "前进", "go", frozenset(CHAIR), to_step="b"),)),
        Step("b", "乙", "b", "only", (Action("end", "结束", "end", frozenset(CHAIR), to_status="closed"),)),
    ))
    return replace(base, **changes)


@pytest.mark.parametrize("broken,problem", [
    (lambda p: replace(p, steps=(replace(p.steps[0], actions=(
        Action("go", "前进", "go", frozenset(CHAIR), to_step="nowhere"),)), p.steps[1])), "unknown step 'nowhere'"),
    (lambda p: replace(p, steps=(p.steps[0], p.steps[0])), "duplicate step key 'a'"),
    (lambda p: replace(p, stages=p.stages * 2), "duplicate stage key 'only'"),
    (lambda p: replace(p, steps=(replace(p.steps[0], actions=p.steps[0].actions * 2), p.steps[1])),
     "declares action 'go' twice"),
    (lambda p: replace(p, steps=(replace(p.steps[0], stage="elsewhere"), p.steps[1])), "unknown stage"),
    (lambda p: replace(p, steps=(replace(p.steps[0], actions=(
        Action("go", "前进", "go", frozenset({"mayor"}), to_step="b"),)), p.steps[1])), "unknown roles"),
    (lambda p: replace(p, steps=(replace(p.steps[0], actions=(
        Action("go", "前进", "go", frozenset(CHAIR), to_status="vanished"),)), p.steps[1])), "unknown status"),
    (lambda p: replace(p, version=0), "version"),
    (lambda p: replace(p, steps=()), "no steps"),
])
def test_malformed_procedures_are_rejected_naming_the_fault(broken, problem):
    validate_procedure(_tiny())
    with pytest.raises(ProcedureError) as err:
        validate_procedure(broken(_tiny()))
    assert problem in str(err.value)


def test_a_plugin_supplying_a_malformed_procedure_stops_the_registry():
    class Broken:
        @hookimpl
        def yishi_procedures(self):
            bad = _tiny()
            return [replace(bad, steps=(replace(bad.steps[0], actions=(
                Action("go", "前进", "go", frozenset(CHAIR), to_step="missing"),)), bad.steps[1]))]

    with pytest.raises(ProcedureError, match="unknown step 'missing'"):
        procedure_registry(host_with(Broken()))


def test_the_same_version_twice_is_refused():
    with pytest.raises(ProcedureError, match="supplied twice"):
        ProcedureRegistry([_tiny(), _tiny()])


def test_available_actions_depend_on_step_and_role():
    start = TopicState(step=GENERIC.initial_step)
    assert keys(engine.available_actions(GENERIC, start, SECRETARY, ctx())) == ["admit", "reject"]
    assert engine.available_actions(GENERIC, start, MEMBER, ctx()) == []
    assert engine.available_actions(GENERIC, start, RESIDENT, ctx()) == []

    confirm = walk(start, ("admit", SECRETARY))
    assert confirm.step == "confirm"
    # Confirming is the chair's; the secretary may still reject.
    assert keys(engine.available_actions(GENERIC, confirm, CHAIR, ctx())) == ["confirm", "reject"]
    assert keys(engine.available_actions(GENERIC, confirm, SECRETARY, ctx())) == ["reject"]

    research = walk(confirm, ("confirm", CHAIR))
    assert keys(engine.available_actions(GENERIC, research, MEMBER, ctx())) == ["record_research"]


def test_an_action_not_allowed_now_is_409_with_the_reason():
    start = TopicState(step="collect")
    with pytest.raises(ApiError) as err:
        engine.apply(GENERIC, start, "confirm_results", CHAIR, ctx())
    assert err.value.status_code == 409
    assert err.value.code == engine.NOT_ALLOWED
    assert "收集议题" in err.value.message_zh and "admit" in err.value.message_zh
    assert "'confirm_results' cannot be taken at step 'collect topics'" in err.value.message_en

    with pytest.raises(ApiError) as role:
        engine.apply(GENERIC, start, "admit", MEMBER, ctx())
    assert role.value.status_code == 403

    with pytest.raises(ApiError) as unknown:
        engine.apply(GENERIC, start, "fly", CHAIR, ctx())
    assert unknown.value.status_code == 404

    ended = walk(start, ("reject", CHAIR))
    assert ended.status == "rejected"
    with pytest.raises(ApiError) as closed:
        engine.apply(GENERIC, ended, "admit", CHAIR, ctx())
    assert closed.value.status_code == 409
    assert "rejected" in closed.value.message_en
    assert engine.available_actions(GENERIC, ended, CHAIR, ctx()) == []


def test_no_research_no_consultation_blocks_scheduling_the_meeting():
    research = walk(TopicState(step="collect"), ("admit", SECRETARY), ("confirm", CHAIR))
    options = {o.action.key: o for o in engine.action_options(GENERIC, research, SECRETARY, ctx())}
    assert not options["schedule_meeting"].allowed
    assert "不调研不协商" in options["schedule_meeting"].reason.zh
    with pytest.raises(ApiError) as err:
        engine.apply(GENERIC, research, "schedule_meeting", SECRETARY, ctx())
    assert err.value.status_code == 409
    assert "不调研不协商" in err.value.message_zh
    assert "no research, no consultation" in err.value.message_en

    researched = walk(research, ("record_research", MEMBER))
    assert researched.step == "research" and researched.count("research") == 1
    assert walk(researched, ("schedule_meeting", SECRETARY)).step == "consult"


def test_notice_period_from_setting_and_objections_gate_confirmation():
    consult = walk(TopicState(step="collect"), ("admit", SECRETARY), ("confirm", CHAIR),
                   ("record_research", MEMBER), ("schedule_meeting", SECRETARY))
    notice = ctx(**{"core.notice_days": 3})
    publicized = engine.apply(GENERIC, consult, "record_resolution", SECRETARY, notice).after
    assert publicized.step == "publicize"
    assert publicized.timers["notice"] == NOW + timedelta(days=3)

    with pytest.raises(ApiError, match="notice period"):
        engine.apply(GENERIC, publicized, "confirm_results", CHAIR, notice)
    later = ctx(NOW + timedelta(days=3), **{"core.notice_days": 3})
    objected = walk(publicized, ("object", RESIDENT), context=later)
    with pytest.raises(ApiError) as err:
        engine.apply(GENERIC, objected, "confirm_results", CHAIR, later)
    assert "1 objection" in err.value.message_en

    dismissed = walk(objected, ("dismiss_objection", SECRETARY), context=later)
    assert walk(dismissed, ("confirm_results", CHAIR), context=later).step == "implement"

    # An upheld objection reopens consultation and ends the notice.
    reopened = walk(objected, ("uphold_objection", CHAIR), context=later)
    assert reopened.step == "consult" and "notice" not in reopened.timers
    with pytest.raises(ApiError, match="no objection"):
        engine.apply(GENERIC, publicized, "dismiss_objection", SECRETARY, notice)


def test_region_chooses_its_procedure_and_a_regional_plugin_wins():
    tiny = _tiny()

    class Regional:
        @hookimpl
        def yishi_procedures(self):
            return [tiny]

    host = host_with(Regional())
    assert procedure_for_region(host, "330203001001", set(), {}) is GENERIC
    assert procedure_for_region(host, "330203001001", set(), {"procedure.key": "tiny"}) is tiny

    class Chooser:
        @hookimpl
        def yishi_procedure_for_region(self, region_code, settings):
            return "tiny" if region_code.startswith("6205") else None

    host = host_with(Regional(), Chooser())
    assert procedure_for_region(host, "620502001001", set(), {}) is tiny
    assert procedure_for_region(host, "330203001001", set(), {}) is GENERIC
    with pytest.raises(ApiError) as err:
        procedure_for_region(host, "330203001001", set(), {"procedure.key": "absent"})
    assert err.value.code == "procedure_unknown"


def test_a_timer_reads_another_setting_for_a_topic_of_that_scale():
    from core.procedures.model import Timer

    notice = Timer("notice", "core.notice_days", 7, by_scale=(("urgent", "fast.notice_days"),))
    settings = {"core.notice_days": 7, "fast.notice_days": 2}
    assert notice.days(TopicContext(now=NOW, settings=settings, scale="urgent")) == 2
    assert notice.days(TopicContext(now=NOW, settings=settings, scale="major")) == 7
    assert notice.days(TopicContext(now=NOW, settings=settings)) == 7
    # A scale setting nobody set falls back to the general one, then to the default.
    assert notice.days(TopicContext(now=NOW, settings={"core.notice_days": 5}, scale="urgent")) == 5
    assert notice.days(TopicContext(now=NOW, settings={}, scale="urgent")) == 7
    action = Action("publish", "公示", "publish", frozenset(CHAIR), to_step="b", timers=(notice,))
    state = engine.apply(
        replace(_tiny(), steps=(Step("a", "甲", "a", "only", (action,)), Step("b", "乙", "b", "only"))),
        TopicState(step="a"), "publish", CHAIR, TopicContext(now=NOW, settings=settings, scale="urgent")).after
    assert state.timers["notice"] == NOW + timedelta(days=2)
    bad = Timer("notice", "core.notice_days", 7, by_scale=(("urgent", ""),))
    with pytest.raises(ProcedureError, match="by_scale"):
        validate_procedure(replace(_tiny(), steps=(
            Step("a", "甲", "a", "only", (replace(action, to_step=None, timers=(bad,)),)),)))


def test_a_procedure_key_set_for_the_region_wins_over_a_plugin_that_chooses():
    tiny = _tiny()

    class Regional:
        @hookimpl
        def yishi_procedures(self):
            return [tiny]

        @hookimpl
        def yishi_procedure_for_region(self, region_code, settings):
            # Always answers: the registry asks it only while no key is set for the region.
            return "tiny"

    host = host_with(Regional())
    assert generic.MANIFEST.settings["key"].default == ""
    assert procedure_for_region(host, "330205001001", set(), {"procedure.key": ""}) is tiny
    assert procedure_for_region(host, "330205001001", set(), {"procedure.key": "generic"}) is GENERIC
