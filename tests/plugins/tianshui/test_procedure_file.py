"""三段六步 from its data file (seed 000 §四(四)): labels come from
plugins/tianshui/procedure.toml, a malformed file is refused naming the
fault, the steps walk the generic procedure's own actions, and the region
gets it only while ``procedure.key`` is empty."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from core.builtin import make_plugin_manager
from core.procedures.generic import GENERIC
from core.procedures.registry import procedure_for_region, procedure_registry
from plugins.tianshui.manifest import PLUGIN
from plugins.tianshui.procedure import (PROCEDURE_FILE, TIANSHUI, ProcedureFileError, load_labels,
                                        procedure_from_file)

COMMUNITY = "620502001001"  # 进步巷社区居委会


def _copy(tmp_path: Path, old: str | None = None, new: str = "") -> Path:
    text = PROCEDURE_FILE.read_text(encoding="utf-8")
    if old is not None:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "procedure.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_three_stages_six_steps_with_the_seeds_names_and_step_1_from_the_document():
    assert TIANSHUI.key == "tianshui" and TIANSHUI.title_zh == "三段六步议事法"
    assert [s.title_zh for s in TIANSHUI.stages] == ["议题选定", "议题协商", "议题决策"]
    assert [s.title_zh for s in TIANSHUI.steps] == ["搜集议题", "确定议题", "议前调研", "协商议事", "公开公示",
                                                    "跟踪落实"]
    stage_of = {s.key: TIANSHUI.stage_of(s.key).title_zh for s in TIANSHUI.steps}
    assert stage_of == {"collect": "议题选定", "confirm": "议题选定", "research": "议题协商",
                        "consult": "议题协商", "publicize": "议题决策", "implement": "议题决策"}
    labels = load_labels()
    assert [s.inferred for s in labels.steps] == [False, True, True, True, True, True]
    assert "街道党工委和社区“两委”和议事委员" in labels.steps[0].basis_zh


def test_the_installed_procedure_is_the_one_in_the_data_file():
    raw = tomllib.loads(PROCEDURE_FILE.read_text(encoding="utf-8"))
    [supplied] = PLUGIN.yishi_procedures()
    assert [(s.key, s.title_zh, s.title_en, s.stage) for s in supplied.steps] == [
        (s["key"], s["title_zh"], s["title_en"], s["stage"]) for s in raw["steps"]]
    assert [(s.key, s.title_zh) for s in supplied.stages] == [(s["key"], s["title_zh"]) for s in raw["stages"]]


def test_steps_reuse_the_generic_actions_so_the_built_ins_record_them():
    for step in TIANSHUI.steps:
        assert step.actions == GENERIC.step(step.key).actions
    kinds = {a.kind for s in TIANSHUI.steps for a in s.actions} - {None}
    assert kinds == {"screen_admit", "screen_reject", "research", "schedule_meeting", "resolution"}


def test_a_changed_label_in_a_copy_of_the_file_shows_in_the_procedure(tmp_path):
    path = _copy(tmp_path, 'title_zh = "议前调研"', 'title_zh = "议前走访调研"')
    changed = procedure_from_file(path)
    assert changed.step("research").title_zh == "议前走访调研"
    assert changed.step("research").actions == TIANSHUI.step("research").actions
    path = _copy(tmp_path, 'title_zh = "议题决策"', 'title_zh = "议题决定"')
    assert procedure_from_file(path).stage_of("implement").title_zh == "议题决定"


@pytest.mark.parametrize(("old", "new", "fault"), [
    ('stage = "decision"\ninferred = true\nbasis_zh', 'stage = "verdict"\ninferred = true\nbasis_zh',
     "steps[4].stage 'verdict' is not a declared stage"),
    ('key = "research"', 'key = "survey"', "steps must be, in this order"),
    ('inferred = false', 'inferred = "no"', "steps[0].inferred must be true or false"),
    ('title_zh = "搜集议题"', 'title_zh = ""', "steps[0].title_zh must be a non-empty string"),
    ('title_zh = "三段六步议事法"', 'name = "三段六步"', "unknown keys ['name']"),
    ('key = "consultation"', 'key = "selection"', "stage key 'selection' is declared twice"),
    ('key = "collect"\ntitle_zh', 'key = "collect"\ncolour = "red"\ntitle_zh', "steps[0] has unknown keys"),
    ('[[stages]]\nkey = "selection"', '[[stages]\nkey = "selection"', "not valid TOML"),
])
def test_a_malformed_file_is_refused_naming_the_fault(tmp_path, old, new, fault):
    path = _copy(tmp_path, old, new)
    with pytest.raises(ProcedureFileError) as err:
        procedure_from_file(path)
    assert fault in str(err.value)
    assert str(path) in str(err.value) and "天水“三段六步”程序文件有误" in str(err.value)


def test_steps_out_of_stage_order_and_a_missing_file_are_refused(tmp_path):
    # 确定议题 moved into the last stage: the topic would go back from 议题决策 to 议题协商.
    path = _copy(tmp_path, 'key = "confirm"\ntitle_zh = "确定议题"\ntitle_en = "confirm the topic"\n'
                           'stage = "selection"',
                 'key = "confirm"\ntitle_zh = "确定议题"\ntitle_en = "confirm the topic"\nstage = "decision"')
    with pytest.raises(ProcedureFileError, match="follow the stages' order"):
        procedure_from_file(path)
    with pytest.raises(ProcedureFileError, match="does not exist"):
        procedure_from_file(tmp_path / "absent.toml")


def test_tianshui_answers_the_region_only_while_procedure_key_is_empty():
    host = make_plugin_manager()
    assert procedure_registry(host).latest("tianshui") is TIANSHUI
    assert procedure_for_region(host, COMMUNITY, {"tianshui"}, {"procedure.key": ""}) is TIANSHUI
    assert procedure_for_region(host, COMMUNITY, {"tianshui"}, {"procedure.key": "generic"}) is GENERIC
    # Not enabled: the generic procedure.
    assert procedure_for_region(host, COMMUNITY, set(), {"procedure.key": ""}) is GENERIC
