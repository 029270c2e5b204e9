"""Every text the code says it quotes from a seed is in that seed, word for word
(punctuation included), and every catalogue item of every plugin is either such a
quote or marked as the platform's own wording (core/seeds.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from core import seeds
from core.builtin import make_plugin_manager

SEEDS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"
# Any community code: the catalogue hooks answer the same for every region.
SOME_COMMUNITY = "330203001001"


def seed_text(number: str) -> str:
    found = sorted(SEEDS_DIR.glob(f"{number}_*.txt"))
    assert found, f"seed {number} not found in {SEEDS_DIR} (../shared beside the checkout)"
    return found[0].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def host():
    # Building the host imports every plugin, which records its quotes.
    return make_plugin_manager()


def test_every_quote_is_in_its_seed_word_for_word(host):
    assert seeds.QUOTES, "no quote recorded: the plugins did not load"
    # Every variant quotes its seed, and 004 has a plugin of its own.
    assert {q.seed for q in seeds.QUOTES} == set(seeds.SEEDS)
    assert any(q.where.startswith("plugins.four_visits_six_steps") for q in seeds.QUOTES)
    texts = {number: seed_text(number) for number in seeds.SEEDS}
    wrong = [f"{q.where}: seed {q.seed} does not contain “{q.text}”" for q in seeds.QUOTES
             if q.text not in texts[q.seed]]
    assert not wrong, "\n".join(wrong)


def test_every_catalogue_item_is_a_quote_or_marked_as_our_own(host):
    items = [item for answer in host.hook.yishi_catalogue(region_code=SOME_COMMUNITY) for item in (answer or ())]
    plugins = {item.code.split(".")[0] for item in items}
    assert {"generic", "tianshui", "jinchang", "ningbo", "four_visits_six_steps"} <= plugins, plugins
    unmarked = [f"{item.code}: “{item.text_zh}”" for item in items if not seeds.is_marked(item.text_zh)]
    assert not unmarked, "\n".join(unmarked)
