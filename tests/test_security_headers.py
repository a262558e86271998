"""Every response carries the security headers, and no template needs the CSP relaxed."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client

REPOSITORY = Path(__file__).resolve().parent.parent
SKIPPED_DIRECTORIES = {".venv", "node_modules", "var", ".git", "test-artifacts", "build"}
PAGES = ["/", "/en/", "/does-not-exist/"]


def _directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.fixture
def responses(client: Client) -> list:
    return [client.get(url, secure=True) for url in PAGES]


@pytest.mark.django_db
def test_csp_allows_only_our_own_origin(responses: list) -> None:
    for response in responses:
        policy = _directives(response.headers["Content-Security-Policy"])
        assert policy["default-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["base-uri"] == ["'none'"]
        for sources in policy.values():
            for source in sources:
                assert source.startswith("'") or source.startswith("/"), f"{source} is another origin"


@pytest.mark.django_db
def test_csp_never_allows_inline_code(responses: list) -> None:
    for response in responses:
        header = response.headers["Content-Security-Policy"]
        assert "unsafe-inline" not in header
        assert "unsafe-eval" not in header


@pytest.mark.django_db
def test_other_security_headers_are_set(responses: list) -> None:
    for response in responses:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
        permissions = response.headers["Permissions-Policy"]
        for feature in ("camera=()", "microphone=()", "geolocation=()"):
            assert feature in permissions


@pytest.mark.django_db
def test_error_pages_carry_the_headers_too(client: Client) -> None:
    response = client.get("/does-not-exist/", secure=True)
    assert response.status_code == 404
    assert "Content-Security-Policy" in response.headers
    assert "Permissions-Policy" in response.headers


def _templates() -> list[Path]:
    found = []
    for path in REPOSITORY.rglob("*.html"):
        parts = set(path.relative_to(REPOSITORY).parts)
        if not parts & SKIPPED_DIRECTORIES:
            found.append(path)
    return sorted(found)


class _InlineCodeFinder(HTMLParser):
    """Collects what the CSP would block: inline scripts, style elements and attributes, event handlers."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False
        self._script_line = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        names = {name.lower() for name, _ in attrs}
        if tag == "script":
            self._in_script = "src" not in names
            self._script_line = line
        if tag == "style":
            self.problems.append(f"line {line}: <style> element")
        if "style" in names:
            self.problems.append(f"line {line}: style= attribute on <{tag}>")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.problems.append(f"line {line}: event handler {name}= on <{tag}>")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"line {line}: javascript: URL on <{tag}>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"line {self._script_line}: inline <script> with content")


def test_the_scan_finds_templates() -> None:
    names = {path.name for path in _templates()}
    assert {"base.html", "404.html", "500.html"} <= names


@pytest.mark.parametrize("path", _templates(), ids=lambda path: str(path.relative_to(REPOSITORY)))
def test_template_has_no_inline_script_or_style(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    # Template tags can sit inside attribute values; the parser must see plain HTML.
    html = re.sub(r"{%.*?%}|{{.*?}}|{#.*?#}", "", text, flags=re.DOTALL)
    finder = _InlineCodeFinder()
    finder.feed(html)
    finder.close()
    # A regular-expression pass catches what the parser may read differently (e.g. inside comments blocks).
    for match in re.finditer(r"<[a-zA-Z][^>]*\sstyle\s*=", html):
        finder.problems.append(f"offset {match.start()}: style= attribute")
    assert not finder.problems, f"{path}: " + "; ".join(sorted(set(finder.problems)))
