"""Request bodies of the topic routes.

Every optional field defaults to ``UNSET``, so ``msgspec.to_builtins`` hands
the service exactly the fields the client sent (absent stays absent, null
stays None); the service still judges what the values mean and answers in
both languages. A field the form does not have is refused by name
(``forbid_unknown_fields``).
"""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, UnsetType

from core.consultation.schemas import MeetingForm
from core.models.consultation import MEETING_FORMS, OUTCOME_FORMS, RESEARCH_METHODS
from core.models.topic import CHANNELS, SCALES


class TopicForm(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A topic brought to a council by someone logged in."""

    title: str | None | UnsetType = UNSET
    description: str | None | UnsetType = UNSET
    # A code of an admissible item of the region's catalogue.
    category: str | None | UnsetType = UNSET
    channel: Annotated[str | None, Meta(description=f"one of: {', '.join(CHANNELS)}")] | UnsetType = UNSET
    scale: Annotated[str | None, Meta(description=f"one of: {', '.join(SCALES)}")] | UnsetType = UNSET
    # Community codes; a community's own council may leave them out.
    affected_regions: list[str] | None | UnsetType = UNSET
    proposer_name: str | None | UnsetType = UNSET
    proposer_contact: str | None | UnsetType = UNSET


class TopicAction(MeetingForm, kw_only=True, forbid_unknown_fields=True):
    """What an action of a topic's procedure may carry: among the rest, a new
    meeting's fields as ``POST /regions/{code}/meetings`` takes them.

    One body for every action: which fields an action reads is the
    procedure's and its hooks' business (``yishi_topic_action_taken``), so
    each group below names who reads it.
    """

    # Every action; screening (catalogue_item, route) and the proposer's feedback.
    note: str | None | UnsetType = UNSET
    feedback: str | None | UnsetType = UNSET
    catalogue_item: str | None | UnsetType = UNSET
    route: str | None | UnsetType = UNSET
    # A rejection's referral (core.topics.transitions): the department it goes to
    # (required for refer_department) and the channel (12345 hotline, a visit…).
    referred_to: str | None | UnsetType = UNSET
    referral_channel: str | None | UnsetType = UNSET
    # record_research (core.consultation): one method or several.
    method: Annotated[str | list[str] | None,
                      Meta(description=f"one or more of: {', '.join(RESEARCH_METHODS)}")] | UnsetType = UNSET
    methods: str | list[str] | None | UnsetType = UNSET
    findings: str | None | UnsetType = UNSET
    draft_plan: str | None | UnsetType = UNSET
    feasibility: str | None | UnsetType = UNSET
    # The site visit: the fixed members who went (member ids), the day (YYYY-MM-DD) and the place.
    visitors: Annotated[Any, Meta(description="ids of the fixed members who went (a list of integers)")] | \
        UnsetType = UNSET
    visited_on: Annotated[Any, Meta(description="the day of the site visit, YYYY-MM-DD")] | UnsetType = UNSET
    visited_place: str | None | UnsetType = UNSET
    # Typed loosely: the service names a bad list together with the form's other mistakes.
    attachments: Annotated[Any, Meta(description="attachment ids (a list of integers)")] | UnsetType = UNSET
    # schedule_meeting (core.consultation): an open meeting, or a new one (the
    # inherited fields); plan is also a revised plan (Ningbo's publish_plan).
    meeting_id: int | None | UnsetType = UNSET
    form: Annotated[str | None, Meta(description=f"a meeting's form ({', '.join(MEETING_FORMS)}) or an "
                                                  f"outcome's ({', '.join(OUTCOME_FORMS)})")] | UnsetType = UNSET
    # record_resolution (core.consultation); text is also a notice's text
    # (core.notices) and a regional decision's (Ningbo).
    text: str | None | UnsetType = UNSET
    responsible_party: str | None | UnsetType = UNSET
    measures: str | None | UnsetType = UNSET
    deadline: date | None | UnsetType = UNSET
    # The notice board (core.notices): a member's objection, the one answered.
    contact: str | None | UnsetType = UNSET
    objection_id: int | None | UnsetType = UNSET
    # Lianyungang's admit: the matter involves city departments (true / false, or
    # the departments); it stays in its home and the city CPPCC's special
    # committee coordinates. Typed loosely: its hook names a bad value itself.
    involves_city_departments: Annotated[Any, Meta(description="true, false or the departments (a list of names)")] \
        | UnsetType = UNSET
    city_departments: Annotated[Any, Meta(description="the city departments taking part (a list of names)")] \
        | UnsetType = UNSET
    special_committee_id: Annotated[Any, Meta(description="the coordinating special committee (an id)")] \
        | UnsetType = UNSET
    # The county practice's admit (plugins/four_visits_six_steps, 004): the
    # topic-selection standard 切口小、立意高、关联广 confirmed, and for a
    # resident's topic the form of 社会征 it came through. Typed loosely: the
    # plugin names each missing criterion itself.
    selection_standard: Annotated[Any, Meta(description="the criteria confirmed: a list of keys, or key → true "
                                                        "or a few words")] | UnsetType = UNSET
    source: Annotated[str | None, Meta(description="365爱心服务站 / 入户走访 / 网格 / 办公电话 "
                                                    "(love_station / home_visit / grid / office_phone)")] \
        | UnsetType = UNSET
