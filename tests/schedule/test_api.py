"""The read API: what a caller sees, isolation, bad input."""

from __future__ import annotations

import pytest

from cityops.schedule import services
from tests.schedule.conftest import at

pytestmark = pytest.mark.django_db


def test_week_list_and_item(client, make_event, office_clerk, secretary, clerk_b):
    public = services.event_publish(actor=office_clerk, event=make_event(content="Công khai"))
    draft = make_event(content="Nháp", start=at(1, 8), end=at(1, 9))
    private = make_event(actor=secretary, content="Riêng", is_private=True, start=at(2, 8), end=at(2, 9))
    client.force_login(office_clerk)
    items = client.get("/api/v1/schedule/events?week=2026-W48").json()["items"]
    assert {i["content"] for i in items} == {"Công khai", "Nháp"}
    assert items[0]["uid"] == f"{public.uid}@cityops" and items[0]["session"] == "morning"
    client.force_login(clerk_b)
    items = client.get("/api/v1/schedule/events?week=2026-W48").json()["items"]
    assert {i["content"] for i in items} == {"Công khai"}
    assert client.get(f"/api/v1/schedule/events/{draft.pk}").status_code == 404
    assert client.get(f"/api/v1/schedule/events/{private.pk}").json()["error"]["code"] == "not_found"
    client.force_login(secretary)
    assert client.get(f"/api/v1/schedule/events/{private.pk}").json()["content"] == "Riêng"


def test_bad_input_and_anonymous(client, office_clerk):
    assert client.get("/api/v1/schedule/events").status_code == 401
    client.force_login(office_clerk)
    response = client.get("/api/v1/schedule/events?week=<script>")
    assert response.status_code == 400 and response.json()["error"]["fields"][0]["field"] == "week"
    assert client.get("/api/v1/schedule/events?organization=999999").json()["count"] == 0
