"""Texts quoted from the seed documents, marked where the code writes them.

The regional variants carry the seeds' own words (catalogues, step names,
standards). ``quote("002", "…")`` returns the text unchanged and records it
with the seed it comes from; ``platform_default("…")`` records a text that no
seed gives (our own wording, shown as such in the plugin READMEs).
``tests/test_seed_quotes.py`` reads every recorded quote against the seed
files (``../shared/seeds/<number>_*.txt``) and fails on any that is not an
exact substring, so a retyped or "tidied" quote cannot ship.

Seeds: 000 Tianshui 三段六步, 001 Ningbo 五个有, 002 Jinchang 六步 and 六有,
003 Lianyungang 协商民主之家, 004 a county's community practice.
"""
from __future__ import annotations

from dataclasses import dataclass

SEEDS = ("000", "001", "002", "003", "004")


@dataclass(frozen=True)
class Quote:
    seed: str
    text: str
    # Where the code quotes it (module name), for the test's message.
    where: str


QUOTES: list[Quote] = []
PLATFORM_DEFAULTS: set[str] = set()


def _caller() -> str:
    import sys

    return sys._getframe(2).f_globals.get("__name__", "?")


def quote(seed: str, text: str) -> str:
    """``text``, recorded as quoted word for word from seed ``seed``."""
    if seed not in SEEDS:
        raise ValueError(f"unknown seed {seed!r}")
    QUOTES.append(Quote(seed, text, _caller()))
    return text


def platform_default(text: str) -> str:
    """``text``, recorded as the platform's own wording where no seed gives one."""
    PLATFORM_DEFAULTS.add(text)
    return text


def is_marked(text: str) -> bool:
    return text in PLATFORM_DEFAULTS or any(q.text == text for q in QUOTES)
