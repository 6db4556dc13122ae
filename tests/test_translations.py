"""The gettext catalogues: complete, compiled from the current .po, and what residents see.

There is the project catalogue in ``locale/`` and one per app that keeps its own
(``payments/locale/``, ``messaging/locale/`` …: ``makemessages`` puts an app's strings there
once the folder exists). Every one of them is checked the same way.

The .mo files are committed, so a machine without GNU gettext still serves Polish. These tests
fail when a .po was edited (or refreshed by ``makemessages``) without ``compilemessages``, and
when the Polish catalogue has an untranslated or fuzzy entry.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

POLISH_PLURAL_FORMS = (
    "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<12 || n%100>14) ? 1 : 2);"
)
LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]
PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]")


# --- A small .po reader (stdlib only) -------------------------------------------------------


@dataclass
class Entry:
    line: int
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    @property
    def is_translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr.values())

    def mo_items(self) -> dict[object, str]:
        """The keys and values this entry has in ``GNUTranslations._catalog``."""
        msgid = self.msgid if self.msgctxt is None else f"{self.msgctxt}\x04{self.msgid}"
        if self.msgid_plural is None:
            return {msgid: self.msgstr[0]}
        return {(msgid, n): text for n, text in self.msgstr.items()}

    def __str__(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$')


def read_po(path: Path) -> tuple[dict[str, str], list[Entry]]:
    """The header fields and the (non-obsolete) entries of a .po file."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # which string a continuation line extends

    def finish() -> None:
        nonlocal entry, target
        if entry is not None:
            entries.append(entry)
        entry, target = None, None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):  # obsolete entry
            continue
        if line.startswith("#"):
            if entry is not None and target is not None:
                finish()  # a comment after the strings starts the next entry
            if line.startswith("#,"):
                entry = entry or Entry(line=number)
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, text = match.groups()
            if keyword in ("msgctxt", "msgid") and target is not None and target[0] == "msgstr":
                finish()
            entry = entry or Entry(line=number)
            value = ast.literal_eval(text)
            if keyword.startswith("msgstr"):
                n = int(index) if index is not None else 0
                entry.msgstr[n] = value
                target = ("msgstr", n)
            else:
                setattr(entry, keyword, value)
                target = (keyword, 0)
            continue
        assert line.startswith('"') and entry is not None and target is not None, (
            f"{path}:{number}: cannot parse {raw!r}"
        )
        value = ast.literal_eval(line)
        if target[0] == "msgstr":
            entry.msgstr[target[1]] += value
        else:
            setattr(entry, target[0], getattr(entry, target[0]) + value)
    finish()

    header_entries = [e for e in entries if e.is_header]
    assert len(header_entries) == 1, f"{path}: expected one header entry"
    header = header_entries[0]
    assert "fuzzy" not in header.flags, f"{path}: the header is marked fuzzy"
    rows = (row.partition(":") for row in header.msgstr[0].splitlines() if row.strip())
    fields = {name.strip(): value.strip() for name, _, value in rows}
    return fields, [e for e in entries if not e.is_header]


def _catalogue_dirs() -> list[Path]:
    from django.apps import apps

    base = Path(settings.BASE_DIR)
    dirs = [Path(settings.LOCALE_PATHS[0])]
    for app in apps.get_app_configs():
        locale = Path(app.path) / "locale"
        if Path(app.path).is_relative_to(base) and ".venv" not in app.path and locale.is_dir():
            dirs.append(locale)
    return dirs


CATALOGUES = [
    pytest.param(locale, language, id=f"{locale.parent.name}-{language}")
    for locale in _catalogue_dirs()
    for language in LANGUAGE_CODES
]
POLISH_CATALOGUES = [pytest.param(locale, id=locale.parent.name) for locale in _catalogue_dirs()]


def po_path(locale: Path, language: str) -> Path:
    return locale / language / "LC_MESSAGES" / "django.po"


# --- The catalogues as files ----------------------------------------------------------------


@pytest.mark.parametrize(("locale", "language"), CATALOGUES)
def test_every_language_has_a_catalogue_with_a_correct_header(locale, language):
    fields, entries = read_po(po_path(locale, language))
    assert po_path(locale, language).with_suffix(".mo").is_file(), "run compilemessages"
    assert entries, "run makemessages"
    assert fields["Language"] == language
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    if language == "pl":
        assert fields["Plural-Forms"] == POLISH_PLURAL_FORMS
    else:
        assert fields["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


@pytest.mark.parametrize("locale", POLISH_CATALOGUES)
def test_polish_catalogue_is_complete_and_has_no_fuzzy_entries(locale):
    _fields, entries = read_po(po_path(locale, "pl"))
    fuzzy = [str(e) for e in entries if "fuzzy" in e.flags]
    untranslated = [str(e) for e in entries if not e.is_translated]
    assert not fuzzy, "review these translations and remove the fuzzy flag"
    assert not untranslated, "translate these messages"
    wrong_forms = [str(e) for e in entries if e.msgid_plural and sorted(e.msgstr) != [0, 1, 2]]
    assert not wrong_forms, "Polish plural entries need msgstr[0], msgstr[1] and msgstr[2]"


@pytest.mark.parametrize(("locale", "language"), CATALOGUES)
def test_translations_keep_the_placeholders(locale, language):
    _fields, entries = read_po(po_path(locale, language))
    broken = []
    for entry in entries:
        # Every form keeps the placeholders, "1 wynik" included: "%(counter)s wynik".
        expected = set(PLACEHOLDER.findall(entry.msgid + (entry.msgid_plural or "")))
        for n, text in entry.msgstr.items():
            if text and set(PLACEHOLDER.findall(text)) != expected:
                broken.append(f"{entry} msgstr[{n}]={text!r}")
    assert not broken


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
@pytest.mark.parametrize(("locale", "language"), CATALOGUES)
def test_gnu_msgfmt_accepts_the_catalogue(locale, language):
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [shutil.which("msgfmt"), "--check", "-o", os.devnull, str(po_path(locale, language))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("locale", "language"), CATALOGUES)
def test_committed_mo_is_compiled_from_the_current_po(locale, language):
    fields, entries = read_po(po_path(locale, language))
    expected: dict[object, str] = {}
    for entry in entries:
        if entry.is_translated and "fuzzy" not in entry.flags:
            expected.update(entry.mo_items())

    with po_path(locale, language).with_suffix(".mo").open("rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    catalog = dict(compiled._catalog)  # the only way to list a .mo's messages
    catalog.pop("", None)  # the header

    hint = "the .mo is stale: run `manage.py compilemessages --ignore=.venv` and commit it"
    assert sorted(map(repr, catalog)) == sorted(map(repr, expected)), hint
    changed = [key for key, text in expected.items() if catalog[key] != text]
    assert not changed, f"{hint}; changed: {changed}"
    assert compiled.info()["plural-forms"] == fields["Plural-Forms"], hint


# --- What the site shows --------------------------------------------------------------------


def test_polish_by_default_and_english_as_the_second_language():
    assert settings.LANGUAGE_CODE == "pl"
    with translation.override("pl"):
        assert translation.gettext("Skip to main content") == "Przejdź do treści głównej"
        assert translation.gettext("Accessibility statement") == "Deklaracja dostępności"
        assert translation.gettext("Search the portal") == "Szukaj w serwisie"
    with translation.override("en"):
        assert translation.gettext("Skip to main content") == "Skip to main content"
        assert translation.gettext("Accessibility statement") == "Accessibility statement"
        assert translation.gettext("Search the portal") == "Search the portal"


@pytest.mark.parametrize(
    ("count", "polish", "english"),
    [
        (0, "0 wyników", "0 results"),
        (1, "1 wynik", "1 result"),
        (2, "2 wyniki", "2 results"),
        (4, "4 wyniki", "4 results"),
        (5, "5 wyników", "5 results"),
        (12, "12 wyników", "12 results"),
        (14, "14 wyników", "14 results"),
        (21, "21 wyników", "21 results"),
        (22, "22 wyniki", "22 results"),
        (104, "104 wyniki", "104 results"),
        (112, "112 wyników", "112 results"),
    ],
)
def test_result_count_uses_the_right_plural_form(count, polish, english):
    def results(n: int) -> str:
        return translation.ngettext("%(counter)s result", "%(counter)s results", n) % {"counter": n}

    with translation.override("pl"):
        assert results(count) == polish
    with translation.override("en"):
        assert results(count) == english


def test_accessibility_status_labels_are_the_statutory_polish_words():
    """In Polish the label reads "Strona internetowa jest częściowo zgodna z ustawą …"."""
    from home.models import AccessibilityStatementPage

    with translation.override("pl"):
        for status in AccessibilityStatementPage.Status:
            assert str(status.label) == status.value
    with translation.override("en"):
        assert str(AccessibilityStatementPage.Status.PARTIAL.label) == "partially compliant"
