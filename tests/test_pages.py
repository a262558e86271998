"""The public pages: both languages, translated addresses, the language switch, error pages, accessibility."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse
from django.utils import translation

import zorgveilig.urls
from accounts.roles import Role
from tests.conftest import login_verified

# This module doubles as a URL configuration for the error-page tests: the real pages plus views that fail.


def _forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def _broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a deliberate failure")


urlpatterns = [
    path("test-forbidden/", _forbidden),
    path("test-broken/", _broken),
    *zorgveilig.urls.urlpatterns,
]
handler403 = zorgveilig.urls.handler403
handler404 = zorgveilig.urls.handler404
handler500 = zorgveilig.urls.handler500

FACE_PAGES = ["home", "care_workers", "conflict_monitor"]


def url_in(language: str, name: str) -> str:
    with translation.override(language):
        return reverse(name)


class Page(HTMLParser):
    """What the accessibility tests look at in one page."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.lang: str | None = None
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.label_targets: set[str] = set()
        self._label_depth = 0
        self.inputs_inside_labels: set[int] = set()
        self.first_link: dict[str, str | None] | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag == "a" and self.first_link is None:
            self.first_link = attributes
        if tag == "label":
            self._label_depth += 1
            if attributes.get("for"):
                self.label_targets.add(str(attributes["for"]))
        if tag in {"input", "select", "textarea"} and self._label_depth:
            self.inputs_inside_labels.add(len(self.tags))
        self.tags.append((tag, attributes))

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label_depth:
            self._label_depth -= 1

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attributes for name, attributes in self.tags if name == tag]

    def unlabelled_fields(self) -> list[dict[str, str | None]]:
        unlabelled = []
        for index, (tag, attributes) in enumerate(self.tags):
            if tag not in {"input", "select", "textarea"}:
                continue
            if attributes.get("type") in {"hidden", "submit", "button", "reset", "image"}:
                continue
            labelled = (
                index in self.inputs_inside_labels
                or attributes.get("id") in self.label_targets
                or attributes.get("aria-label")
                or attributes.get("aria-labelledby")
            )
            if not labelled:
                unlabelled.append(attributes)
        return unlabelled


def get(client: Client, url: str) -> Any:
    return client.get(url, secure=True)


@pytest.mark.django_db
def test_home_is_dutch_at_the_root(client: Client) -> None:
    response = get(client, "/")
    assert response.status_code == 200
    assert Page(response.content.decode()).lang == "nl"


@pytest.mark.django_db
def test_home_is_english_under_en(client: Client) -> None:
    response = get(client, "/en/")
    assert response.status_code == 200
    page = Page(response.content.decode())
    assert page.lang == "en"
    assert "Health Care Under Fire" in response.content.decode()


@pytest.mark.django_db
def test_home_links_to_both_faces(client: Client) -> None:
    for language in ("nl", "en"):
        page = Page(get(client, url_in(language, "home")).content.decode())
        links = {attributes.get("href") for attributes in page.all("a")}
        assert url_in(language, "care_workers") in links
        assert url_in(language, "conflict_monitor") in links
        assert len(page.all("h1")) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["care_workers", "conflict_monitor"])
def test_face_pages_answer_in_both_languages(client: Client, name: str) -> None:
    dutch, english = url_in("nl", name), url_in("en", name)
    assert english.startswith("/en/")
    assert not dutch.startswith("/en/")
    for url, language in ((dutch, "nl"), (english, "en")):
        response = get(client, url)
        assert response.status_code == 200, url
        assert Page(response.content.decode()).lang == language


@pytest.mark.django_db
def test_face_page_paths_are_translated() -> None:
    with translation.override("en"):
        assert reverse("conflict_monitor") == "/en/health-care-under-fire/"


def switch_language(client: Client, page_url: str, language: str) -> Any:
    """Submit the language switch on `page_url` the way a browser does: its own action and fields."""
    page = Page(get(client, page_url).content.decode())
    form = next(
        attributes
        for tag, attributes in page.tags
        if tag == "form" and "language-switch" in str(attributes.get("class"))
    )
    next_url = next(attributes for attributes in page.all("input") if attributes.get("name") == "next")
    return client.post(str(form["action"]), {"language": language, "next": next_url["value"]}, secure=True)


@pytest.mark.django_db
@pytest.mark.parametrize("name", FACE_PAGES)
def test_language_switch_leads_to_the_translated_address_of_the_same_page(client: Client, name: str) -> None:
    response = switch_language(client, url_in("nl", name), "en")
    assert response.status_code == 302
    assert response["Location"] == url_in("en", name)

    response = switch_language(client, url_in("en", name), "nl")
    assert response.status_code == 302
    assert response["Location"] == url_in("nl", name)


@pytest.mark.django_db
def test_language_switch_keeps_the_arguments_of_the_page(
    client: Client, make_member: Any, organisation: Any
) -> None:
    login_verified(client, make_member(Role.ADMIN))
    with translation.override("en"):
        english = reverse("accounts:organisation", kwargs={"slug": organisation.slug})
    with translation.override("nl"):
        dutch = reverse("accounts:organisation", kwargs={"slug": organisation.slug})
    assert english != dutch

    response = switch_language(client, english, "nl")
    assert response.status_code == 302
    assert response["Location"] == dutch

    response = switch_language(client, dutch, "en")
    assert response["Location"] == english


@pytest.mark.django_db
def test_language_switch_offers_the_other_language_only(client: Client) -> None:
    page = Page(get(client, "/").content.decode())
    buttons = [attributes for attributes in page.all("button") if attributes.get("name") == "language"]
    assert [button.get("value") for button in buttons] == ["en"]
    assert buttons[0].get("lang") == "en"


@pytest.mark.django_db
def test_unknown_address_shows_our_404_page(client: Client) -> None:
    response = get(client, "/en/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert Page(html).lang == "en"


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_forbidden_page_shows_our_403_page(client: Client) -> None:
    response = get(client, "/test-forbidden/")
    assert response.status_code == 403
    assert 'class="error-page"' in response.content.decode()
    assert Page(response.content.decode()).lang == "nl"


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_server_error_shows_our_standalone_500_page(client: Client) -> None:
    client.raise_request_exception = False
    response = get(client, "/test-broken/")
    assert response.status_code == 500
    html = response.content.decode()
    page = Page(html)
    assert page.lang == "nl"
    assert "/" in {attributes.get("href") for attributes in page.all("a")}
    assert 'class="error-page"' in html


def test_500_template_renders_without_a_request() -> None:
    from django.template import loader

    with translation.override("en"):
        html = loader.get_template("500.html").render()
    assert "Something went wrong" in html
    assert 'lang="en"' in html


PAGES_TO_INSPECT = [
    "/",
    "/en/",
    url_in("nl", "care_workers"),
    url_in("en", "care_workers"),
    url_in("nl", "conflict_monitor"),
    url_in("en", "conflict_monitor"),
    "/en/no-such-page/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES_TO_INSPECT)
def test_page_has_skip_link_first_and_landmarks(client: Client, url: str) -> None:
    page = Page(get(client, url).content.decode())
    assert page.first_link is not None
    assert page.first_link.get("href") == "#main"
    assert "skip-link" in str(page.first_link.get("class"))
    tags = [tag for tag, _ in page.tags]
    for landmark in ("header", "nav", "main", "footer"):
        assert landmark in tags, f"{url} has no <{landmark}>"
    main = page.all("main")
    assert len(main) == 1
    assert main[0].get("id") == "main"
    for nav in page.all("nav"):
        assert nav.get("aria-label")


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES_TO_INSPECT)
def test_every_image_has_alt_and_every_field_a_label(client: Client, url: str) -> None:
    page = Page(get(client, url).content.decode())
    for image in page.all("img"):
        assert image.get("alt") is not None, f"{url}: <img src={image.get('src')}> has no alt"
    assert page.unlabelled_fields() == [], url


def test_label_check_notices_a_field_without_label() -> None:
    page = Page('<form><input name="q"><label>Name <input name="name"></label></form>')
    assert page.unlabelled_fields() == [{"name": "q"}]
