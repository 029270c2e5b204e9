"""Finding, registering and consulting plugins.

A plugin host is built by ``core.builtin.make_plugin_manager`` (never a
module global, so a test can build its own). Built-in behaviour comes from
the ``core.builtin`` plugins; regional variants come from the
``yishi.plugins`` entry-point group and are enabled per region by tenant
configuration. This module is platform: it imports no feature.

A regional variant is declared, not hand-wired: its package's
``manifest.py`` holds one :class:`Variant` (its name, settings, and
everything it supplies), and :func:`variant_plugin` turns that declaration
into the pluggy plugin the entry point names. The hook implementations are
written once, here, for every variant.
"""
from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from core import hookspecs
from core.asyncutil import await_me_maybe

if TYPE_CHECKING:
    from core.catalogue import CatalogueItem
    from core.consultation.kinds import MeetingKind
    from core.jobs import ScheduledJob
    from core.procedures.model import Action, Procedure

hookimpl = pluggy.HookimplMarker("yishi")

ENTRY_POINT_GROUP = "yishi.plugins"
# Key under which a Runtime's sessions carry its PluginHost (``session.info``).
PLUGINS_INFO_KEY = "yishi.plugins"


@dataclass(frozen=True)
class SettingSpec:
    """One setting a plugin accepts, with its type and default."""

    type: type
    default: Any
    description_zh: str
    description_en: str
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    # "catalogue_item": the value (a string, each item of a list, or each key
    # of a table) names catalogue items; the tenant loader checks that they
    # exist in the catalogue of the region the setting is made at.
    refers_to: str | None = None

    def referenced(self, value: Any) -> list[str]:
        """The names ``value`` refers to, for a spec with ``refers_to``."""
        if self.refers_to is None:
            return []
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [str(key) for key in value]
        if isinstance(value, list):
            return [str(item) for item in value]
        return []

    def validate(self, value: Any) -> tuple[str, str] | None:
        """Return (zh, en) describing what is wrong with ``value``, or None."""
        expected = self.type
        ok = isinstance(value, expected) and not (expected in (int, float) and isinstance(value, bool))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            names = {int: ("整数", "an integer"), float: ("数字", "a number"), str: ("文本", "a string"),
                     bool: ("布尔值", "true or false"), list: ("列表", "a list"), dict: ("表", "a table")}
            zh, en = names.get(expected, (expected.__name__, expected.__name__))
            return f"应为{zh}，实际为 {value!r}", f"must be {en}, got {value!r}"
        if self.choices is not None and expected is list:
            unknown = [item for item in value if item not in self.choices]
            if unknown:
                allowed = "、".join(map(str, self.choices))
                return (f"{unknown[0]!r} 不在可选项中：{allowed}",
                        f"{unknown[0]!r} is none of: {', '.join(map(str, self.choices))}")
        elif self.choices is not None and value not in self.choices:
            allowed = "、".join(map(str, self.choices))
            return f"应为以下之一：{allowed}", f"must be one of: {', '.join(map(str, self.choices))}"
        if self.minimum is not None and value < self.minimum:
            return f"不得小于 {self.minimum}", f"must be at least {self.minimum}"
        if self.maximum is not None and value > self.maximum:
            return f"不得大于 {self.maximum}", f"must be at most {self.maximum}"
        return None


@dataclass(frozen=True)
class PluginManifest:
    name: str
    title_zh: str
    title_en: str
    description: str = ""
    settings: dict[str, SettingSpec] = field(default_factory=dict)
    # Built-ins are on everywhere and cannot be switched off by a tenant.
    builtin: bool = False


# -- variants -----------------------------------------------------------------------

REGION_LEVELS = ("city", "district", "street", "community")


class VariantError(ValueError):
    """A variant's declaration is malformed; raised when its manifest is built."""

    def __init__(self, name: str, problems: list[str]):
        self.problems = problems
        super().__init__(f"variant {name!r}: " + "; ".join(problems))


@lru_cache(maxsize=None)
def _hook_arguments(hook_name: str) -> tuple[str, ...]:
    return tuple(inspect.signature(getattr(hookspecs, hook_name)).parameters)


@lru_cache(maxsize=None)
def _wanted(fn: Callable[..., Any]) -> tuple[str, ...] | None:
    """The names ``fn`` takes, or None when it takes any keyword (``**kwargs``)."""
    parameters = inspect.signature(fn).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return None
    return tuple(p.name for p in parameters)


def _call(fn: Callable[..., Any], arguments: Mapping[str, Any]) -> Any:
    """Call a declared callable with the hook arguments it names, as pluggy calls a hookimpl."""
    wanted = _wanted(fn)
    # A parameter the hook does not offer has a default (checked when the variant is declared).
    return fn(**(arguments if wanted is None else {name: arguments[name] for name in wanted if name in arguments}))


def _callable_problems(where: str, hook_name: str, fn: Any) -> list[str]:
    if not callable(fn):
        return [f"{where}: {fn!r} is not callable"]
    offered = _hook_arguments(hook_name)
    problems = []
    for parameter in inspect.signature(fn).parameters.values():
        if parameter.kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.POSITIONAL_ONLY):
            problems.append(f"{where}: {parameter.name!r} must be a keyword-capable argument")
        elif (parameter.kind is not inspect.Parameter.VAR_KEYWORD and parameter.name not in offered
              and parameter.default is inspect.Parameter.empty):
            problems.append(f"{where}: argument {parameter.name!r} is none of {hook_name}'s "
                            f"({', '.join(offered)})")
    return problems


@dataclass(frozen=True)
class ActionReaction:
    """Work a variant does when an action is taken on a topic.

    ``run`` takes any of the hook's arguments by name (``session``,
    ``context``, ``topic``, ``action``, ``payload``, ``event``,
    ``principal``) and may return a coroutine; raising ``ApiError``
    refuses the action and rolls it back. It runs for the actions whose
    ``kind`` is in ``kinds`` and whose ``key`` is in ``keys`` (an empty
    tuple matches any), on topics under ``procedure`` (a procedure key, or
    any procedure when None).
    """

    run: Callable[..., Any]
    kinds: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    procedure: str | None = None

    def applies_to(self, topic: Any, action: "Action") -> bool:
        return ((not self.kinds or action.kind in self.kinds) and (not self.keys or action.key in self.keys)
                and (self.procedure is None or topic.procedure_key == self.procedure))


@dataclass(frozen=True)
class ComplianceStandard:
    """A standard a variant checks regions against, at the levels it applies to.

    ``check`` takes any of ``yishi_compliance_checks``' arguments by name
    (``session``, ``context``, ``region_code``, ``level``, ``on_date``) and
    returns a list of ``core.compliance.ComplianceResult`` (or a coroutine
    resolving to one), or None when the region has nothing to check.
    """

    key: str
    levels: tuple[str, ...]
    check: Callable[..., Any]


@dataclass(frozen=True)
class Variant(PluginManifest):
    """A regional variant: its manifest plus everything it supplies.

    Each callable takes, by name, any of the arguments its hook documents in
    ``core.hookspecs`` (as a hookimpl would) and may return a coroutine:

    * ``procedures`` and ``default_procedure`` (the key new topics of a
      region with the variant start under; ``yishi_procedure_for_region``);
    * ``catalogue`` items and ``meeting_kinds``;
    * ``composition_rules`` (``yishi_council_composition_rules``), each
      returning violations; ``escalation_target``;
    * ``compliance`` standards, each with the levels it applies at;
    * ``view_sections``: section name → a callable returning its value for
      a topic's detail view, or None to leave the section out;
    * ``on_action_taken`` (before the built-ins record what the action
      carries: refuse early, or act before them) and ``on_action_recorded``
      (after they have, for checks that need what they recorded);
    * ``demo_seed`` (``yishi_demo_seeded``);
    * ``routes``, ``cli_commands`` and ``scheduled_jobs``;
    * ``models`` (the module declaring its tables, imported with the
      manifest so they join the metadata) and ``migrations`` (the folder of
      its alembic branch, added to the version locations by ``core.migrate``).

    The declaration is checked when it is built, so a malformed variant
    stops the import of its manifest rather than a request.
    """

    procedures: tuple["Procedure", ...] = ()
    default_procedure: str | None = None
    catalogue: tuple["CatalogueItem", ...] = ()
    meeting_kinds: tuple["MeetingKind", ...] = ()
    composition_rules: tuple[Callable[..., Any], ...] = ()
    escalation_target: Callable[..., Any] | None = None
    compliance: tuple[ComplianceStandard, ...] = ()
    view_sections: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    on_action_taken: tuple[ActionReaction, ...] = ()
    on_action_recorded: tuple[ActionReaction, ...] = ()
    demo_seed: Callable[..., Any] | None = None
    routes: tuple[Any, ...] = ()
    cli_commands: tuple[Any, ...] = ()
    scheduled_jobs: tuple["ScheduledJob", ...] = ()
    models: ModuleType | None = None
    migrations: Path | None = None

    def __post_init__(self) -> None:
        for name in ("procedures", "catalogue", "meeting_kinds", "composition_rules", "compliance",
                     "on_action_taken", "on_action_recorded", "routes", "cli_commands", "scheduled_jobs"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "view_sections", dict(self.view_sections))
        if self.migrations is not None:
            object.__setattr__(self, "migrations", Path(self.migrations))
        problems = self._problems()
        if problems:
            raise VariantError(self.name, problems)

    def _problems(self) -> list[str]:
        problems: list[str] = []
        prefix = f"{self.name}."
        if not self.name.isidentifier():
            problems.append("the name must be an identifier (it prefixes settings keys)")
        if self.builtin:
            problems.append("a regional variant cannot be built in")
        keys = [p.key for p in self.procedures]
        if self.default_procedure is not None and self.default_procedure not in keys:
            problems.append(f"default procedure {self.default_procedure!r} is none of its procedures {keys}")
        codes = [item.code for item in self.catalogue]
        problems += [f"catalogue item {code!r} must start with {prefix!r}"
                     for code in codes if not code.startswith(prefix)]
        problems += [f"catalogue item {code!r} is declared twice"
                     for code in sorted(set(codes)) if codes.count(code) > 1]
        kinds = [kind.key for kind in self.meeting_kinds]
        problems += [f"meeting kind {key!r} is declared twice" for key in sorted(set(kinds)) if kinds.count(key) > 1]
        standards = [standard.key for standard in self.compliance]
        for standard in self.compliance:
            if not standard.key.startswith(prefix):
                problems.append(f"compliance standard {standard.key!r} must start with {prefix!r}")
            if not standard.levels or set(standard.levels) - set(REGION_LEVELS):
                problems.append(f"compliance standard {standard.key!r}: levels {standard.levels!r} must be some "
                                f"of {REGION_LEVELS}")
            problems += _callable_problems(standard.key, "yishi_compliance_checks", standard.check)
        problems += [f"compliance standard {key!r} is declared twice"
                     for key in sorted(set(standards)) if standards.count(key) > 1]
        for rule in self.composition_rules:
            problems += _callable_problems("composition rule", "yishi_council_composition_rules", rule)
        if self.escalation_target is not None:
            problems += _callable_problems("escalation target", "yishi_escalation_target", self.escalation_target)
        for section, fn in self.view_sections.items():
            problems += _callable_problems(f"view section {section!r}", "yishi_topic_view_sections", fn)
        for hook_name, reactions in (("yishi_topic_action_taken", self.on_action_taken),
                                     ("yishi_topic_action_recorded", self.on_action_recorded)):
            for reaction in reactions:
                problems += _callable_problems("action reaction", hook_name, reaction.run)
        if self.demo_seed is not None:
            problems += _callable_problems("demo seed", "yishi_demo_seeded", self.demo_seed)
        if self.migrations is not None and not self.migrations.is_dir():
            problems.append(f"migrations folder {self.migrations} does not exist")
        return problems


async def _in_turn(fns: Iterable[Callable[..., Any]], arguments: Mapping[str, Any]) -> list[Any]:
    # One at a time, each awaited before the next is called: a refusal stops
    # the rest from running at all.
    return [await await_me_maybe(_call(fn, arguments)) for fn in fns]


async def _sections(sections: Mapping[str, Callable[..., Any]], arguments: Mapping[str, Any]) -> dict | None:
    shown = {}
    for name, fn in sections.items():
        value = await await_me_maybe(_call(fn, arguments))
        if value is not None:
            shown[name] = value
    return shown or None


async def _flattened(fns: Iterable[Callable[..., Any]], arguments: Mapping[str, Any]) -> list[Any]:
    return [item for answer in await _in_turn(fns, arguments) for item in (answer or ())]


class VariantPlugin:
    """The pluggy plugin of one :class:`Variant`: every hook answers from the declaration.

    Hooks the variant declares nothing for answer None, which pluggy leaves
    out of the collected answers (and a firstresult hook passes over). Each
    method takes its hook's full arguments, so it can be called directly too.
    """

    def __init__(self, variant: Variant):
        self.variant = variant

    def __repr__(self) -> str:
        return f"<VariantPlugin {self.variant.name}>"

    @hookimpl
    def yishi_manifest(self):
        return self.variant

    @hookimpl
    def yishi_routes(self):
        return list(self.variant.routes)

    @hookimpl
    def yishi_cli_commands(self):
        return list(self.variant.cli_commands)

    @hookimpl
    def yishi_scheduled_jobs(self):
        return list(self.variant.scheduled_jobs)

    @hookimpl
    def yishi_procedures(self):
        return list(self.variant.procedures)

    @hookimpl
    def yishi_procedure_for_region(self, region_code, settings):
        return self.variant.default_procedure

    @hookimpl
    def yishi_catalogue(self, region_code):
        return list(self.variant.catalogue)

    @hookimpl
    def yishi_meeting_kinds(self, region_code):
        return list(self.variant.meeting_kinds) or None

    @hookimpl
    def yishi_council_composition_rules(self, council, roster):
        arguments = {"council": council, "roster": roster}
        return [violation for rule in self.variant.composition_rules
                for violation in (_call(rule, arguments) or ())]

    @hookimpl
    def yishi_escalation_target(self, topic_region_code, affected_region_codes, category):
        if self.variant.escalation_target is None:
            return None
        return _call(self.variant.escalation_target, {"topic_region_code": topic_region_code,
                                                      "affected_region_codes": affected_region_codes,
                                                      "category": category})

    @hookimpl
    def yishi_compliance_checks(self, session, context, region_code, level, on_date):
        checks = [standard.check for standard in self.variant.compliance if level in standard.levels]
        if not checks:
            return None
        return _flattened(checks, {"session": session, "context": context, "region_code": region_code,
                                   "level": level, "on_date": on_date})

    @hookimpl
    def yishi_topic_view_sections(self, session, context, topic, principal):
        if not self.variant.view_sections:
            return None
        return _sections(self.variant.view_sections,
                         {"session": session, "context": context, "topic": topic, "principal": principal})

    def _react(self, reactions: tuple[ActionReaction, ...], arguments: dict[str, Any]):
        matching = [r.run for r in reactions if r.applies_to(arguments["topic"], arguments["action"])]
        return _in_turn(matching, arguments) if matching else None

    @hookimpl
    def yishi_topic_action_taken(self, session, context, topic, action, payload, event, principal):
        return self._react(self.variant.on_action_taken, {
            "session": session, "context": context, "topic": topic, "action": action, "payload": payload,
            "event": event, "principal": principal})

    @hookimpl
    def yishi_topic_action_recorded(self, session, context, topic, action, payload, event, principal):
        return self._react(self.variant.on_action_recorded, {
            "session": session, "context": context, "topic": topic, "action": action, "payload": payload,
            "event": event, "principal": principal})

    @hookimpl
    def yishi_demo_seeded(self, session, context, city_code, council_regions, seed):
        if self.variant.demo_seed is None:
            return None
        return _call(self.variant.demo_seed, {"session": session, "context": context, "city_code": city_code,
                                              "council_regions": council_regions, "seed": seed})


def variant_plugin(variant: Variant) -> VariantPlugin:
    """The plugin an entry point of the ``yishi.plugins`` group names for ``variant``."""
    if not isinstance(variant, Variant):
        raise TypeError(f"{variant!r} is not a core.plugins.Variant")
    return VariantPlugin(variant)


def entry_point_plugins() -> list[tuple[str, object]]:
    return [(ep.name, ep.load()) for ep in entry_points(group=ENTRY_POINT_GROUP)]


def import_plugin_models() -> None:
    """Import every installed plugin so the tables it declares join the metadata."""
    entry_point_plugins()


def plugin_migration_folders() -> list[Path]:
    """The alembic branch folders of the installed variants (``Variant.migrations``), by plugin name.

    Every installed plugin's tables are made, whichever regions enable it,
    as every installed plugin's models join the one metadata.
    """
    folders = []
    for _name, plugin in sorted(entry_point_plugins(), key=lambda found: found[0]):
        impl = getattr(plugin, "yishi_manifest", None)
        manifest = impl() if impl is not None else None
        if isinstance(manifest, Variant) and manifest.migrations is not None:
            folders.append(manifest.migrations)
    return folders


class PluginHost:
    """The plugin manager plus the per-region view of it."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self._manifests: dict[str, PluginManifest] | None = None

    @property
    def hook(self):
        return self.pm.hook

    def manifests(self) -> dict[str, PluginManifest]:
        if self._manifests is None:
            found: dict[str, PluginManifest] = {}
            for plugin in self.pm.get_plugins():
                impl = getattr(plugin, "yishi_manifest", None)
                if impl is None:
                    continue
                manifest = impl()
                if manifest.name in found:
                    raise ValueError(f"two plugins are named {manifest.name!r}")
                found[manifest.name] = manifest
            self._manifests = found
        return self._manifests

    def plugin_named(self, name: str) -> object | None:
        for plugin in self.pm.get_plugins():
            impl = getattr(plugin, "yishi_manifest", None)
            if impl is not None and impl().name == name:
                return plugin
        return None

    def hooks_for(self, enabled: Iterable[str]) -> "RegionHooks":
        """Hook callers that consult only the built-ins and the ``enabled`` plugins."""
        return RegionHooks(self, frozenset(enabled))

    def setting_spec(self, key: str) -> SettingSpec | None:
        plugin, _, name = key.partition(".")
        manifest = self.manifests().get(plugin)
        return manifest.settings.get(name) if manifest else None


class RegionHooks:
    def __init__(self, host: PluginHost, enabled: frozenset[str]):
        self._host = host
        manifests = host.manifests()
        self._excluded = [
            host.plugin_named(name)
            for name, manifest in manifests.items()
            if not manifest.builtin and name not in enabled
        ]

    def __getattr__(self, hook_name: str):
        if not hook_name.startswith("yishi_"):
            raise AttributeError(hook_name)
        return self._host.pm.subset_hook_caller(hook_name, remove_plugins=self._excluded)
