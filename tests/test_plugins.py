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
from core.plugins import ENTRY_POINT_GROUP, PluginManifest, hookimpl, make_plugin_manager


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
