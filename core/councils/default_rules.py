"""Built-in plugin ``council_rules``: the generic composition checks.

A community council should have its "1" (the party secretary) and each of
the seven kinds of fixed members (seeds 000, 002). A street council should
have someone who convenes it: every seed that describes one names its
convenors (000: 第一召集人, 第二召集人) or its head (003: 负责人). Regional
plugins add their own numbers and posts (20–30 fixed members, at most half
cadres, which convenor must be a CPPCC member, …); this one only names what
is missing and never blocks.
"""
from __future__ import annotations

from core.councils.categories import FIXED_CATEGORIES, PARTY_SECRETARY, ROLES_IN_COUNCIL
from core.councils.rules import CouncilSnapshot, MemberSnapshot, Violation
from core.plugins import PluginManifest, hookimpl

MANIFEST = PluginManifest(
    name="council_rules",
    title_zh="议事会组成（1+7+X）",
    title_en="Council composition (1+7+X)",
    description='Names the "1+7+X" categories a community council lacks, and a street council without a convenor.',
    builtin=True,
)

# Any one of these makes a street council convenable. "head" is included
# because seed 000 itself says the council's 负责人 leads (由…协商议事会负责人牵头)
# and Lianyungang's street homes (003) name only a head, no convenor; without it
# every compliant home there would be told it has no convenor.
CONVENOR_ROLES = ("convenor", "first_convenor", "second_convenor", "chair", "head")


def _role_labels() -> tuple[str, str]:
    # "chair" and "convenor" share the Chinese label 召集人; say it once.
    zh = list(dict.fromkeys(ROLES_IN_COUNCIL[role][0] for role in CONVENOR_ROLES))
    en = [ROLES_IN_COUNCIL[role][1] for role in CONVENOR_ROLES]
    return "、".join(zh[:-1]) + "或" + zh[-1], ", ".join(en[:-1]) + " or " + en[-1]


def community_rules(roster: tuple[MemberSnapshot, ...]) -> list[Violation]:
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


def street_rules(roster: tuple[MemberSnapshot, ...]) -> list[Violation]:
    # Street councils are not "1+7+X" (000 lists other kinds of members); which
    # kinds, and which convenor is who, are the regional plugins' business.
    if any(m.role_in_council in CONVENOR_ROLES for m in roster):
        return []
    zh, en = _role_labels()
    return [Violation(
        "council_rules.street_convenor",
        f"街道协商议事会没有召集人：没有成员担任{zh}",
        f"the street council has no convenor: no member is {en}")]


@hookimpl(trylast=True)
def yishi_manifest():
    return MANIFEST


@hookimpl(trylast=True)
def yishi_council_composition_rules(council: CouncilSnapshot, roster: tuple[MemberSnapshot, ...]):
    if council.kind == "community":
        return community_rules(roster)
    if council.kind == "street":
        return street_rules(roster)
    return []
