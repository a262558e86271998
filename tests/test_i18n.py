"""`zorgveilig check_translations`, tried on a small throw-away project so the real catalogue may be unfinished."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from zorgveilig.management.commands.check_translations import find_problems, placeholders

TEMPLATE = """{% load i18n %}
<h1>{% translate "Report an incident" %}</h1>
<p>{% blocktranslate trimmed with name=user.name %}
  Welcome, {{ name }}.
{% endblocktranslate %}</p>
"""

VIEWS = """from django.utils.translation import gettext as _, ngettext


def message(count):
    return ngettext("%(count)d report", "%(count)d reports", count) % {"count": count}


def saved(name):
    return _("Saved by %(name)s.") % {"name": name}
"""

TESTS = """from django.utils.translation import gettext as _

_("Only used in a test")
"""

DUTCH = {
    "Report an incident": "Meld een incident",
    "Welcome, %(name)s.": "Welkom, %(name)s.",
    "Saved by %(name)s.": "Opgeslagen door %(name)s.",
}
DUTCH_PLURAL = ("%(count)d report", "%(count)d reports", {0: "%(count)d melding", 1: "%(count)d meldingen"})


def _write_catalogue(root: Path, entries: list[polib.POEntry]) -> Path:
    catalogue = polib.POFile()
    catalogue.metadata = {
        "Project-Id-Version": "test",
        "Language": "nl",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
    }
    for entry in entries:
        catalogue.append(entry)
    path = root / "locale" / "nl" / "LC_MESSAGES" / "django.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    catalogue.save(str(path))
    return path


def _complete_entries() -> list[polib.POEntry]:
    entries = [
        polib.POEntry(msgid=msgid, msgstr=msgstr, flags=["python-format"] if "%(" in msgid else [])
        for msgid, msgstr in DUTCH.items()
    ]
    singular, plural, forms = DUTCH_PLURAL
    entries.append(
        polib.POEntry(msgid=singular, msgid_plural=plural, msgstr_plural=dict(forms), flags=["python-format"])
    )
    return entries


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app" / "templates").mkdir(parents=True)
    (tmp_path / "app" / "templates" / "page.html").write_text(TEMPLATE, encoding="utf-8")
    (tmp_path / "app" / "views.py").write_text(VIEWS, encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text(TESTS, encoding="utf-8")
    (tmp_path / "node_modules" / "lib").mkdir(parents=True)
    (tmp_path / "node_modules" / "lib" / "index.html").write_text(
        '{% load i18n %}{% translate "Vendored" %}', encoding="utf-8"
    )
    return tmp_path


def _tree(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_placeholders_are_told_apart() -> None:
    found = placeholders("%(name)s has %(count)d reports, %s and 100%% done")
    assert found.named == {"name", "count"}
    assert found.positional == 1
    assert found.mixed
    assert not found.lone_percent
    assert placeholders("done: 100%.").lone_percent


def test_complete_catalogue_has_no_problems(project: Path) -> None:
    _write_catalogue(project, _complete_entries())
    assert find_problems(project) == []


def test_check_leaves_the_project_unchanged(project: Path) -> None:
    _write_catalogue(project, _complete_entries()[1:])
    before = _tree(project)
    assert find_problems(project)
    assert _tree(project) == before


def test_missing_catalogue_is_reported(project: Path) -> None:
    problems = find_problems(project)
    assert len(problems) == 1
    assert "does not exist" in problems[0].message


def test_message_missing_from_the_catalogue_is_reported_where_it_occurs(project: Path) -> None:
    entries = [entry for entry in _complete_entries() if entry.msgid != "Report an incident"]
    _write_catalogue(project, entries)
    problems = find_problems(project)
    assert len(problems) == 1
    assert problems[0].location == "app/templates/page.html:2"
    assert "Report an incident" in problems[0].message
    assert "missing" in problems[0].message


def test_message_no_longer_in_the_source_is_reported_at_its_catalogue_line(project: Path) -> None:
    entries = [*_complete_entries(), polib.POEntry(msgid="Removed sentence", msgstr="Verwijderde zin")]
    catalogue = _write_catalogue(project, entries)
    problems = find_problems(project)
    assert len(problems) == 1
    file, line = problems[0].location.rsplit(":", 1)
    assert file == "locale/nl/LC_MESSAGES/django.po"
    assert (
        catalogue.read_text(encoding="utf-8")
        .splitlines()[int(line) - 1]
        .startswith('msgid "Removed sentence"')
    )
    assert "no longer occurs" in problems[0].message


def test_untranslated_and_fuzzy_entries_are_reported(project: Path) -> None:
    entries = _complete_entries()
    entries[0].msgstr = ""
    entries[1].flags.append("fuzzy")
    _write_catalogue(project, entries)
    messages = sorted(problem.message for problem in find_problems(project))
    assert len(messages) == 2
    assert messages[0].startswith("fuzzy translation of 'Welcome, %(name)s.'")
    assert messages[1] == "untranslated: 'Report an incident'"


def test_placeholder_that_differs_in_dutch_is_reported(project: Path) -> None:
    entries = _complete_entries()
    entries[2].msgstr = "Opgeslagen door %(naam)s."
    _write_catalogue(project, entries)
    problems = find_problems(project)
    assert len(problems) == 1
    assert "placeholders differ" in problems[0].message
    assert "%(name)s" in problems[0].message
    assert "%(naam)s" in problems[0].message
    assert problems[0].location.startswith("locale/nl/LC_MESSAGES/django.po:")


def test_plural_form_without_its_placeholder_is_reported(project: Path) -> None:
    entries = _complete_entries()
    entries[3].msgstr_plural = {0: "één melding", 1: "meerdere meldingen"}
    _write_catalogue(project, entries)
    problems = find_problems(project)
    assert [problem.message for problem in problems] == ["plural form 1 of '%(count)d report' lacks count"]


def test_english_message_mixing_placeholders_is_reported_in_the_source(project: Path) -> None:
    views = project / "app" / "views.py"
    views.write_text(
        views.read_text(encoding="utf-8") + '\n\nMIXED = _("%(name)s sent %s files")\n', encoding="utf-8"
    )
    entries = [
        *_complete_entries(),
        polib.POEntry(
            msgid="%(name)s sent %s files", msgstr="%(name)s stuurde %s bestanden", flags=["python-format"]
        ),
    ]
    _write_catalogue(project, entries)
    line = views.read_text(encoding="utf-8").splitlines().index('MIXED = _("%(name)s sent %s files")') + 1
    problems = find_problems(project)
    assert [(problem.location, "mixes named and unnamed" in problem.message) for problem in problems] == [
        (f"app/views.py:{line}", True)
    ]


def test_obsolete_entries_are_reported(project: Path) -> None:
    entries = _complete_entries()
    obsolete = polib.POEntry(msgid="Old", msgstr="Oud", obsolete=True)
    _write_catalogue(project, [*entries, obsolete])
    problems = find_problems(project)
    assert len(problems) == 1
    assert "obsolete" in problems[0].message


def test_command_fails_with_every_problem_listed(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    entries = _complete_entries()
    entries[0].msgstr = ""
    _write_catalogue(project, entries[:-1])
    with pytest.raises(CommandError, match="2 translation problem"):
        call_command("check_translations", root=project)
    errors = capsys.readouterr().err
    assert "django.po:" in errors
    assert "untranslated: 'Report an incident'" in errors
    assert "app/views.py:5" in errors


def test_command_passes_on_a_complete_catalogue(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_catalogue(project, _complete_entries())
    call_command("check_translations", root=project)
    assert "complete" in capsys.readouterr().out
