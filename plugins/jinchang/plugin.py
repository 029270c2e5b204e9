"""Plugin ``jinchang``: 金昌市 (Jinchang). Being built; see README.md."""
from __future__ import annotations

from core.plugins import PluginManifest, hookimpl

MANIFEST = PluginManifest(name="jinchang", title_zh="金昌市", title_en="Jinchang")


@hookimpl
def yishi_manifest():
    return MANIFEST
