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


def _post(client, url, body=None):
    return client.post(url, body or {}, content_type="application/json")


def test_work_a_task_to_completion_through_the_api(client, issue, agency_a, staff_a, leader, head_a):
    (task,) = issue(agency_a, deadline=in_days(10))
    base = f"/api/v1/directives/tasks/{task.pk}"
    client.force_login(staff_a)
    assert _post(client, f"{base}/accept").json()["status"] == "accepted"
    # Bad extension requests: before the assignment date, not later than the deadline, malformed.
    assert _post(client, f"{base}/extensions", {"requested_deadline": "2000-01-01", "reason": "x"}).status_code == 400
    assert _post(client, f"{base}/extensions", {"requested_deadline": "soon", "reason": "x"}).status_code == 400
    assert (
        _post(client, f"{base}/extensions", {"requested_deadline": str(in_days(5)), "reason": "x"}).status_code == 400
    )
    asked = _post(client, f"{base}/extensions", {"requested_deadline": str(in_days(20)), "reason": "Chờ vật tư"})
    assert asked.status_code == 201 and asked.json()["decision"] == "pending"
    # The agency may not decide its own request.
    decision_url = f"{base}/extensions/{asked.json()['id']}/decision"
    assert _post(client, decision_url, {"approve": True}).status_code == 403
    client.force_login(head_a)
    assert _post(client, decision_url, {"approve": True}).status_code == 403
    client.force_login(leader)
    decided = _post(client, decision_url, {"approve": True, "note": "Đồng ý"})
    assert decided.status_code == 200 and decided.json()["decision"] == "approved"
    assert _post(client, decision_url, {"approve": False}).status_code == 400  # already decided
    client.force_login(staff_a)
    assert _post(client, f"{base}/completion", {"text": ""}).status_code == 400
    done = _post(client, f"{base}/completion", {"text": "Đã hoàn thành"})
    assert done.json()["status"] == "reported_done"
    assert _post(client, f"{base}/confirm").status_code == 403  # an agency does not confirm its own work
    client.force_login(leader)
    assert _post(client, f"{base}/send-back", {"reason": "Bổ sung ảnh"}).json()["status"] == "sent_back"
    client.force_login(staff_a)
    _post(client, f"{base}/completion", {"text": "Đã bổ sung"})
    client.force_login(leader)
    body = _post(client, f"{base}/confirm").json()
    assert body["status"] == "done" and body["deadline_state"] == "done_on_time"
    # A closed task cannot be extended or cancelled.
    client.force_login(staff_a)
    assert (
        _post(client, f"{base}/extensions", {"requested_deadline": str(in_days(40)), "reason": "x"}).status_code == 400
    )
    client.force_login(leader)
    assert _post(client, f"{base}/cancel", {"reason": "x"}).status_code == 400
    stats = client.get("/api/v1/directives/statistics").json()
    assert stats["by_agency"][0]["name"] == "Sở Xây dựng" and stats["by_agency"][0]["done_on_time"] == 1
    assert stats["by_leader"][0]["name"] == "Lê Văn Lãnh"
    assert client.get("/api/v1/directives/statistics", {"start": "not-a-date"}).status_code == 400


def test_other_agency_cannot_act_on_a_task_through_the_api(client, issue, agency_a, staff_b, head_b):
    (task,) = issue(agency_a, deadline=in_days(10))
    base = f"/api/v1/directives/tasks/{task.pk}"
    for user in (staff_b, head_b):
        client.force_login(user)
        for action, body in [("accept", {}), ("completion", {"text": "x"}), ("confirm", {}),
                             ("send-back", {"reason": "x"}), ("cancel", {"reason": "x"}),
                             ("extensions", {"requested_deadline": str(in_days(20)), "reason": "x"})]:  # fmt: skip
            assert _post(client, f"{base}/{action}", body).status_code == 404, action
        assert client.get("/api/v1/directives/statistics").json() == {"by_agency": [], "by_leader": []}
    task.refresh_from_db()
    assert task.status == "assigned" and not task.extension_requests.exists()


def test_cancel_by_the_assigner(client, issue, agency_a, leader):
    (task,) = issue(agency_a)
    client.force_login(leader)
    assert _post(client, f"/api/v1/directives/tasks/{task.pk}/cancel", {"reason": ""}).status_code == 400
    body = _post(client, f"/api/v1/directives/tasks/{task.pk}/cancel", {"reason": "Trùng nhiệm vụ"}).json()
    assert body["status"] == "cancelled" and body["deadline_state"] == "cancelled"
