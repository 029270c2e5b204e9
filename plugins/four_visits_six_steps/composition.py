""""1+7+X" with the deputy party secretary in the chair (seed 004 §一).

"坚持“1+7+X”的人员构成比例,社区党委副书记担任协商议事会主席并主持协商议事会议,通过民主推荐、
党委确认等程序,确定辖区内xx名政协委员、社区“两委”班子代表、业主委员会代表、群众代表、
社区卫生站工作人员作为固定成员".

How the deputy secretary is recorded, with the fields the core has: a member
of category ``party_committee`` (党组织班子代表: the deputy secretary sits on
the party committee's leadership) with ``role_in_council`` ``chair``. The
core has no field for a post inside the party committee, so a chair of that
category is taken to be the deputy secretary; the secretary himself
(``party_secretary``, the core's "1") in the chair is remarked on, as is a
council with no chair or more than one.

The fixed members the report names, as core categories:

* 政协委员: a member flagged ``is_cppcc`` or of category ``deputies``
  (两代表一委员);
* 社区“两委”班子代表: one of ``party_committee`` and one of
  ``residents_committee`` (the two committees);
* 群众代表: ``resident``.

业主委员会代表 and 社区卫生站工作人员 have no category of their own (an owners'
committee is not quite the core's ``organisation``, a health station's staff
fit none), so they are not checked. Every remark here is non-blocking, so a
roster is built member by member; community councils only (the report's).
"""
from __future__ import annotations

from core.councils.categories import CATEGORY_LABELS, PARTY_SECRETARY
from core.councils.rules import CouncilSnapshot, MemberSnapshot, Violation, fixed_members
from core.seeds import quote
from plugins.four_visits_six_steps.settings import CHAIR as CHAIR_SETTING

CHAIR_RULE = "four_visits_six_steps.deputy_secretary_chair"
FIXED_RULE = "four_visits_six_steps.fixed_members"
CHAIR = "chair"
DEPUTY_SECRETARY_CATEGORY = "party_committee"

CHAIR_TEXT = quote("004", "社区党委副书记担任协商议事会主席并主持协商议事会议")
FIXED_TEXT = quote("004", "政协委员、社区“两委”班子代表、业主委员会代表、群众代表、社区卫生站工作人员")


def _is_cppcc(member: MemberSnapshot) -> bool:
    return member.is_cppcc or member.category == "deputies"


# (the report's words, English, whether the roster has one)
FIXED_KINDS = (
    (quote("004", "政协委员"), "CPPCC members", lambda fixed: any(_is_cppcc(m) for m in fixed)),
    (quote("004", "社区“两委”班子代表"), "representatives of the community's two committees",
     lambda fixed: {"party_committee", "residents_committee"} <= {m.category for m in fixed}),
    (quote("004", "群众代表"), "residents' representatives", lambda fixed: any(m.category == "resident" for m in fixed)),
)


def _secretary_chair_violation(roster: tuple[MemberSnapshot, ...]) -> Violation | None:
    """000's rule where the region keeps it: the party secretary (the "1") chairs."""
    chairs = [m for m in roster if m.role_in_council == CHAIR]
    if len(chairs) == 1 and chairs[0].category == PARTY_SECRETARY:
        return None
    return Violation(CHAIR_RULE, "协商议事会主席应由党组织书记担任（本地设置）",
                     "the party secretary chairs the council (this region's setting)")


def _chair_violation(roster: tuple[MemberSnapshot, ...]) -> Violation | None:
    chairs = [m for m in roster if m.role_in_council == CHAIR]
    rule = f"（{CHAIR_TEXT}）"
    if not chairs:
        return Violation(CHAIR_RULE, f"尚未指定协商议事会主席{rule}",
                         "no chair yet: the community party committee's deputy secretary chairs the council")
    if len(chairs) > 1:
        names = "、".join(m.name for m in chairs)
        return Violation(CHAIR_RULE, f"协商议事会主席只应有一名，现有：{names}{rule}",
                         f"the council has one chair, not {len(chairs)}: {', '.join(m.name for m in chairs)}")
    [chair] = chairs
    if chair.category == DEPUTY_SECRETARY_CATEGORY:
        return None
    zh, en = CATEGORY_LABELS.get(chair.category, (chair.category, chair.category))
    if chair.category == PARTY_SECRETARY:
        zh_why, en_why = "由党组织书记担任", "the party secretary holds it"
    else:
        zh_why, en_why = f"现任主席{chair.name}为{zh}", f"the chair, {chair.name}, is a {en}"
    return Violation(
        CHAIR_RULE,
        f"协商议事会主席应由社区党委副书记担任（登记为党组织班子代表并任主席），{zh_why}{rule}",
        "the community party committee's deputy secretary chairs the council (recorded as a party committee "
        f"representative in the chair); {en_why}")


def check(council: CouncilSnapshot, roster: tuple[MemberSnapshot, ...]) -> list[Violation]:
    if council.kind != "community":
        return []
    found = []
    chair = (_secretary_chair_violation(roster) if council.setting(CHAIR_SETTING) == "party_secretary"
             else _chair_violation(roster))
    if chair is not None:
        found.append(chair)
    fixed = fixed_members(roster)
    missing = [(zh, en) for zh, en, present in FIXED_KINDS if not present(fixed)]
    if missing:
        found.append(Violation(
            FIXED_RULE,
            f"固定成员中尚缺：{'、'.join(zh for zh, _en in missing)}（固定成员：{FIXED_TEXT}）",
            f"no fixed member yet among: {'; '.join(en for _zh, en in missing)}"))
    return found
