"""notifications pages (being written)."""
from __future__ import annotations

PAGES: list = []
