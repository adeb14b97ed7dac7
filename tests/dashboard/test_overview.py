"""The overview for each role, who is refused, and the page's CSP and escaping."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from cityops.core.choices import Role
from cityops.core.services import live
from cityops.dashboard import registry
from cityops.dashboard.registry import MapLayer, Widget

pytestmark = pytest.mark.django_db


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.code: list[str] = []
        self._in = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in = tag in {"script", "style"}

    def handle_endtag(self, tag):
        self._in = False

    def handle_data(self, data):
        if self._in and data.strip():
            self.code.append(data)


@pytest.mark.parametrize(
    "role", [Role.LEADER, Role.IOC_OPERATOR, Role.AGENCY_HEAD, Role.SPECIALIST, Role.CLERK, Role.INSPECTOR,
             Role.ADMINISTRATOR],
)  # fmt: skip
def test_overview_opens_for_every_staff_role(client, world, make_member, role):
    user = make_member(world.province if role != Role.SPECIALIST else world.agency_a, role)
    client.force_login(user)
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 200
    body = response.content.decode()
    for key in ("domains", "headlines", "map", "feed", "feedback_queue"):
        assert f'data-testid="widget-{key}"' in body
    assert reverse("dashboard:events") in body


def test_citizen_and_anonymous_are_refused(client, world):
    for name, kwargs in [("dashboard:index", {}), ("dashboard:events", {}), ("dashboard:situation_report", {}),
                         ("dashboard:layer", {"key": "reports"}), ("dashboard:overview_xlsx", {})]:  # fmt: skip
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 302 and "/login/" in response["Location"], name
    client.force_login(world.citizen)
    for name, kwargs in [
        ("dashboard:index", {}),
        ("dashboard:events", {}),
        ("dashboard:board", {}),
        ("dashboard:layer", {"key": "reports"}),
        ("dashboard:sensor", {"pk": world.sensor_a.pk}),
    ]:
        response = client.get(reverse(name, kwargs=kwargs))
        assert response.status_code == 403, name
        assert "Xylophantic" not in response.content.decode()


def test_overview_has_no_inline_code_and_is_listed_as_built(client, world):
    client.force_login(world.leader)
    response = client.get(reverse("dashboard:index"))
    page = Tags()
    page.feed(response.content.decode())
    assert page.code == []
    for tag, attrs in page.tags:
        assert "style" not in attrs, tag
        assert not any(name.startswith("on") for name in attrs), tag
        if tag == "script":
            assert attrs["src"].startswith("/static/")
    home = client.get(reverse("core:home")).content.decode()
    assert f'href="{reverse("dashboard:index")}"' in home


def test_report_text_is_escaped_in_the_feed(client, world):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    live.publish(kind="feedback.request", organization=world.province, title=hostile, url="javascript:alert(1)")
    client.force_login(world.leader)
    body = client.get(reverse("dashboard:index")).content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(" in body
    assert 'href="javascript:' not in body


def test_leader_sees_domain_tiles_headlines_and_counts(client, world):
    client.force_login(world.leader)
    body = client.get(reverse("dashboard:index")).content.decode()
    for domain in ("economy", "people", "governance", "mobility", "environment", "living"):
        assert f'data-testid="tile-{domain}"' in body
    assert 'data-testid="queue-counts"' in body


def test_registered_widget_and_layer_appear_without_dashboard_changes(client, world):
    registry.register_layer(MapLayer(key="incidents", label="Sự cố", features=lambda user, params: []))
    registry.register_widget(
        Widget(key="alerts", label="Cảnh báo", template="dashboard/widgets/queue.html",
               context=lambda request: {"summary": {"open": 7, "overdue": 0, "new_today": 0, "at_desk": 0,
                                                    "queue_url": "/"}})
    )  # fmt: skip
    try:
        client.force_login(world.leader)
        body = client.get(reverse("dashboard:index")).content.decode()
        assert 'data-testid="widget-alerts"' in body
        assert reverse("dashboard:layer", kwargs={"key": "incidents"}) in body
        assert client.get(reverse("dashboard:layer", kwargs={"key": "incidents"})).json()["features"] == []
    finally:
        registry._layers.pop("incidents", None)
        registry._widgets.pop("alerts", None)


def test_a_widget_that_hides_itself_is_left_off(client, world):
    registry.register_widget(Widget(key="hidden", label="x", template="missing.html", context=lambda request: None))
    try:
        client.force_login(world.leader)
        response = client.get(reverse("dashboard:index"))
        assert response.status_code == 200 and 'data-testid="widget-hidden"' not in response.content.decode()
    finally:
        registry._widgets.pop("hidden", None)


def test_theme_switch_is_remembered_and_refuses_bad_values(client, world):
    client.force_login(world.leader)
    assert "theme-dark" in client.get(reverse("dashboard:index")).content.decode()
    response = client.post(reverse("dashboard:theme"), {"theme": "light", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:index")
    assert "theme-light" in client.get(reverse("dashboard:index")).content.decode()
    assert client.post(reverse("dashboard:theme"), {"theme": "<x>"}).status_code == 400
    assert "theme-light" in client.get(reverse("dashboard:index")).content.decode()
