"""The home page and the shared layout: components, unread count, roles, language switch, CSP hygiene."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import reverse

from cityops.core.choices import Role
from cityops.core.models import Notification
from cityops.core.navigation import COMPONENTS

pytestmark = pytest.mark.django_db


class _Collector(HTMLParser):
    """Collects the attributes of every tag, and the text inside <script> and <style> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.inline_code: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_code = tag in {"script", "style"}

    def handle_endtag(self, tag):
        self._in_code = False

    def handle_data(self, data):
        if self._in_code and data.strip():
            self.inline_code.append(data)


def parse(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    return collector


@pytest.fixture
def leader(province, agency_a, make_member):
    user = make_member(province, Role.LEADER, username="lanh.dao", full_name="Lê Văn Lãnh")
    from tests.factories import MembershipFactory

    MembershipFactory(user=user, organization=agency_a, role=Role.AGENCY_HEAD)
    return user


@pytest.fixture
def signed_in(client, leader):
    client.force_login(leader)
    return client


def test_home_needs_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


def test_home_is_vietnamese_by_default(signed_in):
    body = signed_in.get("/").content.decode()
    assert '<html lang="vi">' in body


def test_home_lists_all_seventeen_components(signed_in):
    body = signed_in.get("/").content.decode()
    for component in COMPONENTS:
        assert f'data-testid="component-{component.number}"' in body
    assert len(COMPONENTS) == 17


def test_unbuilt_components_are_marked_and_never_linked(signed_in):
    body = signed_in.get("/").content.decode()
    cards = re.findall(r'<li class="card[^"]*" data-testid="component-(\d+)">(.*?)</li>', body, re.S)
    assert len(cards) == 17
    for number, inner in cards:
        component = COMPONENTS[int(number) - 1]
        if component.url:
            assert f'href="{component.url}"' in inner
            assert 'data-testid="coming-soon"' not in inner
        else:
            assert "href=" not in inner
            assert 'data-testid="coming-soon"' in inner


def test_every_link_on_the_home_page_works_for_a_leader(signed_in):
    body = signed_in.get("/").content.decode()
    hrefs = {attrs["href"] for tag, attrs in parse(body).tags if tag in {"a", "link"} and attrs.get("href")}
    assert hrefs
    for href in sorted(hrefs):
        if href.startswith("#"):
            assert href == "#main" and 'id="main"' in body
            continue
        assert href.startswith("/"), f"external or relative link on the home page: {href}"
        response = signed_in.get(href)
        assert response.status_code in (200, 302), f"{href} answered {response.status_code}"
    actions = {attrs.get("action") for tag, attrs in parse(body).tags if tag == "form"}
    assert reverse("core:search") in actions and reverse("set_language") in actions


def test_home_shows_unread_notification_count(signed_in, leader):
    for i in range(3):
        Notification.objects.create(recipient=leader, kind="test", title=f"Thông báo {i}")
    from django.utils import timezone

    Notification.objects.create(recipient=leader, kind="test", title="Đã đọc", read_at=timezone.now())
    body = signed_in.get("/").content.decode()
    unread = re.search(r'data-testid="home-unread">\s*(\d+)', body)
    assert unread and unread.group(1) == "3"
    assert re.search(r'data-testid="unread-badge">3<', body)


def test_home_does_not_count_other_peoples_notifications(signed_in, province, make_member):
    other = make_member(province, Role.SPECIALIST)
    Notification.objects.create(recipient=other, kind="test", title="Không phải của bạn")
    body = signed_in.get("/").content.decode()
    assert re.search(r'data-testid="home-unread">\s*0', body)
    assert 'data-testid="unread-badge"' not in body


def test_home_shows_the_users_organisations_and_roles(signed_in, province, agency_a, agency_b):
    body = signed_in.get("/").content.decode()
    roles = re.search(r'data-testid="home-memberships">(.*?)</ul>', body, re.S).group(1)
    assert province.name in roles and agency_a.name in roles
    assert agency_b.name not in roles
    assert str(Role.LEADER.label) in roles and str(Role.AGENCY_HEAD.label) in roles


def test_organisation_names_are_escaped(client, province, make_member):
    from cityops.core.services.organizations import organization_update

    organization_update(actor=None, organization=province, name="<script>alert(1)</script>")
    user = make_member(province, Role.LEADER)
    client.force_login(user)
    body = client.get("/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


@pytest.mark.parametrize("path", ["/", "/account/", "/account/password/", "/account/two-factor/setup/"])
def test_language_switch_keeps_the_user_on_the_same_page(signed_in, path):
    response = signed_in.post(reverse("set_language"), {"language": "en", "next": path})
    assert response.status_code == 302
    assert response["Location"] == path
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in signed_in.get(path).content.decode()
    response = signed_in.post(reverse("set_language"), {"language": "vi", "next": path})
    assert response["Location"] == path
    assert '<html lang="vi">' in signed_in.get(path).content.decode()


def test_language_switch_form_carries_the_current_page(signed_in):
    body = signed_in.get("/account/?tab=x").content.decode()
    assert '<input type="hidden" name="next" value="/account/?tab=x">' in body


def test_language_switch_refuses_unknown_languages_and_off_site_next(signed_in):
    response = signed_in.post(reverse("set_language"), {"language": "xx", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil.example")
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_language_switch_works_on_the_login_page(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
    assert response["Location"] == "/login/"
    assert '<html lang="en">' in client.get("/login/").content.decode()


@pytest.mark.parametrize("path", ["/", "/account/", "/account/password/", "/account/two-factor/setup/", "/login/"])
def test_pages_have_no_inline_scripts_or_styles(client, leader, path):
    if path != "/login/":
        client.force_login(leader)
    response = client.get(path)
    assert response.status_code == 200
    body = response.content.decode()
    page = parse(body)
    assert page.inline_code == []
    for tag, attrs in page.tags:
        assert "style" not in attrs, f"inline style on <{tag}>"
        assert not any(name.startswith("on") for name in attrs), f"inline handler on <{tag}>"
        if tag == "script":
            assert attrs.get("src", "").startswith("/static/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_layout_is_accessible_and_responsive(signed_in):
    body = signed_in.get("/").content.decode()
    page = parse(body)
    tags = [tag for tag, _ in page.tags]
    assert {"header", "main", "footer", "nav"} <= set(tags)
    assert tags.count("main") == 1 and tags.count("h1") == 1
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    ids = {attrs.get("id") for _, attrs in page.tags if attrs.get("id")}
    for tag, attrs in page.tags:
        if tag == "nav":
            assert attrs.get("aria-label"), "every nav landmark needs a name"
        if tag in {"input", "select", "textarea"} and attrs.get("type") not in {"hidden", "submit"}:
            labelled = attrs.get("aria-label") or any(
                t == "label" and a.get("for") == attrs.get("id") for t, a in page.tags
            )
            assert labelled, f"unlabelled {tag} {attrs}"
        if tag == "button":
            assert attrs.get("type") in {"submit", "button"}
        if attrs.get("aria-controls"):
            assert attrs["aria-controls"] in ids


def test_static_files_referenced_by_the_layout_are_served(signed_in):
    body = signed_in.get("/").content.decode()
    for src in re.findall(r'(?:src|href)="(/static/[^"]+)"', body):
        response = signed_in.get(src)
        assert response.status_code == 200, src


def test_tools_show_administration_and_audit_only_to_those_allowed(client, province, agency_a, make_member):
    admin = make_member(province, Role.ADMINISTRATOR, username="quan.tri")
    specialist = make_member(agency_a, Role.SPECIALIST, username="chuyen.vien")
    client.force_login(admin)
    html = client.get(reverse("core:home")).content.decode()
    assert reverse("core:manage_index") in html and reverse("core:audit") in html
    assert client.get(reverse("core:manage_index")).status_code == 200
    client.force_login(specialist)
    html = client.get(reverse("core:home")).content.decode()
    assert reverse("core:manage_index") not in html and reverse("core:audit") not in html
    assert reverse("core:directory") in html and reverse("core:calendar") in html
