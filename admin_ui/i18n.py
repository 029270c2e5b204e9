"""The pages' languages: gettext catalogues (Babel's .po files) read once, chosen per request.

zh-CN is the default; English is chosen by the language switch, which a cookie remembers.
Interface text is written in English in the templates and code (``_("Topic board")``) and
translated by the catalogue of each language; data that carries both languages already
(``title_zh`` / ``title_en``, ``reason_zh`` / ``reason_en``) is picked by :func:`bilingual`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGE_COOKIE = "yishi_lang"
# What the switch offers, the default first: (cookie value, catalogue folder, html lang).
LANGUAGES = {"zh-CN": ("zh_CN", "zh-CN"), "en": ("en", "en")}
DEFAULT_LANGUAGE = "zh-CN"


@cache
def catalogue(folder: str) -> Mapping[str, str]:
    """msgid → msgstr of every .po file of one language (untranslated entries left out)."""
    messages: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / folder / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as fp:
            for message in read_po(fp):
                if message.id and isinstance(message.id, str) and message.string:
                    messages[message.id] = message.string
    return messages


@dataclass(frozen=True)
class Language:
    code: str  # the cookie's value: "zh-CN" or "en"

    @property
    def english(self) -> bool:
        return self.code == "en"

    @property
    def html_lang(self) -> str:
        return LANGUAGES[self.code][1]

    def gettext(self, msgid: str, **values: Any) -> str:
        text = catalogue(LANGUAGES[self.code][0]).get(msgid, msgid)
        return text % values if values else text

    def knows(self, msgid: str) -> bool:
        return msgid in catalogue(LANGUAGES[self.code][0])

    def bilingual(self, obj: Any, name: str) -> str:
        """``obj[name_zh]`` or ``obj[name_en]`` (a mapping or an object), the other one if it is empty."""
        def read(suffix: str) -> Any:
            key = f"{name}_{suffix}"
            return obj.get(key) if isinstance(obj, Mapping) else getattr(obj, key, None)

        first, second = ("en", "zh") if self.english else ("zh", "en")
        return read(first) or read(second) or ""


def language_of(cookies: Mapping[str, str]) -> Language:
    chosen = cookies.get(LANGUAGE_COOKIE, DEFAULT_LANGUAGE)
    return Language(chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE)


def N_(msgid: str) -> str:
    """Marks a message in Python code for the catalogues; it is translated where it is shown."""
    return msgid
