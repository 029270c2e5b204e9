"""Plugin ``lianyungang``: 连云港市 (Lianyungang). Being built; see README.md."""
from __future__ import annotations

from core.plugins import PluginManifest, hookimpl

MANIFEST = PluginManifest(name="lianyungang", title_zh="连云港市", title_en="Lianyungang")


@hookimpl
def yishi_manifest():
    return MANIFEST
