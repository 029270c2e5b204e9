"""Who sits in a consultation home (seed 003 §三): "每个协商民主之家至少安排3名以上
政协委员参加，并指定一名委员作为负责人".

Composition rules get frozen snapshots and no session, so they cannot look
the homes table up. The rule therefore holds every street and community
council of a region where the plugin is enabled to the home's composition:
the opinion sets a home up in every township, village, street and community
(§三), piloted in 2019 and rolled out from 2020 (§五 注重试点推广), so in an
enabled region every council is, or is becoming, a home. (A process-wide
cache of the designated homes was the alternative; a second process — the
worker, another server — would read it stale.) The remarks never block, so a
roster is built up member by member.
"""
from __future__ import annotations

from core.councils.rules import CouncilSnapshot, MemberSnapshot, Violation
from plugins.lianyungang.settings import MIN_CPPCC_MEMBERS, SETTINGS

DEFAULT_MIN_CPPCC = SETTINGS["min_cppcc_members"].default
HEAD = "head"
HOME_COUNCIL_KINDS = ("street", "community")

RULE_CPPCC = "lianyungang.cppcc_members"
RULE_HEAD = "lianyungang.head_designated"
RULE_HEAD_CPPCC = "lianyungang.head_is_cppcc"


def cppcc_count(roster: tuple[MemberSnapshot, ...]) -> int:
    return sum(1 for m in roster if m.is_cppcc)


def heads(roster: tuple[MemberSnapshot, ...]) -> list[MemberSnapshot]:
    return [m for m in roster if m.role_in_council == HEAD]


def home_rules(council: CouncilSnapshot, roster: tuple[MemberSnapshot, ...]) -> list[Violation]:
    if council.kind not in HOME_COUNCIL_KINDS:
        return []
    found: list[Violation] = []
    fewest = int(council.setting(MIN_CPPCC_MEMBERS, DEFAULT_MIN_CPPCC))
    cppcc = cppcc_count(roster)
    if cppcc < fewest:
        found.append(Violation(
            RULE_CPPCC,
            f"协商民主之家政协委员 {cppcc} 人，少于 {fewest} 人",
            f"{cppcc} CPPCC members in the consultation home, fewer than {fewest}"))
    named = heads(roster)
    if not named:
        found.append(Violation(
            RULE_HEAD, "未指定负责人：须指定一名政协委员作为协商民主之家负责人",
            "no head designated: one CPPCC member must be designated head of the consultation home"))
    elif len(named) > 1:
        found.append(Violation(
            RULE_HEAD, f"指定了 {len(named)} 名负责人（{'、'.join(m.name for m in named)}），只能指定 1 名",
            f"{len(named)} heads designated ({', '.join(m.name for m in named)}); designate exactly 1"))
    not_cppcc = [m.name for m in named if not m.is_cppcc]
    if not_cppcc:
        found.append(Violation(
            RULE_HEAD_CPPCC, f"负责人{'、'.join(not_cppcc)}不是政协委员，负责人应由政协委员担任",
            f"the head {', '.join(not_cppcc)} is not a CPPCC member; the head must be one"))
    return found
