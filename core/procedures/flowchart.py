"""A procedure's flowchart (议事流程图): its completeness and an SVG drawing.

Ningbo's 五个有 asks every community for "一张环节完整、衔接有序的协商流程图"
(seed 001 §一, §二(四)). The platform holds the procedure itself, so the
flowchart is drawn from the declaration rather than uploaded, and
:func:`flowchart_complete` says whether it is 环节完整、衔接有序:

* every step can be reached from the initial step (no orphaned step);
* every step declares at least one action (no step where nobody can do
  anything; there is no exception to this);
* from every step some path of actions leads to a terminal status (no
  step the topic can enter but never leave for an end).

:func:`render_svg` draws stages as horizontal bands, steps as boxes (the
actions that keep the topic at its step listed inside), actions that move
between steps as labelled arrows and terminal statuses as end nodes. The
SVG is self-contained: no script, no external font or stylesheet, only a
generic font-family list, so it renders the same offline and in print.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from core.procedures.model import Procedure, Step

LANGUAGES = ("zh", "en")
STATUS_TITLES = {
    "closed": ("办结", "closed"),
    "rejected": ("不予协商", "rejected"),
    "withdrawn": ("已撤回", "withdrawn"),
}


# -- completeness -----------------------------------------------------------------

@dataclass(frozen=True)
class FlowchartProblem:
    """One way a procedure's flowchart is incomplete, about one step."""

    kind: str  # "unreachable" / "no_actions" / "no_way_out" / "unknown_target"
    step: str
    zh: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "step": self.step, "message_zh": self.zh, "message_en": self.en}

    def __str__(self) -> str:
        return self.en


def _moves(procedure: Procedure) -> dict[str, set[str]]:
    """Step key → the step keys its actions lead to (unknown targets left out)."""
    keys = {s.key for s in procedure.steps}
    return {s.key: {a.to_step for a in s.actions if a.to_step in keys} for s in procedure.steps}


def flowchart_complete(procedure: Procedure) -> list[FlowchartProblem]:
    """What keeps the procedure's flowchart from being complete; empty when it is."""
    problems: list[FlowchartProblem] = []
    if not procedure.steps:
        return [FlowchartProblem("no_actions", "", "程序没有任何步骤", "the procedure has no steps")]
    keys = {s.key for s in procedure.steps}
    moves = _moves(procedure)

    reached = {procedure.initial_step}
    frontier = [procedure.initial_step]
    while frontier:
        for target in moves[frontier.pop()]:
            if target not in reached:
                reached.add(target)
                frontier.append(target)

    # Walk backwards from the steps that end a topic.
    ends = {s.key for s in procedure.steps if any(a.to_status for a in s.actions)}
    leads_to = defaultdict(set)
    for source, targets in moves.items():
        for target in targets:
            leads_to[target].add(source)
    finishing = set(ends)
    frontier = list(ends)
    while frontier:
        for source in leads_to[frontier.pop()]:
            if source not in finishing:
                finishing.add(source)
                frontier.append(source)

    for step in procedure.steps:
        zh, en = step.title_zh, step.title_en
        for action in step.actions:
            if action.to_step is not None and action.to_step not in keys:
                problems.append(FlowchartProblem(
                    "unknown_target", step.key, f"“{zh}”的操作“{action.title_zh}”指向不存在的步骤 {action.to_step}",
                    f"action '{action.title_en}' at '{en}' leads to unknown step '{action.to_step}'"))
        if step.key not in reached:
            problems.append(FlowchartProblem("unreachable", step.key, f"从起始步骤无法到达“{zh}”",
                                             f"step '{en}' cannot be reached from the initial step"))
        if not step.actions:
            problems.append(FlowchartProblem("no_actions", step.key, f"“{zh}”没有任何操作",
                                             f"step '{en}' has no actions"))
        elif step.key not in finishing:
            problems.append(FlowchartProblem("no_way_out", step.key, f"从“{zh}”无法走到任何结束状态",
                                             f"no path leads from step '{en}' to an end"))
    return problems


# -- drawing --------------------------------------------------------------------------

FONT = "system-ui, sans-serif"
MARGIN = 20
HEADER_H = 44
STAGE_LABEL_W = 120
BOX_W = 280
TITLE_SIZE = 15
LINE_SIZE = 12
LABEL_SIZE = 12
MIN_GAP = 60
LANE_GAP = 22
LANE_LABEL_W = 190
END_W = 120
END_H = 38
START_R = 9


def _text_width(text: str, size: float) -> float:
    # A CJK character is about one em wide, Latin text a little over half.
    return sum(size if ord(c) >= 0x2E80 else size * 0.6 for c in text)


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Lines no wider than ``width``: Latin text breaks at spaces, CJK anywhere."""
    lines: list[str] = []
    current = ""
    tokens = text.split(" ") if all(ord(c) < 0x2E80 for c in text) else list(text)
    joiner = " " if len(tokens) > 1 and all(ord(c) < 0x2E80 for c in text) else ""
    for token in tokens:
        candidate = f"{current}{joiner}{token}" if current else token
        if current and _text_width(candidate, size) > width:
            lines.append(current)
            current = token
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines or [""]


@dataclass
class _Box:
    step: Step
    title: list[str]
    staying: list[str]
    top: float = 0.0
    min_height: float = 0.0

    @property
    def height(self) -> float:
        extra = (len(self.staying) * (LINE_SIZE + 6) + 8) if self.staying else 0
        return max(self.min_height, 16 + len(self.title) * (TITLE_SIZE + 5) + extra)

    @property
    def bottom(self) -> float:
        return self.top + self.height


@dataclass
class _Edge:
    source: int
    target_step: int | None
    target_status: str | None
    label: str


def _title(obj: Any, lang: str) -> str:
    return obj.title_en if lang == "en" else obj.title_zh


def render_svg(procedure: Procedure, lang: str = "zh") -> str:
    """The procedure's flowchart as a self-contained SVG document (``lang`` zh or en)."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    en = lang == "en"
    index = {s.key: i for i, s in enumerate(procedure.steps)}
    boxes = [_Box(s, _wrap(_title(s, lang), BOX_W - 24, TITLE_SIZE),
                  [_title(a, lang) for a in s.actions if a.to_step is None and a.to_status is None])
             for s in procedure.steps]

    # Actions with the same origin and target share one arrow.
    grouped: dict[tuple[int, int | None, str | None], list[str]] = {}
    for i, step in enumerate(procedure.steps):
        for action in step.actions:
            if action.to_step is None and action.to_status is None:
                continue
            target = index.get(action.to_step) if action.to_step is not None else None
            if action.to_step is not None and target is None:
                continue
            labels = grouped.setdefault((i, target, action.to_status), [])
            if _title(action, lang) not in labels:
                labels.append(_title(action, lang))
    edges = [_Edge(s, t, status, " / ".join(labels)) for (s, t, status), labels in grouped.items()]
    down = [e for e in edges if e.target_step is not None and e.target_step == e.source + 1]
    lanes = [e for e in edges if e not in down]

    def lane_lines(label: str) -> list[str]:
        parts = label.split(" / ")
        # Several actions on one arrow: one bulleted entry each.
        parts = [f"• {p}" for p in parts] if len(parts) > 1 else parts
        return [line for part in parts for line in _wrap(part, LANE_LABEL_W, LABEL_SIZE)]

    lane_labels = {id(e): lane_lines(e.label) for e in lanes}
    label_room = max([80.0, *(_text_width(line, LABEL_SIZE) + 20
                              for lines in lane_labels.values() for line in lines)])

    # Short spans take the lanes nearest the boxes, so long arrows go round them.
    def span(edge: _Edge) -> float:
        if edge.target_step is not None:
            return abs(edge.target_step - edge.source)
        return len(boxes) + 1

    lanes.sort(key=lambda e: (span(e), e.source))
    box_x = MARGIN + STAGE_LABEL_W + 16
    box_right = box_x + BOX_W
    centre = box_x + BOX_W / 2
    lane_x = {id(e): box_right + label_room + (k + 1) * LANE_GAP for k, e in enumerate(lanes)}
    end_x = box_right + label_room + (len(lanes) + 1) * LANE_GAP + 24

    # Ports on each box's right side, top to bottom: an outgoing arrow leaves
    # room above it for its label, so a box grows to hold all its ports.
    touching: dict[int, list[tuple[_Edge, str]]] = defaultdict(list)
    for edge in lanes:
        touching[edge.source].append((edge, "out"))
        if edge.target_step is not None:
            touching[edge.target_step].append((edge, "in"))
    offset: dict[tuple[int, str], float] = {}
    for i, uses in touching.items():
        uses.sort(key=lambda use: (use[1] != "out", lane_x[id(use[0])]))
        y = 4.0
        for edge, way in uses:
            y += len(lane_labels[id(edge)]) * (LABEL_SIZE + 3) + 4 if way == "out" else 10
            offset[(id(edge), way)] = y
            y += 6
        boxes[i].min_height = y + 4

    down_labels = {e.source: _wrap(e.label, BOX_W / 2 - 12, LABEL_SIZE) for e in down}
    top = MARGIN + HEADER_H + 2 * START_R + 24
    for i, box in enumerate(boxes):
        box.top = top
        lines = len(down_labels.get(i, []))
        top = box.bottom + max(MIN_GAP, 20 + lines * (LABEL_SIZE + 4))
    port = {(edge_id, way): boxes[i].top + y for i, uses in touching.items()
            for (edge_id, way), y in ((key, offset[key]) for key in ((id(e), w) for e, w in uses))}

    # End nodes sit level with the first arrow that reaches them, never overlapping.
    ends: dict[str, float] = {}
    for edge in sorted((e for e in lanes if e.target_status), key=lambda e: port[(id(e), "out")]):
        if edge.target_status in ends:
            continue
        wanted = port[(id(edge), "out")]
        taken = sorted(ends.values())
        while any(abs(wanted - y) < END_H + 12 for y in taken):
            wanted += END_H + 12
        ends[edge.target_status] = wanted

    height = max([boxes[-1].bottom if boxes else top, *(y + END_H / 2 for y in ends.values())]) + MARGIN
    width = end_x + (END_W if ends else 0) + MARGIN
    arrow = f"arrow-{procedure.key}-{procedure.version}"
    out: list[str] = []
    add = out.append
    title = _title(procedure, lang)
    add(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label={quoteattr(title)} '
        f'font-family="{FONT}">')
    add(f"<title>{escape(title)}</title>")
    add(f"<desc>{escape('议事流程图' if not en else 'consultation procedure flowchart')} "
        f"{escape(procedure.key)}@{procedure.version}</desc>")
    add("<defs>"
        f'<marker id="{arrow}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#444"/></marker>'
        "</defs>")
    add(f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>')
    add(f'<text x="{MARGIN}" y="{MARGIN + 22}" font-size="20" font-weight="bold" fill="#222">'
        f"{escape(title)}</text>")

    # Stage bands, in the order their first step appears.
    palette = ("#eef4fb", "#f3f8ee", "#fbf3ea", "#f4eefa")
    for n, stage in enumerate(procedure.stages):
        members = [b for b in boxes if b.step.stage == stage.key]
        if not members:
            continue
        y0, y1 = min(b.top for b in members) - 14, max(b.bottom for b in members) + 14
        add(f'<g class="stage" data-stage={quoteattr(stage.key)}>'
            f'<rect x="{MARGIN}" y="{y0:.1f}" width="{width - 2 * MARGIN:.0f}" height="{y1 - y0:.1f}" '
            f'rx="8" fill="{palette[n % len(palette)]}" stroke="#c9d3de"/>')
        lines = _wrap(_title(stage, lang), STAGE_LABEL_W - 16, 14)
        first = (y0 + y1) / 2 - (len(lines) - 1) * 9 + 5
        for k, line in enumerate(lines):
            add(f'<text x="{MARGIN + 12}" y="{first + k * 18:.1f}" font-size="14" font-weight="bold" '
                f'fill="#35506b">{escape(line)}</text>')
        add("</g>")

    # Start marker.
    if boxes:
        cy = boxes[0].top - START_R - 20
        add(f'<g class="start"><circle cx="{centre:.1f}" cy="{cy:.1f}" r="{START_R}" fill="#35506b"/>'
            f'<line x1="{centre:.1f}" y1="{cy + START_R:.1f}" x2="{centre:.1f}" y2="{boxes[0].top:.1f}" '
            f'stroke="#444" stroke-width="1.5" marker-end="url(#{arrow})"/>'
            f'<text x="{centre + 16:.1f}" y="{cy + 4:.1f}" font-size="{LABEL_SIZE}" fill="#35506b">'
            f"{'start' if en else '开始'}</text></g>")

    for box in boxes:
        add(f'<g class="step" data-step={quoteattr(box.step.key)}>'
            f'<rect x="{box_x}" y="{box.top:.1f}" width="{BOX_W}" height="{box.height:.1f}" rx="6" '
            f'fill="#ffffff" stroke="#35506b" stroke-width="1.5"/>')
        y = box.top + 8
        for line in box.title:
            y += TITLE_SIZE + 5
            add(f'<text x="{centre:.1f}" y="{y - 4:.1f}" font-size="{TITLE_SIZE}" font-weight="bold" '
                f'text-anchor="middle" fill="#1d2b3a">{escape(line)}</text>')
        if box.staying:
            y += 4
            add(f'<line x1="{box_x + 10}" y1="{y:.1f}" x2="{box_right - 10}" y2="{y:.1f}" stroke="#d5dde6"/>')
            for line in box.staying:
                y += LINE_SIZE + 6
                add(f'<text x="{box_x + 14}" y="{y - 2:.1f}" font-size="{LINE_SIZE}" fill="#4a5a6a">'
                    f"· {escape(line)}</text>")
        add("</g>")

    for edge in down:
        a, b = boxes[edge.source], boxes[edge.target_step]
        add(f'<g class="move"><line x1="{centre:.1f}" y1="{a.bottom:.1f}" x2="{centre:.1f}" y2="{b.top:.1f}" '
            f'stroke="#444" stroke-width="1.5" marker-end="url(#{arrow})"/>')
        lines = down_labels[edge.source]
        first = (a.bottom + b.top) / 2 - (len(lines) - 1) * (LABEL_SIZE + 4) / 2 + 4
        for k, line in enumerate(lines):
            add(f'<text x="{centre + 8:.1f}" y="{first + k * (LABEL_SIZE + 4):.1f}" font-size="{LABEL_SIZE}" '
                f'fill="#222">{escape(line)}</text>')
        add("</g>")

    for edge in lanes:
        x = lane_x[id(edge)]
        y_out = port[(id(edge), "out")]
        if edge.target_step is not None:
            y_in, x_in = port[(id(edge), "in")], box_right
        else:
            y_in, x_in = ends[edge.target_status], end_x
        colour = "#9b3b3b" if edge.target_status == "rejected" else "#444"
        add(f'<g class="move"><path d="M{box_right},{y_out:.1f} H{x:.1f} V{y_in:.1f} H{x_in:.1f}" fill="none" '
            f'stroke="{colour}" stroke-width="1.3" marker-end="url(#{arrow})"/>')
        # Stacked upwards from the arrow, so the last line sits on it.
        lines = lane_labels[id(edge)]
        for k, line in enumerate(lines):
            y = y_out - 4 - (len(lines) - 1 - k) * (LABEL_SIZE + 3)
            add(f'<text x="{box_right + 6}" y="{y:.1f}" font-size="{LABEL_SIZE}" fill="{colour}">'
                f"{escape(line)}</text>")
        add("</g>")

    for status, cy in ends.items():
        zh, en_title = STATUS_TITLES.get(status, (status, status))
        add(f'<g class="end" data-status={quoteattr(status)}>'
            f'<rect x="{end_x}" y="{cy - END_H / 2:.1f}" width="{END_W}" height="{END_H}" rx="{END_H / 2}" '
            f'fill="#35506b"/>'
            f'<rect x="{end_x + 3}" y="{cy - END_H / 2 + 3:.1f}" width="{END_W - 6}" height="{END_H - 6}" '
            f'rx="{END_H / 2 - 3}" fill="none" stroke="#ffffff"/>'
            f'<text x="{end_x + END_W / 2}" y="{cy + 5:.1f}" font-size="14" text-anchor="middle" '
            f'fill="#ffffff">{escape(en_title if en else zh)}</text></g>')
    add("</svg>")
    return "\n".join(out)


def procedure_dict(procedure: Procedure) -> dict[str, Any]:
    """The procedure as JSON: stages with their steps, steps with their actions."""
    return {
        "key": procedure.key, "version": procedure.version, "title_zh": procedure.title_zh,
        "title_en": procedure.title_en, "initial_step": procedure.initial_step if procedure.steps else None,
        "stages": [{"key": s.key, "title_zh": s.title_zh, "title_en": s.title_en,
                    "steps": [p.key for p in procedure.steps if p.stage == s.key]} for s in procedure.stages],
        "steps": [{"key": s.key, "title_zh": s.title_zh, "title_en": s.title_en, "stage": s.stage,
                   "actions": [{"key": a.key, "title_zh": a.title_zh, "title_en": a.title_en,
                                "to_step": a.to_step, "to_status": a.to_status, "kind": a.kind,
                                "roles": sorted(r.value for r in a.roles), "guards": [g.name for g in a.guards],
                                "note_required": a.note_required} for a in s.actions]}
                  for s in procedure.steps],
    }
