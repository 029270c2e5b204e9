"""Plugin ``ningbo``: 宁波市 (Ningbo). Being built; see README.md."""
from __future__ import annotations

from core.plugins import PluginManifest, hookimpl

MANIFEST = PluginManifest(name="ningbo", title_zh="宁波市", title_en="Ningbo")


@hookimpl
def yishi_manifest():
    return MANIFEST
