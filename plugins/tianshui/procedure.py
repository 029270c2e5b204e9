"""Tianshui's 三段六步 (seed 000 §四(四)), its labels read from ``procedure.toml``.

The steps walk the generic procedure's own actions (same keys, guards,
timers and kinds), so research, meetings, votes, notices and tasks are
recorded by the built-ins exactly as elsewhere; only the names of the
stages and steps, and which steps are inferred, come from the data file.
The file is read when this module is imported: a malformed one raises
:class:`ProcedureFileError` listing every fault, and the plugin does not load.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.procedures.generic import GENERIC
from core.procedures.model import Procedure, Stage, Step, validate_procedure
from core.seeds import quote

KEY = "tianshui"
# Bump (and keep supplying the old one) only when the behaviour changes; the
# labels in the data file may change under the same version.
VERSION = 1
PROCEDURE_FILE = Path(__file__).with_name("procedure.toml")

# The generic actions name these steps as their targets, so the file must keep them.
STEP_KEYS = tuple(step.key for step in GENERIC.steps)

_TOP_KEYS = {"title_zh", "title_en", "stages", "steps"}
_STAGE_KEYS = {"key", "title_zh", "title_en"}
_STEP_KEYS_REQUIRED = {"key", "title_zh", "title_en", "stage", "inferred"}
_STEP_KEYS_OPTIONAL = {"basis_zh", "basis_en", "quote_zh"}


def _seed_words(table: dict, where: str, problems: list[str]) -> str:
    words = _text(table, "quote_zh", where, problems, required=False)
    return quote("000", words) if words else ""


class ProcedureFileError(ValueError):
    """The data file cannot make a procedure; ``problems`` lists each fault with where it is."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: 天水“三段六步”程序文件有误 / the Tianshui procedure file is malformed: "
                         + "; ".join(problems))


@dataclass(frozen=True)
class StepLabel:
    key: str
    title_zh: str
    title_en: str
    stage: str
    # True where the seed is cut off and the step is taken from seed 002.
    inferred: bool
    basis_zh: str = ""
    basis_en: str = ""
    # The seed's own words for the step, where it has any (core.seeds.quote).
    quote_zh: str = ""


@dataclass(frozen=True)
class ProcedureLabels:
    """What the data file says: the procedure's title, its stages and its steps."""

    title_zh: str
    title_en: str
    stages: tuple[Stage, ...]
    steps: tuple[StepLabel, ...]

    def steps_of(self, stage_key: str) -> list[StepLabel]:
        return [step for step in self.steps if step.stage == stage_key]


def _text(table: dict[str, Any], name: str, where: str, problems: list[str], *, required: bool = True) -> str:
    value = table.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}.{name} must be a non-empty string, got {value!r}")
        return ""
    return value.strip()


def _unknown(table: dict[str, Any], allowed: set[str], where: str, problems: list[str]) -> None:
    extra = sorted(set(table) - allowed)
    if extra:
        problems.append(f"{where} has unknown keys {extra} (allowed: {sorted(allowed)})")


def _tables(data: dict[str, Any], name: str, problems: list[str]) -> list[dict[str, Any]]:
    value = data.get(name)
    if not isinstance(value, list) or not value or not all(isinstance(t, dict) for t in value):
        problems.append(f"{name} must be a non-empty array of tables ([[{name}]]), got {value!r}")
        return []
    return value


def parse_labels(data: dict[str, Any], path: Path = PROCEDURE_FILE) -> ProcedureLabels:
    """Check the parsed file and turn it into labels, or raise ProcedureFileError with every fault."""
    problems: list[str] = []
    _unknown(data, _TOP_KEYS, "the file", problems)
    title_zh = _text(data, "title_zh", "the file", problems)
    title_en = _text(data, "title_en", "the file", problems)

    stages: list[Stage] = []
    for i, table in enumerate(_tables(data, "stages", problems)):
        where = f"stages[{i}]"
        _unknown(table, _STAGE_KEYS, where, problems)
        stages.append(Stage(_text(table, "key", where, problems), _text(table, "title_zh", where, problems),
                            _text(table, "title_en", where, problems)))
    stage_keys = [s.key for s in stages]
    seen: set[str] = set()
    for key in stage_keys:
        if key and key in seen:
            problems.append(f"stage key {key!r} is declared twice")
        seen.add(key)

    steps: list[StepLabel] = []
    for i, table in enumerate(_tables(data, "steps", problems)):
        where = f"steps[{i}]"
        _unknown(table, _STEP_KEYS_REQUIRED | _STEP_KEYS_OPTIONAL, where, problems)
        stage = _text(table, "stage", where, problems)
        if stage and stage not in stage_keys:
            problems.append(f"{where}.stage {stage!r} is not a declared stage (declared: {stage_keys})")
        inferred = table.get("inferred")
        if not isinstance(inferred, bool):
            problems.append(f"{where}.inferred must be true or false, got {inferred!r}")
        steps.append(StepLabel(key=_text(table, "key", where, problems),
                               title_zh=_text(table, "title_zh", where, problems),
                               title_en=_text(table, "title_en", where, problems), stage=stage,
                               inferred=bool(inferred),
                               basis_zh=_text(table, "basis_zh", where, problems, required=False),
                               basis_en=_text(table, "basis_en", where, problems, required=False),
                               quote_zh=_seed_words(table, where, problems)))
    keys = tuple(s.key for s in steps)
    if steps and keys != STEP_KEYS:
        problems.append(f"steps must be, in this order, {list(STEP_KEYS)} (the generic actions lead from "
                        f"one to the next), got {list(keys)}")
    # Stages run one after another: a step may not go back to an earlier stage.
    order = [stage_keys.index(s.stage) for s in steps if s.stage in stage_keys]
    if order != sorted(order):
        problems.append("steps must follow the stages' order (a step cannot return to an earlier stage)")
    empty = [k for k in stage_keys if k and all(s.stage != k for s in steps)]
    if steps and empty:
        problems.append(f"stages {empty} have no step")
    if problems:
        raise ProcedureFileError(path, problems)
    return ProcedureLabels(title_zh, title_en, tuple(stages), tuple(steps))


def load_labels(path: Path = PROCEDURE_FILE) -> ProcedureLabels:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProcedureFileError(path, ["the file does not exist"]) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProcedureFileError(path, [f"not valid TOML: {exc}"]) from None
    return parse_labels(data, path)


def build_procedure(labels: ProcedureLabels) -> Procedure:
    """The 三段六步 procedure: the file's names over the generic steps' actions."""
    steps = tuple(Step(label.key, label.title_zh, label.title_en, label.stage, GENERIC.step(label.key).actions)
                  for label in labels.steps)
    return validate_procedure(Procedure(KEY, VERSION, labels.title_zh, labels.title_en, labels.stages, steps))


def procedure_from_file(path: Path) -> Procedure:
    return build_procedure(load_labels(path))


LABELS = load_labels()
TIANSHUI = build_procedure(LABELS)
