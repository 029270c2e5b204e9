"""Plugins: discovery, per-region enabling, routes and CLI commands.

Each test builds its own plugin manager with throwaway plugins; nothing is
registered globally.
"""
from __future__ import annotations

from importlib.metadata import EntryPoint

import click
import pytest
from click.testing import CliRunner
from litestar import get
from litestar.testing import AsyncTestClient

import core.plugins
from core.app import create_app
from core.cli import main, plugin_command_group
from core.jobs import ScheduledJob
from core.plugins import ENTRY_POINT_GROUP, PluginManifest, hookimpl
from core.builtin import make_plugin_manager


@get("/hello", opt={"public": True}, sync_to_thread=False)
def hello() -> dict:
    return {"from": "alpha"}


@click.command("greet")
@click.argument("who", default="议事")
def greet(who: str) -> None:
    click.echo(f"alpha greets {who}")


class Alpha:
    @hookimpl
    def yishi_manifest(self):
        return PluginManifest(name="alpha", title_zh="甲插件", title_en="Alpha")

    @hookimpl
    def yishi_routes(self):
        return [hello]

    @hookimpl
    def yishi_cli_commands(self):
        return [greet]

    @hookimpl
    def yishi_scheduled_jobs(self):
        return [ScheduledJob(name="alpha.nightly", cron="0 18 * * *", job="core.purge_expired_tokens")]


class Beta:
    @hookimpl
    def yishi_manifest(self):
        return PluginManifest(name="beta", title_zh="乙插件", title_en="Beta")

    @hookimpl
    def yishi_scheduled_jobs(self):
        return [ScheduledJob(name="beta.nightly", cron="0 18 * * *", job="core.purge_expired_tokens")]


# What an installed distribution's entry point resolves to: an object with hookimpls.
ENTRY_POINT_PLUGIN = Beta()


def scheduled_names(hooks) -> set[str]:
    return {job.name for answer in hooks.yishi_scheduled_jobs() for job in answer}


def builtin_names() -> set[str]:
    host = make_plugin_manager(load_entry_points=False)
    names = {name for name, manifest in host.manifests().items() if manifest.builtin}
    assert "core" in names
    return names


def test_entry_point_plugins_are_discovered_and_registered(monkeypatch):
    asked: list[str] = []

    def fake_entry_points(*, group):
        asked.append(group)
        return [EntryPoint(name="beta", value="tests.test_plugins:ENTRY_POINT_PLUGIN", group=group)]

    monkeypatch.setattr(core.plugins, "entry_points", fake_entry_points)
    host = make_plugin_manager()
    assert asked == [ENTRY_POINT_GROUP]
    assert host.pm.get_plugin("beta") is ENTRY_POINT_PLUGIN
    assert set(host.manifests()) == builtin_names() | {"beta"}
    assert make_plugin_manager(load_entry_points=False).pm.get_plugin("beta") is None


def test_extra_plugins_join_the_builtins():
    host = make_plugin_manager(load_entry_points=False, extra_plugins=[Alpha()])
    assert set(host.manifests()) == builtin_names() | {"alpha"}
    assert host.manifests()["core"].builtin and not host.manifests()["alpha"].builtin
    assert "alpha.nightly" in scheduled_names(host.hook)


def test_region_hooks_consult_only_builtins_and_enabled_plugins():
    host = make_plugin_manager(load_entry_points=False, extra_plugins=[Alpha(), Beta()])
    everything = scheduled_names(host.hook)
    assert {"alpha.nightly", "beta.nightly", "core.purge_expired_tokens"} <= everything

    only_alpha = scheduled_names(host.hooks_for({"alpha"}))
    # Built-ins (including housekeeping, which has no manifest) always answer.
    assert "core.purge_expired_tokens" in only_alpha
    assert "alpha.nightly" in only_alpha and "beta.nightly" not in only_alpha

    assert scheduled_names(host.hooks_for(set())) & {"alpha.nightly", "beta.nightly"} == set()
    # An unknown name enables nothing rather than failing.
    assert "beta.nightly" not in scheduled_names(host.hooks_for({"gamma"}))


@pytest.fixture
def plugin_host():
    return make_plugin_manager(load_entry_points=False, extra_plugins=[Alpha(), Beta()])


async def test_plugin_routes_are_mounted_under_their_plugin_name(runtime):
    runtime.extras["jobs_options"] = {"worker_timeout_ms": 50}
    async with AsyncTestClient(app=create_app(runtime)) as client:
        mounted = await client.get("/api/v1/plugins/alpha/hello")
        assert mounted.status_code == 200 and mounted.json() == {"from": "alpha"}
        assert (await client.get("/hello")).status_code == 404
        assert (await client.get("/api/v1/plugins/beta/hello")).status_code == 404


def test_plugin_commands_appear_under_yishi_plugin_name():
    group = plugin_command_group(make_plugin_manager(load_entry_points=False, extra_plugins=[Alpha(), Beta()]))
    # Only plugins that contribute commands get a subgroup.
    assert set(group.commands) == {"alpha"}
    result = CliRunner().invoke(group, ["alpha", "greet", "青石社区"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "alpha greets 青石社区"

    # The real CLI has the same group, next to (never replacing) core commands.
    assert isinstance(main.commands["plugin"], click.Group)
    assert {"worker", "scheduler", "serve"} <= set(main.commands)


# -- variants: one manifest per plugin, one adapter ------------------------------------

def test_each_regional_plugin_is_the_variant_its_manifest_declares():
    from importlib.metadata import entry_points
    from pathlib import Path

    import plugins
    from core.plugins import Variant, VariantPlugin

    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    assert {"tianshui", "ningbo", "jinchang", "lianyungang"} <= set(found)
    root = Path(plugins.__file__).parent
    for name, ep in found.items():
        assert ep.value == f"plugins.{name}.manifest:PLUGIN", ep.value
        plugin = ep.load()
        assert isinstance(plugin, VariantPlugin)
        variant = plugin.yishi_manifest()
        assert isinstance(variant, Variant) and variant.name == name
        # The declaration is the whole plugin: no hand-written hook module beside it.
        assert not (root / name / "plugin.py").exists()
        # Tables and the branch that makes them come together, inside the package.
        assert (variant.models is None) == (variant.migrations is None), name
        if variant.migrations is not None:
            assert variant.migrations.parent == root / name and any(variant.migrations.glob("*.py"))


def _topic(procedure_key="gamma"):
    from types import SimpleNamespace

    return SimpleNamespace(id=1, procedure_key=procedure_key, region_code="330203001001")


def _action(key, kind=None):
    from types import SimpleNamespace

    return SimpleNamespace(key=key, kind=kind)


def gamma_variant(**declared):
    from core.plugins import Variant

    return Variant(name="gamma", title_zh="丙插件", title_en="Gamma", **declared)


async def test_a_variants_reactions_run_in_order_for_the_actions_they_name():
    from core.asyncutil import await_me_maybe
    from core.plugins import ActionReaction, variant_plugin

    calls: list = []

    async def before(topic, payload):
        calls.append(("before", topic.id, payload["n"]))

    def after(action, event):
        calls.append(("after", action.key, event))

    def only_gamma(context):
        calls.append(("gamma only", context))

    variant = gamma_variant(on_action_taken=(ActionReaction(before, kinds=("screen_admit",)),),
                            on_action_recorded=(ActionReaction(after, keys=("close", "publish")),
                                                ActionReaction(only_gamma, keys=("close",), procedure="gamma")))
    plugin = variant_plugin(variant)

    async def act(action, topic):
        arguments = dict(session=None, context="ctx", topic=topic, action=action, payload={"n": 7}, event="ev",
                         principal=None)
        await await_me_maybe(plugin.yishi_topic_action_taken(**arguments))
        await await_me_maybe(plugin.yishi_topic_action_recorded(**arguments))

    await act(_action("admit", "screen_admit"), _topic())
    await act(_action("close"), _topic())
    await act(_action("close"), _topic("generic"))
    await act(_action("reject", "screen_reject"), _topic())
    assert calls == [("before", 1, 7), ("after", "close", "ev"), ("gamma only", "ctx"), ("after", "close", "ev")]

    # Registered like any plugin, and consulted only where it is enabled.
    host = make_plugin_manager(load_entry_points=False, extra_plugins=[plugin])
    assert host.manifests()["gamma"] is variant
    assert host.plugin_named("gamma") is plugin
    assert plugin not in [impl.plugin for impl in host.hooks_for(set()).yishi_topic_action_recorded.get_hookimpls()]
    assert plugin in [impl.plugin for impl in host.hooks_for({"gamma"}).yishi_topic_action_recorded.get_hookimpls()]


async def test_a_variant_answers_the_hooks_it_declares_and_no_others():
    from core.asyncutil import await_me_maybe
    from core.catalogue import ADMISSIBLE, CatalogueItem
    from core.plugins import ComplianceStandard, variant_plugin
    from core.procedures.generic import GENERIC

    async def standard(region_code, level):
        return [f"{level} {region_code}"]

    variant = gamma_variant(
        procedures=(GENERIC,), default_procedure=None,
        catalogue=[CatalogueItem("gamma.yi.1", ADMISSIBLE, 1, "丙")],
        compliance=(ComplianceStandard("gamma.standard", ("community",), standard),),
        view_sections={"gamma": lambda topic: {"id": topic.id}, "gamma_none": lambda: None},
        escalation_target=lambda topic_region_code: topic_region_code[:4])
    plugin = variant_plugin(variant)
    assert plugin.yishi_procedures() == [GENERIC]
    assert plugin.yishi_catalogue(region_code="3302")[0].code == "gamma.yi.1"
    assert plugin.yishi_procedure_for_region(region_code="3302", settings={}) is None
    assert plugin.yishi_routes() == [] and plugin.yishi_scheduled_jobs() == []
    assert plugin.yishi_meeting_kinds(region_code="3302") is None
    assert plugin.yishi_escalation_target(topic_region_code="330203001", affected_region_codes=(),
                                          category=None) == "3302"
    checked = await await_me_maybe(plugin.yishi_compliance_checks(
        session=None, context=None, region_code="330203001001", level="community", on_date=None))
    assert checked == ["community 330203001001"]
    assert plugin.yishi_compliance_checks(session=None, context=None, region_code="330203", level="district",
                                          on_date=None) is None
    sections = await await_me_maybe(plugin.yishi_topic_view_sections(session=None, context=None, topic=_topic(),
                                                                      principal=None))
    assert sections == {"gamma": {"id": 1}}
    # Nothing declared for a hook: nothing answered (a firstresult hook passes it over).
    assert plugin.yishi_demo_seeded(session=None, context=None, city_code="3302", council_regions=[], seed=1) is None
    assert plugin.yishi_topic_action_taken(session=None, context=None, topic=_topic(), action=_action("close"),
                                           payload={}, event=None, principal=None) is None


def _foreign_items():
    from core.catalogue import ADMISSIBLE, CatalogueItem

    return {"catalogue": [CatalogueItem("generic.yi.1", ADMISSIBLE, 1, "别人的")]}


def _unknown_level():
    from core.plugins import ComplianceStandard

    return {"compliance": (ComplianceStandard("gamma.x", ("province",), lambda: None),)}


@pytest.mark.parametrize("declared, problem", [
    (lambda: {"default_procedure": "gamma"}, "default procedure 'gamma' is none of its procedures"),
    (_foreign_items, "catalogue item 'generic.yi.1' must start with 'gamma.'"),
    (_unknown_level, "levels ('province',) must be some of"),
    (lambda: {"view_sections": {"gamma": lambda topic, request: None}}, "argument 'request' is none of"),
    (lambda: {"demo_seed": lambda *regions: None}, "must be a keyword-capable argument"),
    (lambda: {"migrations": "/nowhere/at/all"}, "migrations folder /nowhere/at/all does not exist"),
])
def test_a_malformed_variant_is_refused_when_it_is_declared(declared, problem):
    from core.plugins import VariantError

    with pytest.raises(VariantError, match="variant 'gamma'") as refused:
        gamma_variant(**declared())
    assert any(problem in p for p in refused.value.problems), refused.value.problems
