"""The pages' interface text: one gettext catalogue per language, and nothing left out of either.

Every message the templates and the page code mark (``_("...")``, ``N_("...")``) must be in both
catalogues with a translation, the Chinese one in Chinese: otherwise a page would show English in
the Chinese view (or a msgid in the English one). The pages themselves are rendered in both
languages by the browser tests (tests/test_browser_journeys.py), which look for untranslated words.
"""
from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

UI = Path(__file__).resolve().parent.parent / "admin_ui"
LANGUAGES = ("zh_CN", "en")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def marked_messages() -> dict[str, str]:
    """msgid → where it is first marked."""
    found: dict[str, str] = {}
    method_map = [("templates/**.html", "jinja2"), ("pages/**.py", "python"), ("*.py", "python")]
    for filename, lineno, message, _comments, _context in extract_from_dir(str(UI), method_map):
        msgid = message if isinstance(message, str) else message[0]
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def catalogue_files(language: str) -> list[Path]:
    return sorted((UI / "locale" / language / "LC_MESSAGES").glob("*.po"))


def read_catalogue(language: str) -> dict[str, str]:
    (path,) = catalogue_files(language)
    with path.open("rb") as fp:
        return {m.id: m.string for m in read_po(fp) if m.id}


def test_each_language_has_exactly_one_catalogue():
    for language in LANGUAGES:
        files = catalogue_files(language)
        assert [f.name for f in files] == ["messages.po"], files


def test_every_marked_message_is_translated_in_both_catalogues():
    marked = marked_messages()
    assert len(marked) > 50, "the extraction found too few messages: is the template folder right?"
    for language in LANGUAGES:
        catalogue = read_catalogue(language)
        missing = {msgid: where for msgid, where in marked.items() if not catalogue.get(msgid)}
        assert not missing, f"{language}: untranslated: {missing}"


def test_the_chinese_catalogue_is_chinese_and_keeps_the_placeholders():
    for msgid, text in read_catalogue("zh_CN").items():
        bare = _PLACEHOLDER.sub("", text)
        if re.search(r"[A-Za-z]{2,}", _PLACEHOLDER.sub("", msgid)):
            assert _CJK.search(bare), f"not translated into Chinese: {msgid!r} -> {text!r}"
        assert sorted(_PLACEHOLDER.findall(text)) == sorted(_PLACEHOLDER.findall(msgid)), (msgid, text)


def test_the_english_catalogue_has_no_chinese_and_keeps_the_placeholders():
    for msgid, text in read_catalogue("en").items():
        assert not _CJK.search(_PLACEHOLDER.sub("", text)) or _CJK.search(msgid), (msgid, text)
        assert sorted(_PLACEHOLDER.findall(text)) == sorted(_PLACEHOLDER.findall(msgid)), (msgid, text)


def test_no_catalogue_entry_is_left_over():
    """An entry no page marks any more is dead text a translator would keep maintaining."""
    marked = marked_messages()
    for language in LANGUAGES:
        unused = sorted(set(read_catalogue(language)) - set(marked))
        assert not unused, f"{language}: entries no page uses: {unused}"
