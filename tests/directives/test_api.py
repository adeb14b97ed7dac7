"""API: list and get tasks (scoped, with the computed deadline state), report progress."""

from __future__ import annotations

import pytest

from tests.directives.conftest import in_days

pytestmark = pytest.mark.django_db


def test_list_and_get_are_scoped(client, issue, agency_a, agency_b, staff_a, staff_b):
    task_a, task_b = issue(agency_a, agency_b, deadline=in_days(30))
    client.force_login(staff_a)
    body = client.get("/api/v1/directives/tasks").json()
    assert body["count"] == 1 and body["items"][0]["id"] == task_a.pk
    assert body["items"][0]["deadline_state"] == "not_due"
    assert body["items"][0]["lead_agency"]["name"] == "Sở Xây dựng"
    assert client.get(f"/api/v1/directives/tasks/{task_a.pk}").json()["status"] == "assigned"
    missing = client.get(f"/api/v1/directives/tasks/{task_b.pk}")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/directives/tasks", {"deadline_state": "bogus"}).status_code == 400


def test_report_progress(client, issue, agency_a, staff_a, staff_b):
    from cityops.directives import services

    (task,) = issue(agency_a)
    client.force_login(staff_a)
    url = f"/api/v1/directives/tasks/{task.pk}/progress"
    refused = client.post(url, {"percentage": 10, "text": "x"}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["error"]["fields"][0]["field"] == "status"
    services.task_accept(actor=staff_a, task=task)
    too_much = client.post(url, {"percentage": 150, "text": "x"}, content_type="application/json")
    assert too_much.status_code == 400 and too_much.json()["error"]["fields"][0]["field"] == "percentage"
    ok = client.post(url, {"percentage": 55, "text": "Đang làm"}, content_type="application/json")
    assert ok.status_code == 201 and ok.json()["percentage"] == 55
    client.force_login(staff_b)
    assert client.post(url, {"percentage": 60, "text": "x"}, content_type="application/json").status_code == 404


def test_anonymous_is_refused(client):
    assert client.get("/api/v1/directives/tasks").status_code == 401
