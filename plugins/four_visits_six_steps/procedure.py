"""六步议事程序 as the county community runs it (seed 004 §三).

"严格按照收集议题、确定议题、议前调研、组织协商、公开公示、组织落实的“六步议事程序”,
在确定议题后,坚持“不调研不协商”的原则". The generic steps and actions are
reused as they are; only the step titles are the report's, two of which differ
from the generic ones (组织协商 for 协商议事, 组织落实 for 跟踪落实).
不调研不协商 is the generic ``schedule_meeting``'s guard ``research_recorded``;
what the research must hold (site visit, feasibility, draft plan: "组织协商议事会
固定成员进行实地调研,分析议题的可行性,拟定议事方案") is the core setting
``consultation.research_parts``. The report names no stages, so the generic
three stand in.
"""
from __future__ import annotations

from dataclasses import replace

from core.procedures import generic
from core.procedures.model import Procedure
from core.seeds import quote

from plugins.four_visits_six_steps.settings import PROCEDURE_KEY

# Generic step key → the report's title for it, in the report's order.
TITLES = {
    "collect": quote("004", "收集议题"),
    "confirm": quote("004", "确定议题"),
    "research": quote("004", "议前调研"),
    "consult": quote("004", "组织协商"),
    "publicize": quote("004", "公开公示"),
    "implement": quote("004", "组织落实"),
}
TITLES_EN = {
    "consult": "organise the consultation",
    "implement": "organise implementation",
}
NO_RESEARCH_NO_CONSULTATION = quote("004", "不调研不协商")

FOUR_VISITS_SIX_STEPS = Procedure(
    PROCEDURE_KEY, 1, quote("004", "六步议事程序"), "six-step procedure (four visits, six steps)",
    generic.STAGES,
    tuple(replace(step, title_zh=TITLES[step.key], title_en=TITLES_EN.get(step.key, step.title_en))
          for step in generic.STEPS))
