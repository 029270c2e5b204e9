"""Built-in plugin ``council_rules``: the generic "1+7+X" check.

A community council should have its "1" (the party secretary) and each of
the seven kinds of fixed members (seeds 000, 002). Regional plugins add
their own numbers (20–30 fixed members, at most half cadres, …); this one
only names what is missing and never blocks.
"""
from __future__ import annotations

from core.councils.categories import FIXED_CATEGORIES, PARTY_SECRETARY
from core.councils.rules import CouncilSnapshot, MemberSnapshot, Violation
from core.plugins import PluginManifest, hookimpl

MANIFEST = PluginManifest(
    name="council_rules",
    title_zh="议事会组成（1+7+X）",
    title_en="Council composition (1+7+X)",
    description='Names the "1+7+X" categories a community council lacks.',
    builtin=True,
)


@hookimpl(trylast=True)
def yishi_manifest():
    return MANIFEST


@hookimpl(trylast=True)
def yishi_council_composition_rules(council: CouncilSnapshot, roster: tuple[MemberSnapshot, ...]):
    if council.kind != "community":
        # Street councils are built differently (convenors, CPPCC members,
        # department officials: seed 000); their rules come from regional plugins.
        return []
    present = {m.category for m in roster}
    violations = []
    if PARTY_SECRETARY not in present:
        violations.append(Violation(
            "council_rules.party_secretary",
            "缺少“1”：党组织书记未列为议事会成员",
            'the "1" is missing: no party secretary on the council'))
    missing = [key for key in FIXED_CATEGORIES if key not in present]
    if missing:
        zh = "、".join(FIXED_CATEGORIES[key][0] for key in missing)
        en = "; ".join(FIXED_CATEGORIES[key][1] for key in missing)
        violations.append(Violation(
            "council_rules.fixed_categories",
            f"七类固定成员缺少 {len(missing)} 类：{zh}",
            f"{len(missing)} of the seven kinds of fixed members missing: {en}"))
    return violations
