"""Every table of the core, imported here so the metadata is complete."""
from core.models.account import AuthToken, LoginThrottle, RoleGrant, User
from core.models.audit import AuditEntry, AuditHead
from core.models.authz import AuthzPolicy
from core.models.council import Council, CouncilDocument, CouncilMember, CouncilTerm
from core.models.escalation import Escalation, TopicLink, UpwardReport  # noqa: F401  (上移, similar topics, upward reports)
from core.models.jobs import OutboxJob, ScheduledFire
from core.models.region import Region, RegionLevel
from core.models.settings import RegionPlugin, RegionSetting
from core.models.topic import ScreeningDecision, Topic, TopicEvent, TopicFeedback, TopicRegion
from core.models import consultation  # noqa: F401  (research, meetings, votes, outcomes)
from core.models import attachment, public  # noqa: F401  (tables of the residents' door and of attachments)
from core.models import ratelimit  # noqa: F401  (rate-limit windows of the public door and objections)
from core.models import implementation, notice  # noqa: F401  (公示 and objections; tasks, ratings, notifications)
from core.models import submission  # noqa: F401  (one-time tokens of the pages' forms)
from core.models import rollup  # noqa: F401  (per-region topic totals, kept by a flush listener)

__all__ = [
    "AuditEntry",
    "AuditHead",
    "AuthToken",
    "AuthzPolicy",
    "LoginThrottle",
    "Council",
    "CouncilDocument",
    "CouncilMember",
    "CouncilTerm",
    "OutboxJob",
    "Region",
    "RegionLevel",
    "RegionPlugin",
    "RegionSetting",
    "RoleGrant",
    "ScheduledFire",
    "ScreeningDecision",
    "Topic",
    "TopicEvent",
    "TopicFeedback",
    "TopicRegion",
    "User",
]
