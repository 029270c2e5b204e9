"""Who sits on a Tianshui council (seed 000 §四(二)).

Community councils: 20–30 fixed members, community cadres at most half of
them, residents' representatives nominated 1–2 per grid, the residents'
committee director and the supervisory committee director among the fixed
members, a term as long as the residents' committee's. The "1+7+X"
categories themselves are the built-in ``council_rules``' business.
Street councils: one first convenor and one second convenor who is a CPPCC
member, and, besides them, members of each kind the seed lists (CPPCC
members, party members' representatives, representatives of the public, of
enterprises and public institutions, officials of the departments
concerned), each kind mapped onto the core's categories (inferred, see
``STREET_MEMBER_KINDS``). The seed gives no numbers for a street council, so
none are checked.

The numbers are the seed's, as the defaults of the plugin's settings
(``SETTINGS``); a rule reads them from the council snapshot, which carries
the region's resolved settings, so a district may tune them. See README.md.

Blocking: only caps a single change crosses (a 31st fixed member, a third
representative from one grid, a second first/second convenor, a second
convenor who is no CPPCC member). Minimums, shares, missing posts and missing
kinds of members are remarks, so a roster can be built up member by member.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from core.councils.categories import CATEGORY_LABELS
from core.councils.rules import CouncilSnapshot, MemberSnapshot, Violation, fixed_members
from core.plugins import SettingSpec
from core.seeds import quote

# “协商议事会固定成员总数原则上为20—30人”
MIN_FIXED_MEMBERS = 20
MAX_FIXED_MEMBERS = 30
# “社区干部一般不超过议事会固定成员总数的二分之一”: cadres × 2 ≤ fixed members.
CADRE_SHARE_DENOMINATOR = 2
# “居民代表以网格为单位推荐，每个网格推荐1—2人”
MAX_RESIDENTS_PER_GRID = 2
RESIDENT_CATEGORY = "resident"
# “协商议事会每届任期与居委会任期相同”; the residents' committee serves five
# years (居民委员会组织法 art. 8, as amended in 2018).
TERM_YEARS = 5

SETTINGS = {
    "min_fixed_members": SettingSpec(int, MIN_FIXED_MEMBERS, "议事会固定成员最少人数（原则上 20 人）",
                                     "fewest fixed members (20 in seed 000)", minimum=1, maximum=200),
    "max_fixed_members": SettingSpec(int, MAX_FIXED_MEMBERS, "议事会固定成员最多人数（原则上 30 人）",
                                     "most fixed members (30 in seed 000)", minimum=1, maximum=200),
    "max_residents_per_grid": SettingSpec(int, MAX_RESIDENTS_PER_GRID, "每个网格推荐居民代表最多人数（1—2 人）",
                                          "most residents' representatives per grid (2 in seed 000)",
                                          minimum=1, maximum=20),
    "term_years": SettingSpec(int, TERM_YEARS, "居委会任期年数（议事会任期与之相同）",
                              "years of the residents' committee's term (the council's is the same)",
                              minimum=1, maximum=10),
}


def _number(council: CouncilSnapshot, name: str) -> int:
    return int(council.setting(f"tianshui.{name}", SETTINGS[name].default))


FIRST_CONVENOR = "first_convenor"
SECOND_CONVENOR = "second_convenor"

# 000 §四(二), the seed's one sentence on who sits on a street council, word for
# word (its doubled "副书记书记" included): the rules below rest on it.
STREET_COUNCIL_WORDS = quote("000", "街道协商议事会成员由党工委副书记书记为协商议事第一召集人、政协委员为第二召集人、"
                                    "政协委员、党员代表、群众代表、企事业单位代表、相关部门公职人员组成。")
# Who each convenor is, in the seed's words. The first is cut before the doubled
# 书记 (a slip of the seed's: DOMAIN.md reads it as the deputy secretary) so the
# remark does not repeat it.
FIRST_CONVENOR_WHO = quote("000", "党工委副书记")
SECOND_CONVENOR_WHO = quote("000", "政协委员")


@dataclass(frozen=True)
class StreetMemberKind:
    """A kind of street council member the seed lists, and which members count as one."""
    key: str
    words: str
    label_en: str
    # How a roster entry shows it, named in the remark so staff know what to enter.
    hint_zh: str
    hint_en: str
    counts: Callable[[MemberSnapshot], bool]


def _category_kind(key: str, words: str, label_en: str, *categories: str) -> StreetMemberKind:
    zh = "或".join(f"“{CATEGORY_LABELS[c][0]}”" for c in categories)
    en = " or ".join(f"'{CATEGORY_LABELS[c][1]}'" for c in categories)
    return StreetMemberKind(key, words, label_en, f"类别{zh}", f"category {en}",
                            lambda m: m.category in categories)


# The seed names the kinds but the roster records the core's "1+7+X" categories;
# the mapping is ours (inferred), README.md "Street councils" gives the reasons.
STREET_MEMBER_KINDS: tuple[StreetMemberKind, ...] = (
    # A CPPCC member is known by the roster's flag, whatever category they sit in
    # ("deputies" also holds people's congress deputies, who are not CPPCC members).
    StreetMemberKind("cppcc", quote("000", "政协委员"), "CPPCC members", "勾选“政协委员”", "ticked 'CPPCC member'",
                     lambda m: m.is_cppcc),
    # No category is "party member"; the party organisation's representatives are the nearest.
    _category_kind("party_members", quote("000", "党员代表"), "party members' representatives",
                   "party_committee", "party_secretary"),
    _category_kind("public", quote("000", "群众代表"), "representatives of the public", "resident"),
    _category_kind("enterprises", quote("000", "企事业单位代表"),
                   "representatives of enterprises and public institutions", "organisation"),
    _category_kind("officials", quote("000", "相关部门公职人员"), "officials of the departments concerned",
                   "department"),
)


def _names(members: Iterable[MemberSnapshot]) -> str:
    return "、".join(m.name for m in members)


def _names_en(members: Iterable[MemberSnapshot]) -> str:
    return ", ".join(m.name for m in members)


def _years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def fixed_count_rules(council: CouncilSnapshot, fixed: list[MemberSnapshot]) -> list[Violation]:
    n = len(fixed)
    low, high = _number(council, "min_fixed_members"), _number(council, "max_fixed_members")
    if n < low:
        return [Violation("tianshui.fixed_min", f"固定成员 {n} 人，少于 {low} 人",
                          f"{n} fixed members, fewer than {low}")]
    if n > high:
        return [Violation("tianshui.fixed_max", f"固定成员 {n} 人，多于 {high} 人",
                          f"{n} fixed members, more than {high}", blocking=True)]
    return []


def cadre_share_rule(fixed: list[MemberSnapshot]) -> list[Violation]:
    cadres = sum(1 for m in fixed if m.is_cadre)
    limit = len(fixed) // CADRE_SHARE_DENOMINATOR
    if cadres * CADRE_SHARE_DENOMINATOR <= len(fixed):
        return []
    return [Violation("tianshui.cadre_half",
                      f"社区干部 {cadres} 人，超过固定成员 {len(fixed)} 人的二分之一（至多 {limit} 人）",
                      f"{cadres} community cadres, more than half of the {len(fixed)} fixed members "
                      f"(at most {limit})")]


def grid_rules(council: CouncilSnapshot, roster: Iterable[MemberSnapshot]) -> list[Violation]:
    cap = _number(council, "max_residents_per_grid")
    residents = [m for m in roster if m.category == RESIDENT_CATEGORY]
    found = []
    without = [m for m in residents if not m.grid.strip()]
    if without:
        found.append(Violation("tianshui.grid_missing",
                               f"居民代表 {_names(without)} 未填写所在网格（居民代表以网格为单位推荐）",
                               f"residents' representatives without a grid: {_names_en(without)} "
                               f"(they are nominated by grid)"))
    per_grid = Counter(m.grid.strip() for m in residents if m.grid.strip())
    for grid, count in sorted(per_grid.items()):
        if count > cap:
            # One rule id per grid: a grid already over the cap does not let another one go over.
            found.append(Violation(f"tianshui.grid_max.{grid}",
                                   f"网格“{grid}”推荐居民代表 {count} 人，多于 {cap} 人"
                                   f"（每个网格 1—{cap} 人）",
                                   f"grid '{grid}' has {count} residents' representatives, more than "
                                   f"{cap} (1–{cap} per grid)",
                                   blocking=True))
    return found


def director_rules(fixed: list[MemberSnapshot]) -> list[Violation]:
    found = []
    if not any(m.is_residents_committee_director for m in fixed):
        found.append(Violation("tianshui.residents_director",
                               "居委会主任应纳入议事会固定成员，固定成员中没有居委会主任",
                               "the residents' committee director must be a fixed member; no fixed member is"))
    if not any(m.is_supervisory_director for m in fixed):
        found.append(Violation("tianshui.supervisory_director",
                               "社区监委会主任应纳入议事会固定成员，固定成员中没有监委会主任",
                               "the supervisory committee director must be a fixed member; no fixed member is"))
    return found


def term_rule(council: CouncilSnapshot) -> list[Violation]:
    start, end = council.term_starts_on, council.term_ends_on
    if start is None:
        return []
    years = _number(council, "term_years")
    anniversary = _years_after(start, years)
    expected = anniversary - timedelta(days=1)
    if end is None:
        return [Violation("tianshui.term_length",
                          f"第 {council.term_number} 届任期未定结束日期；议事会任期应与居委会任期（{years} 年）"
                          f"相同，应至 {expected.isoformat()}",
                          f"term {council.term_number} has no end date; it should equal the residents' "
                          f"committee's {years}-year term, to {expected.isoformat()}")]
    # Either way of writing a five-year term (to the eve of the anniversary, or to the anniversary).
    if end in (expected, anniversary):
        return []
    return [Violation("tianshui.term_length",
                      f"第 {council.term_number} 届任期 {start.isoformat()} 至 {end.isoformat()}，与居委会任期"
                      f"（{years} 年）不同，应至 {expected.isoformat()}",
                      f"term {council.term_number} runs {start.isoformat()} to {end.isoformat()}, not the "
                      f"residents' committee's {years} years (to {expected.isoformat()})")]


def community_rules(council: CouncilSnapshot, roster: tuple[MemberSnapshot, ...]) -> list[Violation]:
    fixed = fixed_members(roster)
    return [*fixed_count_rules(council, fixed), *cadre_share_rule(fixed), *grid_rules(council, roster),
            *director_rules(fixed), *term_rule(council)]


def _convenor_rules(roster: tuple[MemberSnapshot, ...], role: str, zh: str, en: str,
                    who_zh: str, who_en: str) -> list[Violation]:
    holders = [m for m in roster if m.role_in_council == role]
    if not holders:
        return [Violation(f"tianshui.{role}", f"缺少{zh}（{who_zh}）", f"no {en} ({who_en})")]
    if len(holders) > 1:
        return [Violation(f"tianshui.{role}", f"{zh} {len(holders)} 人（{_names(holders)}），只应有 1 人",
                          f"{len(holders)} {en}s ({_names_en(holders)}); there must be exactly one",
                          blocking=True)]
    return []


def street_member_kinds_rule(roster: tuple[MemberSnapshot, ...]) -> list[Violation]:
    # The seed names the convenors apart from the members (…第二召集人、政协委员、…),
    # so a convenor does not also stand for a kind: the second convenor is no
    # substitute for the CPPCC members the seed lists as well.
    members = [m for m in roster if m.role_in_council not in (FIRST_CONVENOR, SECOND_CONVENOR)]
    missing = [kind for kind in STREET_MEMBER_KINDS if not any(kind.counts(m) for m in members)]
    if not missing:
        return []
    zh = "、".join(f"{kind.words}（{kind.hint_zh}）" for kind in missing)
    en = "; ".join(f"{kind.label_en} ({kind.hint_en})" for kind in missing)
    return [Violation("tianshui.street_members", f"第一、第二召集人之外，街道协商议事会成员中没有{zh}",
                      f"besides the first and second convenors, the street council has no {en}")]


def street_rules(council: CouncilSnapshot, roster: tuple[MemberSnapshot, ...]) -> list[Violation]:
    found = [
        *_convenor_rules(roster, FIRST_CONVENOR, "第一召集人", "first convenor", f"街道{FIRST_CONVENOR_WHO}",
                         "the deputy party secretary of the street working committee"),
        *_convenor_rules(roster, SECOND_CONVENOR, "第二召集人", "second convenor", SECOND_CONVENOR_WHO,
                         "a CPPCC member"),
    ]
    not_cppcc = [m for m in roster if m.role_in_council == SECOND_CONVENOR and not m.is_cppcc]
    if not_cppcc:
        found.append(Violation("tianshui.second_convenor_cppcc",
                               f"第二召集人应为{SECOND_CONVENOR_WHO}，{_names(not_cppcc)} 不是政协委员",
                               f"the second convenor must be a CPPCC member; {_names_en(not_cppcc)} is not",
                               blocking=True))
    found += street_member_kinds_rule(roster)
    return found


def council_violations(council: CouncilSnapshot, roster: tuple[MemberSnapshot, ...]) -> list[Violation]:
    if council.kind == "community":
        return community_rules(council, roster)
    if council.kind == "street":
        return street_rules(council, roster)
    return []
