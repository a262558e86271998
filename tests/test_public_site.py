"""The public site: home, care workers, help and partners, about, privacy, figures; navigation, footer, links.

The pages of the action framework itself are tested in test_guidance_pages.py; the link crawl here covers
them too.
"""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import translation

from accounts.keys import KEY_COOKIE
from accounts.models import Organisation
from guidance.engine import default_rules
from meldpunt import followup
from meldpunt.models import OrganisationPolicy, Report
from tests.meldpunt_helpers import REMOTE_ADDR, USER_AGENT, anonymous_client, route_everything_to, submit

LANGUAGES = ("nl", "en")

# url name -> the msgid of its <h1>
SITE_PAGES = {
    "home": "Against violence towards health care",
    "care_workers": "ZorgVeilig for care workers",
    "conflict_monitor": "Health Care Under Fire",
    "help": "Help and partners",
    "about": "About ZorgVeilig",
    "privacy": "Privacy statement",
    "figures": "Figures",
}

# Pages whose links the crawl follows: the site pages and the framework pages (namespace, url name).
CRAWLED = {("", name) for name in SITE_PAGES} | {
    ("guidance", name) for name in ("index", "kinds", "kind", "professions", "profession", "boundaries")
}


class Page(HTMLParser):
    """What the tests look at in a page: language, headings, links, ids, and the text of <main>."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.headings: list[tuple[int, str]] = []
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[str] = []
        self.main_text = ""
        self._heading: list[str] | None = None
        self._level = 0
        self._in_main = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append(tag)
        if tag == "html":
            self.lang = attributes.get("lang")
        if attributes.get("id"):
            self.ids.add(str(attributes["id"]))
        if tag == "a" and attributes.get("href") is not None:
            self.links.append(str(attributes["href"]))
        if tag == "main":
            self._in_main = True
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._level = [], int(tag[1])

    def handle_endtag(self, tag: str) -> None:
        if tag == "main":
            self._in_main = False
        if re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self.headings.append((self._level, " ".join("".join(self._heading).split())))
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)
        if self._in_main:
            self.main_text += data

    @property
    def h1(self) -> list[str]:
        return [text for level, text in self.headings if level == 1]

    @property
    def text(self) -> str:
        return " ".join(self.main_text.split())


def url_in(language: str, name: str, *args: str) -> str:
    with translation.override(language):
        return reverse(name, args=args)


def translated(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def wizard_entry(language: str) -> str:
    """Where "Which steps fit my incident?" leads: the wizard's first question, or without the wizard the
    list of kinds of incident."""
    for name in ("wizard:start", "wizard:questions"):
        try:
            return url_in(language, name)
        except NoReverseMatch:
            continue
    return url_in(language, "guidance:kinds")


def fetch(client: Client, url: str) -> tuple[int, Page | None]:
    response = client.get(url)
    if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
        return response.status_code, None
    return 200, Page(response.content.decode())


def assert_headings_in_order(page: Page, url: str) -> None:
    levels = [level for level, _text in page.headings]
    assert levels and levels[0] == 1, f"{url}: the first heading is not the h1"
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"{url}: h{before} is followed by h{after}"


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", list(SITE_PAGES))
def test_site_page_answers_in_its_language_with_one_h1(client: Client, name: str, language: str) -> None:
    url = url_in(language, name)
    status, page = fetch(client, url)
    assert status == 200, url
    assert page is not None
    assert page.lang == language
    assert page.h1 == [translated(language, SITE_PAGES[name])]
    assert_headings_in_order(page, url)
    for landmark in ("header", "nav", "main", "footer"):
        assert landmark in page.tags, f"{url} has no <{landmark}>"


def test_new_site_pages_have_translated_addresses() -> None:
    assert url_in("en", "about") == "/en/about/"
    assert url_in("en", "privacy") == "/en/privacy/"
    assert url_in("en", "help") == "/en/help/"
    assert url_in("en", "figures") == "/en/figures/"
    for name in ("about", "privacy", "help", "figures"):
        assert not url_in("nl", name).startswith("/en/")


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_footer_links_to_about_privacy_help_figures_and_the_monitor_on_every_site_page(
    client: Client, language: str
) -> None:
    wanted = {url_in(language, name) for name in ("about", "privacy", "help", "figures", "conflict_monitor")}
    for name in SITE_PAGES:
        _status, page = fetch(client, url_in(language, name))
        assert page is not None
        assert wanted <= set(page.links), name


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_home_offers_every_entry(client: Client, language: str) -> None:
    _status, page = fetch(client, url_in(language, "home"))
    assert page is not None
    links = set(page.links)
    for url in (
        wizard_entry(language),
        url_in(language, "meldpunt:report"),
        url_in(language, "meldpunt:followup_login"),
        url_in(language, "guidance:index"),
        url_in(language, "help"),
        url_in(language, "conflict_monitor"),
        url_in(language, "care_workers"),
    ):
        assert url in links, url
    assert "112" in page.text
    assert "0900-8844" in page.text
    assert translated(language, "Which steps fit my incident?") in page.text


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_care_workers_page_says_what_is_available_today(client: Client, language: str) -> None:
    _status, page = fetch(client, url_in(language, "care_workers"))
    assert page is not None
    for url in (
        url_in(language, "meldpunt:report"),
        url_in(language, "meldpunt:followup_login"),
        url_in(language, "guidance:index"),
    ):
        assert url in page.links
    assert translated(language, "Case handling") in page.text
    # The report point is open: nothing may say otherwise.
    assert "You cannot report an incident on this site yet" not in page.text
    assert "Until the report point opens" not in page.text
    assert translated(language, "Coming") not in [text for _level, text in page.headings]


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_help_lists_every_partner_with_its_contact_details(client: Client, language: str) -> None:
    response = client.get(url_in(language, "help"))
    page = Page(response.content.decode())
    rules = default_rules()
    for partner in rules.partners:
        assert f"partner-{partner.id}" in page.ids
        assert partner.name.get(language) in page.text
        if partner.contact.phone:
            assert "tel:" + partner.contact.phone.replace(" ", "").replace("-", "") in page.links
        if partner.contact.url:
            assert partner.contact.url in page.links
    assert "tel:112" in page.links
    assert "tel:09008844" in page.links
    assert url_in(language, "meldpunt:report") in page.links
    assert url_in(language, "meldpunt:followup_login") in page.links


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_about_gives_the_framework_version_and_every_source(client: Client, language: str) -> None:
    response = client.get(url_in(language, "about"))
    page = Page(response.content.decode())
    rules = default_rules()
    assert rules.framework.version in page.text
    with translation.override(language):
        from django.utils.formats import date_format

        assert date_format(rules.framework.released, "DATE_FORMAT") in page.text
    assert "AGPL-3.0-or-later" in page.text
    assert "profession-versions" in page.ids and "sources" in page.ids
    for source in rules.sources:
        assert f"source-{source.id}" in page.ids
        if source.url:
            assert source.url in page.links


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_figures_page_without_data_invents_no_figures(
    client: Client, language: str, settings: Any, tmp_path: Path
) -> None:
    settings.ANALYTICS_DIR = tmp_path / "no-analytics-yet"
    page = Page(client.get(url_in(language, "figures")).content.decode())
    # Nothing invented: no number at all in the page's content until the statistics exist.
    assert not re.search(r"\d", page.text), page.text
    assert url_in(language, "conflict_monitor") in page.links


# Privacy statement: what it claims must be what the code does ------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_privacy_statement_names_the_cookies_the_site_sets(client: Client, language: str) -> None:
    page = Page(client.get(url_in(language, "privacy")).content.decode())
    for name in (
        settings.CSRF_COOKIE_NAME,
        settings.SESSION_COOKIE_NAME,
        settings.LANGUAGE_COOKIE_NAME,
        followup.FOLLOWUP_COOKIE,
        KEY_COOKIE,
    ):
        assert name in page.text, name
    idle = str(followup.IDLE_SECONDS // 60)
    assert idle in page.text
    assert str(settings.SESSION_COOKIE_AGE // 3600) in page.text
    assert str(OrganisationPolicy.DEFAULT_RETENTION_DAYS) in page.text
    assert url_in(language, "meldpunt:followup_login") in page.links


@pytest.mark.django_db
def test_reading_the_site_sets_only_the_csrf_cookie(client: Client) -> None:
    # The statement says: no session while you only read the site; the CSRF token on every page (the
    # language switch is a form).
    for name in SITE_PAGES:
        response = client.get(url_in("nl", name))
        assert set(response.cookies) <= {settings.CSRF_COOKIE_NAME}, name
    assert settings.CSRF_COOKIE_NAME in client.cookies
    assert settings.SESSION_COOKIE_NAME not in client.cookies


@pytest.mark.django_db
def test_sending_a_report_starts_no_session_and_stores_no_address(organisation: Organisation) -> None:
    route_everything_to(organisation)
    reporter = anonymous_client()
    response = submit(reporter)
    assert response.status_code == 200
    assert Report.objects.count() == 1
    assert settings.SESSION_COOKIE_NAME not in reporter.cookies
    # "No IP address and no browser details are stored with a report."
    stored = repr(list(Report.objects.values()))
    assert REMOTE_ADDR not in stored
    assert REMOTE_ADDR.rsplit(".", 1)[0] not in stored
    assert USER_AGENT not in stored


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_privacy_statement_covers_each_promised_subject(client: Client, language: str) -> None:
    page = Page(client.get(url_in(language, "privacy")).content.decode())
    headings = {text for _level, text in page.headings}
    for heading in (
        "Who is responsible",
        "What the report point stores",
        "Who can read your report",
        "Anonymous or with your name",
        "How long a report is kept",
        "Deleting your own report",
        "The action framework",
        "Cookies",
        "Your rights",
    ):
        assert translated(language, heading) in headings, heading
    assert translated(language, "Delete my report") in page.text


# Every internal link works -----------------------------------------------------------------------------------


def _is_crawled(path: str) -> bool:
    try:
        match = resolve(path)
    except Resolver404:
        return False
    return (match.namespace, match.url_name) in CRAWLED


@pytest.mark.django_db
def test_every_internal_link_on_the_public_pages_resolves(client: Client) -> None:
    queue = [url_in(language, name) for language in LANGUAGES for name in SITE_PAGES]
    seen: set[str] = set()
    pages: dict[str, Page] = {}
    checked: dict[str, int] = {}
    fragments: list[tuple[str, str, str]] = []  # (page with the link, target path, fragment)
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        status, page = fetch(client, url)
        checked[url] = status
        assert status in (200, 302), f"{url}: {status}"
        if page is None or not _is_crawled(url):
            continue
        pages[url] = page
        for href in page.links:
            parts = urlsplit(href)
            if parts.scheme in ("mailto", "tel") or (parts.scheme and parts.netloc != "testserver"):
                continue
            target = parts.path or url
            if parts.fragment:
                fragments.append((url, target, parts.fragment))
            if target not in seen:
                queue.append(target)
    for source, target, fragment in fragments:
        assert target in pages, f"{source} links to {target}#{fragment}, which was not read"
        assert fragment in pages[target].ids, f"{source} links to {target}#{fragment}: no such id"
    # The crawl reached the framework's pages for every kind and profession, in both languages.
    rules = default_rules()
    for language in LANGUAGES:
        for code in rules.framework.fact_map["kind"].codes:
            assert url_in(language, "guidance:kind", code) in pages
        for code in rules.framework.fact_map["profession"].codes:
            assert url_in(language, "guidance:profession", code) in pages
        for name in ("about", "privacy", "help", "figures"):
            assert url_in(language, name) in pages
    assert len(checked) > 60
