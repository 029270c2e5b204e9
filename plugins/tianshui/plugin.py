"""Plugin ``tianshui``: 天水市 (Tianshui). Being built; see README.md."""
from __future__ import annotations

from core.plugins import PluginManifest, hookimpl

MANIFEST = PluginManifest(name="tianshui", title_zh="天水市", title_en="Tianshui")


@hookimpl
def yishi_manifest():
    return MANIFEST
