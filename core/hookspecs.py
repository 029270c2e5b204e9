"""The plugin contract: every hook a Yishi plugin may implement.

Each hook is an empty function whose docstring is its contract: the
arguments, what to return, and whether the first non-None answer wins
(``firstresult``) or every plugin's answer is collected into a list.
``tests/test_hookspecs.py`` fails when a hook is left undocumented.

Hooks are synchronous; a hook may return a coroutine where its docstring
says so and the host awaits it. Plugins implement hooks with
``@core.plugins.hookimpl``. The core's own behaviour is registered as
plugins too (``core.builtin``), marked ``trylast`` so that a regional
plugin's answer wins.
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("yishi")


@hookspec
def yishi_manifest():
    """Declare the plugin.

    Arguments: none.

    Return: a ``core.plugins.PluginManifest`` (name, Chinese and English
    title, description, settings schema). The name is the one tenants use
    to enable the plugin and the prefix of its settings keys
    (``<name>.<setting>``); the settings schema is validated when a tenant
    loads, so a wrong type or unknown setting is refused before anything
    is written. A regional variant returns its ``core.plugins.Variant``
    (a ``PluginManifest`` that also declares what the variant supplies),
    declared in ``plugins/<name>/manifest.py``; ``core.plugins.variant_plugin``
    answers this and every other hook from it.

    Collected from every plugin (not firstresult).
    """


@hookspec
def yishi_routes():
    """Contribute HTTP route handlers.

    Arguments: none.

    Return: a list of Litestar route handlers or controllers. They are
    mounted under ``/api/v1/plugins/<plugin name>``. Every handler must
    declare ``opt={"action": "<action>"}`` (checked by the authorization
    guard against the region in its ``{code}`` path parameter) or
    ``opt={"public": True}``; the app refuses to start otherwise.

    Collected from every plugin (not firstresult).
    """


@hookspec
def yishi_cli_commands():
    """Contribute command-line commands.

    Arguments: none.

    Return: a list of ``click.Command`` (or groups). Each is added under
    ``yishi plugin <plugin name> …``; a plugin cannot shadow a core command.

    Collected from every plugin (not firstresult).
    """


@hookspec
def yishi_scheduled_jobs():
    """Declare periodic jobs.

    Arguments: none.

    Return: a list of ``core.jobs.ScheduledJob`` (unique name, cron
    expression in UTC, the name of a job registered with ``@core.jobs.job``,
    and keyword arguments). ``yishi scheduler`` (or ``yishi serve`` in the
    embedded default) fires each slot once, through the outbox, so a slot
    missed while nothing ran fires once when the scheduler starts again.

    Collected from every plugin (not firstresult).
    """


@hookspec
def yishi_procedures():
    """Supply consultation procedures (议事程序).

    Arguments: none.

    Return: a list of ``core.procedures.model.Procedure``. Each is checked
    by ``core.procedures.model.validate_procedure`` when the registry is
    built; a malformed one (duplicate keys, an action leading to an unknown
    step, an unknown role) stops the registry with a ``ProcedureError``.
    Keep supplying old versions: a topic keeps the (key, version) it
    started under for the rest of its life.

    Collected from every plugin (not firstresult).
    """


@hookspec(firstresult=True)
def yishi_procedure_for_region(region_code, settings):
    """Choose the procedure new topics in a region start under.

    Arguments: ``region_code`` (the division code of the council that owns
    the topic) and ``settings`` (a read-only mapping of the region's
    resolved settings, keyed ``"<plugin>.<setting>"``).

    Return: a procedure key (its latest version is used), or None to let
    another plugin decide. The hook is asked only while the ``procedure.key``
    setting is empty (its default): a key set for the region (e.g. a
    district of Ningbo kept on ``"generic"``) wins over every plugin without
    asking. The built-in ``procedure`` plugin answers last with
    ``"generic"``.

    firstresult: the first non-None answer wins.
    """


@hookspec
def yishi_catalogue(region_code):
    """Supply the consultation catalogue (议事目录) for a region.

    Arguments: ``region_code``, the council's division code.

    Return: a list of ``core.catalogue.CatalogueItem`` (code such as
    ``"tianshui.yi.3"``, kind ``"admissible"`` or ``"excluded"``, number,
    Chinese text). Items marked ``fallback`` (the core's generic catalogue)
    stand in per kind: they are used for a kind (admissible or excluded)
    only when no plugin returns items of that kind for the region.
    Topic categories are admissible items; screening decisions cite items.

    Collected from every plugin (not firstresult).
    """


@hookspec
def yishi_council_composition_rules(council, roster):
    """Check who sits on a council (e.g. Tianshui's "1+7+X", 20–30 fixed
    members, at most half cadres; Lianyungang's ≥3 CPPCC members).

    Arguments:

    * ``council``: a ``core.councils.rules.CouncilSnapshot`` (region code,
      kind ``street`` / ``community`` / ``district`` / ``city``, name, term
      number and dates, and ``settings``: the region's resolved settings,
      read with ``council.setting("<plugin>.<setting>", default)``, so a
      rule's numbers are settings a city or district can tune) of the
      council being checked;
    * ``roster``: a tuple of ``core.councils.rules.MemberSnapshot``, the
      members who would be serving once the change is saved (category,
      cadre / CPPCC flags, grid, role in the council, director posts).

    Both are frozen plain values: a rule reads them and touches no database.

    Return: a list of ``core.councils.rules.Violation`` (rule id, the
    violation in plain Chinese and English words, e.g. "固定成员 18 人，少于
    20 人", and ``blocking``), or an empty list / None when the council
    complies. Non-blocking violations are shown next to the saved roster.
    A blocking one refuses, with 409 and its words, a change that would
    newly break it; a blocking rule already broken before the change does
    not stop it, so a roster can be built up or repaired step by step.
    Rules are matched by ``rule_id``, which must therefore be stable.

    Collected from every plugin (not firstresult): the violations of all
    rules are shown together.
    """


@hookspec
def yishi_topic_action_taken(session, context, topic, action, payload, event, principal):
    """React to an action just taken on a topic, inside the same transaction.

    Arguments: ``session`` (the request's AsyncSession), ``context`` (the ``core.region_context.RegionContext`` of the topic's
    region: its enabled plugins, settings, hooks and catalogue; read them
    there, never from elsewhere), ``topic`` (the
    ``Topic`` row, already moved to its new step), ``action`` (the declared
    ``core.procedures.model.Action``; dispatch on ``action.kind`` or
    ``action.key``), ``payload`` (the client's request body, a mapping; empty
    for an action the public or a job took), ``event`` (the ``TopicEvent``
    row just written, with its id) and ``principal`` (who acted, or None
    when it was not a logged-in user: a resident objecting on the public
    board, a job; ``event.actor_name`` names them).

    Return: None, or a coroutine the host awaits. An implementation that
    records domain data (a research record, a meeting, an outcome, a
    notice, a task) validates ``payload`` itself and raises
    ``core.errors.ApiError`` on bad input: the whole action is then rolled
    back, so nothing changes.

    Collected from every plugin enabled at the topic's region (not firstresult).
    """


@hookspec
def yishi_topic_action_recorded(session, context, topic, action, payload, event, principal):
    """React to an action after every ``yishi_topic_action_taken`` answer has
    been awaited, inside the same transaction.

    Arguments: as ``yishi_topic_action_taken``: ``session``, ``context``,
    ``topic``, ``action``, ``payload``, ``event`` and ``principal``.

    Return: None, or a coroutine the host awaits. This is the place for a
    rule that needs what the built-ins recorded for the action (e.g.
    Ningbo checks a joint meeting's outcome against its parties); a rule
    that must refuse an action before anything is recorded belongs in
    ``yishi_topic_action_taken``. Raising ``core.errors.ApiError`` rolls
    the whole action back.

    Collected from every plugin enabled at the topic's region (not firstresult).
    """


@hookspec
def yishi_topic_view_sections(session, context, topic, principal):
    """Add sections to the detail view of a topic (``GET /api/v1/topics/{id}``).

    Arguments: ``session`` (AsyncSession), ``context`` (the ``core.region_context.RegionContext`` of the topic's
    region: its enabled plugins, settings, hooks and catalogue; read them
    there, never from elsewhere), ``topic``
    (the ``Topic`` row) and ``principal`` (the caller, or None for a public view).

    Return: a dict of section name → JSON-ready value (e.g.
    ``{"research": [...]}``), or a coroutine resolving to one, or None.
    Sections from several plugins are merged; a name must be unique.

    Collected from every plugin enabled at the topic's region (not firstresult).
    """


@hookspec
def yishi_topic_created(session, context, topic, principal):
    """React to a topic just submitted, inside the same transaction.

    Arguments: ``session`` (the request's AsyncSession), ``context`` (the ``core.region_context.RegionContext`` of the topic's
    region: its enabled plugins, settings, hooks and catalogue; read them
    there, never from elsewhere), ``topic`` (the new
    ``Topic`` row, flushed: it has its id, and its affected communities are
    in ``topic_regions``) and ``principal`` (who submitted it, or None when
    the system did, e.g. an import).

    Return: None, or a coroutine the host awaits. Creation is not a
    procedure action, so this is the place for work a new topic starts
    (e.g. linking similar topics of sibling communities). Raising
    ``core.errors.ApiError`` refuses the submission: nothing is written.

    Collected from every plugin enabled at the topic's region (not firstresult).
    """


@hookspec(firstresult=True)
def yishi_escalation_target(topic_region_code, affected_region_codes, category):
    """Name the council a topic spanning several communities moves up to (上移).

    Arguments: ``topic_region_code`` (the division code of the council that
    owns the topic now), ``affected_region_codes`` (a sorted tuple of the
    community codes the topic affects) and ``category`` (the topic's
    catalogue item code, or None).

    Return: a division code, or None to let another plugin decide. A code
    that is a proper ancestor of ``topic_region_code`` (same city) moves
    the topic there; answering ``topic_region_code`` itself keeps it where
    it is. The built-in ``escalation`` plugin answers last with the lowest
    common ancestor of the affected communities and the owning council
    (two communities of a street → the street; two streets → the
    district; two districts → the city), e.g. Lianyungang answers the
    topic's own council for a matter crossing districts: it stays in its
    home and the city CPPCC's special committee coordinates.

    firstresult: the first non-None answer wins.
    """


@hookspec
def yishi_meeting_kinds(region_code):
    """Add kinds of consultation meeting (e.g. a region's 村民说事 or 楼道议事).

    Arguments: ``region_code``, the division code of the council holding the
    meeting.

    Return: a list of ``core.consultation.kinds.MeetingKind`` (key, Chinese
    and English title), or None. The core's six kinds (说事会, 恳谈会, 听证会,
    议事会, 评议会, 联席会议) are always offered; a plugin's kind with the same
    key as another is ignored after the first.

    Collected from every plugin enabled at the region (not firstresult).
    """


@hookspec
def yishi_compliance_checks(session, context, region_code, level, on_date):
    """Check a region against a regional standard (ComplianceCheck: Ningbo's
    五个有, Jinchang's 六有, Lianyungang's one activity per quarter).

    Arguments: ``session`` (AsyncSession; read, never write), ``context``
    (the ``core.region_context.RegionContext`` of the region checked),
    ``region_code`` and ``level`` (``"city"`` / ``"district"`` / ``"street"``
    / ``"community"``) of the region checked, and ``on_date`` (the local
    ``date`` the check is made for).

    Return: a list of ``core.compliance.ComplianceResult`` (one per
    standard: its key such as ``"ningbo.five_haves"``, titles, and one
    ``ComplianceItem`` per requirement saying whether it is met and what
    was seen), or a coroutine resolving to one, or None when the plugin has
    no standard for that region. Results are computed from what the
    platform holds (roster, meetings, documents on file, the procedure),
    never typed in. ``GET /api/v1/regions/{code}/compliance`` shows them.

    Collected from every plugin enabled at the region (not firstresult).
    """


@hookspec
def yishi_demo_seeded(session, context, city_code, council_regions, seed):
    """Add a plugin's own demo records after the core seeded a demo city.

    Arguments: ``session`` (AsyncSession, inside the seeding transaction),
    ``context`` (the ``core.region_context.RegionContext`` of the city),
    ``city_code``, ``council_regions`` (the sorted division codes of the
    councils the core seeded with members, meetings and topics) and
    ``seed`` (an int: derive any randomness from it, so the demo is the
    same on every run).

    Return: None, or a coroutine the host awaits. Runs only the first time
    a city is seeded (``yishi demo`` on an empty database), so it need not
    be idempotent.

    Collected from every plugin enabled at the city (not firstresult).
    """
