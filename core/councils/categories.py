"""Member categories of "1+7+X" (seeds 000 and 002), and roles inside a council."""
from __future__ import annotations

# The "1": the party organisation's secretary, who chairs.
PARTY_SECRETARY = "party_secretary"

# The "7" kinds of fixed members, in the seeds' order.
FIXED_CATEGORIES: dict[str, tuple[str, str]] = {
    "party_committee": ("党组织班子代表", "party committee representative"),
    "residents_committee": ("居（村）委会班子代表", "residents' committee representative"),
    "supervisory_committee": ("居（村）监委会班子代表", "supervisory committee representative"),
    "deputies": ("两代表一委员", "deputy or CPPCC member (two deputies and one member)"),
    "legal_worker": ("法律工作者", "legal worker"),
    "organisation": ("经济组织和社会组织代表", "economic or social organisation representative"),
    "resident": ("德高望重、公道正派的居民代表", "respected residents' representative"),
}

# The "X": taken on per topic, not fixed members.
TOPIC_CATEGORIES: dict[str, tuple[str, str]] = {
    "stakeholder": ("利益群体代表", "stakeholder representative"),
    "department": ("政府职能部门代表", "government department representative"),
    "expert": ("专家学者", "expert"),
}

CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    PARTY_SECRETARY: ("党组织书记", "party secretary"),
    **FIXED_CATEGORIES,
    **TOPIC_CATEGORIES,
}

# chair: the "1" on a community council; convenor, first_convenor,
# second_convenor: a street council's convenors (000); head: the designated head of a Lianyungang home (003).
ROLES_IN_COUNCIL: dict[str, tuple[str, str]] = {
    "chair": ("召集人", "chair"),
    "vice_chair": ("副召集人", "vice chair"),
    "convenor": ("召集人", "convenor"),
    "first_convenor": ("第一召集人", "first convenor"),
    "second_convenor": ("第二召集人", "second convenor"),
    "head": ("负责人", "head"),
    "secretary": ("秘书", "secretary"),
    "member": ("成员", "member"),
}


def is_fixed(category: str) -> bool:
    """Whether a category counts as a fixed member (the "1" and the "7", not the "X")."""
    return category == PARTY_SECRETARY or category in FIXED_CATEGORIES


# What a council keeps on file (council documents): the evidence regional
# standards look for (Ningbo's 五个有, Jinchang's 六有).
DOCUMENT_KINDS: dict[str, tuple[str, str]] = {
    "rules": ("议事规则（制度）", "rules of procedure"),
    "catalogue": ("协商议事目录", "consultation catalogue"),
    "flowchart": ("议事流程图", "procedure flowchart"),
    "signage": ("标识（照片）", "signage (photo)"),
    "facilities": ("设施（照片）", "facilities (photo)"),
    "activity_record": ("活动记录", "activity record"),
    "other": ("其他", "other"),
}
