"""Fail when the Dutch catalogue does not match the source, or is incomplete, or a message is malformed.

The catalogue is reproducible with exactly this command, run from the repository root:

    zorgveilig makemessages --locale nl --no-location --no-obsolete --ignore .venv --ignore node_modules \
        --ignore var --ignore tests

To learn whether that command would add or remove messages, the check runs makemessages on a temporary copy of
the source files, never in the working tree: nothing in the checkout changes, even when the check is
interrupted or another process reads the catalogue at the same time.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import chdir
from dataclasses import dataclass
from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.test.utils import override_settings

IGNORED_DIRECTORIES = (".*", "__pycache__", "node_modules", "var", "tests", "locale", "build", "*.egg-info")
SOURCE_EXTENSIONS = {".py", ".html", ".txt"}
MAKEMESSAGES_COMMAND = "zorgveilig makemessages --locale {locale} --no-location --no-obsolete " + " ".join(
    f"--ignore {name}" for name in (".venv", "node_modules", "var", "tests")
)

# A printf-style conversion as Python's % operator reads it: %(name)s, %s, %5.2f, %% ...
PLACEHOLDER = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conversion>[diouxXeEfFgGcrsa%])"
)

Key = tuple[str | None, str, str]


@dataclass(frozen=True)
class Problem:
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass(frozen=True)
class Placeholders:
    named: frozenset[str]
    positional: int
    lone_percent: bool

    @property
    def mixed(self) -> bool:
        return bool(self.named) and self.positional > 0


def placeholders(text: str) -> Placeholders:
    named: set[str] = set()
    positional = 0
    for match in PLACEHOLDER.finditer(text):
        if match["conversion"] == "%":
            continue
        if match["name"] is not None:
            named.add(match["name"])
        else:
            positional += 1
    # Whatever is left after removing every valid conversion must hold no % at all.
    lone_percent = "%" in PLACEHOLDER.sub("", text)
    return Placeholders(frozenset(named), positional, lone_percent)


def _key(entry: polib.POEntry) -> Key:
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def _label(entry: polib.POEntry) -> str:
    text = entry.msgid if len(entry.msgid) <= 60 else entry.msgid[:57] + "..."
    context = f" (context {entry.msgctxt!r})" if entry.msgctxt else ""
    return f"{text!r}{context}"


def _is_python_format(entry: polib.POEntry) -> bool:
    if "python-format" in entry.flags:
        return True
    return any(PLACEHOLDER.search(text) for text in (entry.msgid, entry.msgid_plural) if text)


def _describe(found: Placeholders) -> str:
    names = ", ".join(f"%({name})s" for name in sorted(found.named)) or "no named placeholders"
    return f"{names}; {found.positional} unnamed"


def check_source_message(entry: polib.POEntry, location: str) -> Iterator[Problem]:
    """Problems on the English side, which no translation can repair."""
    for text in filter(None, (entry.msgid, entry.msgid_plural)):
        if text != text.strip():
            yield Problem(
                location,
                f"message {_label(entry)} starts or ends with white space "
                "(in a template use {% blocktranslate trimmed %})",
            )
            break
    if not _is_python_format(entry):
        return
    singular = placeholders(entry.msgid)
    if singular.mixed:
        yield Problem(
            location, f"message {_label(entry)} mixes named and unnamed placeholders: name them all"
        )
    if singular.lone_percent:
        yield Problem(location, f"message {_label(entry)} has a lone % sign: write %% for a literal percent")
    if entry.msgid_plural:
        plural = placeholders(entry.msgid_plural)
        missing = singular.named - plural.named
        if missing:
            yield Problem(
                location,
                f"message {_label(entry)}: the plural form lacks {', '.join(sorted(missing))}",
            )


def check_translation(entry: polib.POEntry, location: str) -> Iterator[Problem]:
    """Problems of one Dutch entry: fuzzy, untranslated, or placeholders that differ from the English."""
    if "fuzzy" in entry.flags:
        yield Problem(location, f"fuzzy translation of {_label(entry)}: check it and remove the fuzzy flag")
        return
    if not entry.translated():
        yield Problem(location, f"untranslated: {_label(entry)}")
        return
    if not _is_python_format(entry):
        return
    if entry.msgid_plural:
        allowed = placeholders(entry.msgid).named | placeholders(entry.msgid_plural).named
        forms = sorted(entry.msgstr_plural.items())
        for index, text in forms:
            extra = placeholders(text).named - allowed
            if extra:
                yield Problem(
                    location,
                    f"plural form {index} of {_label(entry)} uses {', '.join(sorted(extra))}, "
                    "which the English does not have",
                )
        last_index, last_text = forms[-1]
        lacking = placeholders(entry.msgid_plural).named - placeholders(last_text).named
        if lacking:
            yield Problem(
                location,
                f"plural form {last_index} of {_label(entry)} lacks {', '.join(sorted(lacking))}",
            )
        return
    english = placeholders(entry.msgid)
    dutch = placeholders(entry.msgstr)
    if (english.named, english.positional) != (dutch.named, dutch.positional):
        yield Problem(
            location,
            f"placeholders differ in {_label(entry)}: English has {_describe(english)}, "
            f"Dutch has {_describe(dutch)}",
        )


def _copy_sources(root: Path, destination: Path) -> None:
    def ignore(directory: str, names: list[str]) -> set[str]:
        ignored = set(shutil.ignore_patterns(*IGNORED_DIRECTORIES)(directory, names))
        for name in names:
            path = Path(directory, name)
            if path.is_file() and path.suffix not in SOURCE_EXTENSIONS:
                ignored.add(name)
        return ignored

    shutil.copytree(root, destination, ignore=ignore, symlinks=True)


def extract_messages(root: Path, locale: str) -> dict[Key, polib.POEntry]:
    """The messages makemessages would put in the catalogue, each with where it occurs in the source."""
    with tempfile.TemporaryDirectory(prefix="zorgveilig-translations-") as temporary:
        source = Path(temporary, "source")
        _copy_sources(root, source)
        locale_dir = source / "locale"
        locale_dir.mkdir()
        with chdir(source), override_settings(LOCALE_PATHS=[str(locale_dir)]):
            call_command("makemessages", locale=[locale], no_obsolete=True, verbosity=0)
        fresh = locale_dir / locale / "LC_MESSAGES" / "django.po"
        if not fresh.exists():
            return {}
        return {
            _key(entry): entry for entry in polib.pofile(str(fresh)) if entry.msgid and not entry.obsolete
        }


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def _first_occurrence(entry: polib.POEntry, fallback: str) -> str:
    if entry.occurrences:
        file, line = entry.occurrences[0]
        return f"{file}:{line}" if line else file
    return fallback


def _msgfmt_errors(catalogue: Path) -> list[tuple[int | None, str]]:
    """Errors of `msgfmt --check-format`, the check compilemessages makes, as (line, message)."""
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        return []
    result = subprocess.run(  # noqa: S603 - a fixed program on our own file
        [msgfmt, "--check-format", "--output-file", os.devnull, str(catalogue)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode == 0:
        return []
    errors: list[tuple[int | None, str]] = []
    prefix = f"{catalogue}:"
    for raw in result.stderr.splitlines():
        line = raw.strip()
        if not line or ": warning: " in line or "fatal error" in line:
            continue
        if line.startswith(prefix):
            number, _, message = line[len(prefix) :].partition(": ")
            errors.append((int(number) if number.isdigit() else None, message))
        else:
            errors.append((None, line))
    return errors or [(None, "msgfmt --check-format failed")]


def find_problems(root: Path, locale: str = "nl") -> list[Problem]:
    """Every problem of the catalogue of `locale` under `root`, in a stable order."""
    catalogue = root / "locale" / locale / "LC_MESSAGES" / "django.po"
    shown = _relative(catalogue, root)
    if not catalogue.exists():
        return [
            Problem(shown, f"the catalogue does not exist: run {MAKEMESSAGES_COMMAND.format(locale=locale)}")
        ]
    try:
        committed = polib.pofile(str(catalogue))
    except (OSError, ValueError) as error:
        return [Problem(shown, f"cannot be read: {error}")]

    problems: list[Problem] = []
    source = extract_messages(root, locale)

    for entry in source.values():
        problems.extend(check_source_message(entry, _first_occurrence(entry, shown)))

    entries = [entry for entry in committed if entry.msgid and not entry.obsolete]
    known = {_key(entry) for entry in entries}
    for key, entry in source.items():
        if key not in known:
            problems.append(
                Problem(
                    _first_occurrence(entry, shown),
                    f"{_label(entry)} is missing from {shown}",
                )
            )
    for entry in entries:
        location = f"{shown}:{entry.linenum}"
        if _key(entry) not in source:
            problems.append(Problem(location, f"{_label(entry)} no longer occurs in the source"))
            continue
        problems.extend(check_translation(entry, location))
    for entry in committed.obsolete_entries():
        problems.append(
            Problem(
                f"{shown}:{entry.linenum}", f"obsolete entry {_label(entry)}: regenerate with --no-obsolete"
            )
        )

    # msgfmt finds what the checks above cannot (syntax, other format kinds). An error inside an entry that
    # is already reported is left out: the report above names the message.
    reported = {problem.location for problem in problems}
    starts = sorted(entry.linenum for entry in committed)
    for line, message in _msgfmt_errors(catalogue):
        entry_start = max((start for start in starts if line is not None and start <= line), default=None)
        if entry_start is not None and f"{shown}:{entry_start}" in reported:
            continue
        problems.append(Problem(f"{shown}:{line}" if line else shown, f"msgfmt: {message}"))
    return problems


class Command(BaseCommand):
    help = (
        "Check that the Dutch catalogue matches the source (makemessages would change nothing), that every "
        "message is translated and not fuzzy, and that placeholders agree between English and Dutch."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--locale", default="nl", help="catalogue to check (default: nl)")
        parser.add_argument(
            "--root",
            type=Path,
            default=None,
            help="project root (default: the repository of this installation)",
        )

    def handle(self, *args: object, **options: object) -> None:
        locale = str(options["locale"])
        root_option = options["root"]
        root = Path(root_option) if isinstance(root_option, (str, Path)) else Path(settings.BASE_DIR)
        problems = find_problems(root.resolve(), locale)
        if problems:
            for problem in problems:
                self.stderr.write(str(problem))
            raise CommandError(
                f"{len(problems)} translation problem(s). After changing source strings, refresh the catalogue "
                f"with: {MAKEMESSAGES_COMMAND.format(locale=locale)}; then translate, and unmark fuzzy entries."
            )
        if int(str(options.get("verbosity", 1))) > 0:
            self.stdout.write(f"The {locale} catalogue is complete and matches the source.")
