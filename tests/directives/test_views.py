"""Pages: issuing with several agencies, the board, the task page actions, statistics and the XLSX export."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from cityops.directives.choices import TaskStatus
from cityops.directives.models import Directive, ProgressReport, Task
from tests.directives.conftest import in_days

pytestmark = pytest.mark.django_db


def _directive_post(province, *rows, title="Chống ngập mùa mưa"):
    data = {
        "organization": province.pk, "title": title, "content": "Nội dung", "source_kind": "meeting",
        "domain": "environment", "tasks-TOTAL_FORMS": str(max(3, len(rows))), "tasks-INITIAL_FORMS": "0",
        "tasks-MIN_NUM_FORMS": "0", "tasks-MAX_NUM_FORMS": "20",
    }  # fmt: skip
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"tasks-{i}-{key}"] = value
        data.setdefault(f"tasks-{i}-priority", "normal")
    for i in range(len(rows), 3):
        data[f"tasks-{i}-priority"] = "normal"  # untouched default: the row stays empty
    return data


def test_home_shows_the_component(client, leader):
    client.force_login(leader)
    assert reverse("directives:index") == "/directives/"
    assert client.get("/").content.decode().count('href="/directives/"') >= 1


def test_leader_issues_to_two_agencies(client, leader, province, agency_a, agency_b, head_a):
    client.force_login(leader)
    assert client.get("/directives/new/").status_code == 200
    data = _directive_post(
        province,
        {"title": "Nạo vét cống", "lead_agency": agency_a.pk, "deadline": in_days(10).isoformat()},
        {"title": "Phun khử khuẩn", "lead_agency": agency_b.pk, "supporting_agencies": [agency_a.pk]},
    )
    response = client.post("/directives/new/", data)
    directive = Directive.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/directives/{directive.pk}/"
    assert directive.tasks.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "Nạo vét cống" in page and "Phun khử khuẩn" in page


def test_form_errors_are_shown_and_nothing_saved(client, leader, province, agency_a):
    client.force_login(leader)
    data = _directive_post(province, {"title": "Việc", "lead_agency": agency_a.pk, "deadline": in_days(-5).isoformat()})
    response = client.post("/directives/new/", data)
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert not Directive.objects.exists()


def test_agency_head_cannot_pick_a_sibling_agency(client, head_a, agency_a, agency_b):
    client.force_login(head_a)
    data = _directive_post(agency_a, {"title": "Việc", "lead_agency": agency_b.pk})
    response = client.post("/directives/new/", data)
    assert response.status_code == 200 and not Task.objects.exists()  # not among the choices


def test_specialist_cannot_open_the_issue_form(client, staff_a):
    client.force_login(staff_a)
    assert client.get("/directives/new/").status_code == 403


def test_task_page_actions_and_xss_escaped(client, issue, agency_a, staff_a, leader):
    (task,) = issue(agency_a, deadline=in_days(10))
    client.force_login(staff_a)
    url = f"/directives/tasks/{task.pk}/"
    assert client.post(url + "accept/").status_code == 302
    response = client.post(url + "progress/", {"progress-percentage": "150", "progress-text": "x"})
    assert response.status_code == 400 and not ProgressReport.objects.exists()
    client.post(url + "progress/", {"progress-percentage": "30", "progress-text": "<script>alert('x')</script>"})
    page = client.get(url).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    client.post(url + "complete/", {"complete-text": "Xong"})
    assert Task.objects.get(pk=task.pk).status == TaskStatus.REPORTED_DONE
    assert client.post(url + "confirm/").status_code == 403  # the agency does not confirm its own work
    client.force_login(leader)
    client.post(url + "confirm/")
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE
    response = client.post(
        url + "extension/", {"extension-requested_deadline": in_days(20).isoformat(), "extension-reason": "x"}
    )
    assert response.status_code == 400 and not task.extension_requests.exists()  # closed: refused
    assert client.post(url + "nonsense/").status_code == 404


def test_extension_on_closed_task_via_page(client, issue, agency_a, staff_a, leader):
    (task,) = issue(agency_a, deadline=in_days(10))
    client.force_login(leader)
    client.post(f"/directives/tasks/{task.pk}/cancel/", {"cancel-reason": "Thôi"})
    client.force_login(staff_a)
    response = client.post(
        f"/directives/tasks/{task.pk}/extension/",
        {"extension-requested_deadline": in_days(20).isoformat(), "extension-reason": "x"},
    )
    assert response.status_code == 400
    assert not task.extension_requests.exists()


def test_other_agency_gets_404(client, issue, agency_a, staff_b):
    (task,) = issue(agency_a)
    client.force_login(staff_b)
    assert client.get(f"/directives/tasks/{task.pk}/").status_code == 404
    assert client.post(f"/directives/tasks/{task.pk}/accept/").status_code == 404
    assert client.get(f"/directives/{task.directive_id}/").status_code == 404
    assert "Khắc phục" not in client.get("/directives/tasks/").content.decode()


def test_board_and_statistics_with_xlsx(client, issue, agency_a, agency_b, leader):
    issue(agency_a, agency_b, deadline=in_days(30), title="=HYPERLINK(1)")
    client.force_login(leader)
    board = client.get("/directives/tasks/", {"agency": agency_b.pk})
    assert board.status_code == 200 and board.content.decode().count('data-testid="task-row"') == 1
    assert client.get("/directives/tasks/", {"agency": "x", "state": "bogus"}).status_code == 200
    stats = client.get("/directives/statistics/")
    assert "Sở Xây dựng" in stats.content.decode()
    export = client.get("/directives/statistics/", {"format": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(export.content))
    names = {row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert names == {"Sở Xây dựng", "Sở Y tế"}
    assert book.worksheets[1].cell(row=2, column=2).value == "Lê Văn Lãnh"
    printable = client.get("/directives/statistics/", {"format": "print", "start": "2026-01-01"})
    assert 'data-testid="printable-report"' in printable.content.decode()
    assert "Sở Y tế" in printable.content.decode()


def test_anonymous_is_sent_to_log_in(client):
    assert client.get("/directives/").status_code == 302


def test_board_pages_keep_the_filters(client, issue, agency_a, leader):
    issue(*([agency_a] * 31))
    client.force_login(leader)
    page = client.get("/directives/tasks/", {"agency": agency_a.pk, "state": "no_deadline"}).content.decode()
    assert f"?agency={agency_a.pk}&amp;state=no_deadline&amp;page=2" in page


def test_extension_decision_through_the_page(client, issue, agency_a, staff_a, leader):
    (task,) = issue(agency_a, deadline=in_days(5))
    client.force_login(staff_a)
    url = f"/directives/tasks/{task.pk}/"
    data = {"extension-requested_deadline": in_days(12).isoformat(), "extension-reason": "Chờ vật tư"}
    assert client.post(url + "extension/", data).status_code == 302
    extension = task.extension_requests.get()
    assert client.post(url + "decide/", {"extension": extension.pk, "decision": "approve"}).status_code == 403
    client.force_login(leader)
    assert 'data-testid="approve-extension"' in client.get(url).content.decode()
    client.post(url + "decide/", {"extension": extension.pk, "decision": "approve", "note": "Đồng ý"})
    task.refresh_from_db()
    assert task.deadline == extension.requested_deadline
    assert client.post(url + "decide/", {"extension": 999999, "decision": "approve"}).status_code == 404


def test_oversized_and_empty_input(client, issue, agency_a, staff_a):
    (task,) = issue(agency_a)
    client.force_login(staff_a)
    url = f"/directives/tasks/{task.pk}/"
    client.post(url + "accept/")
    assert client.post(url + "progress/", {"progress-percentage": "10", "progress-text": ""}).status_code == 400
    huge = {"progress-percentage": "10", "progress-text": "x" * 20_001}
    assert client.post(url + "progress/", huge).status_code == 400
    assert not task.progress_reports.exists()


def test_admin_is_read_only(client, issue, agency_a, django_user_model):
    (task,) = issue(agency_a)
    admin = django_user_model.objects.create_superuser("root", "root@example.gov.vn", "Secret-pass-123")
    client.force_login(admin)
    assert client.get(f"/admin/directives/task/{task.pk}/change/").status_code == 200
    assert client.get("/admin/directives/task/add/").status_code == 403


def test_more_task_blocks_capped(client, leader):
    client.force_login(leader)
    assert client.get("/directives/new/", {"rows": "6"}).content.decode().count('data-testid="task-row-') == 6
    assert client.get("/directives/new/", {"rows": "999"}).content.decode().count('data-testid="task-row-') == 20
    assert client.get("/directives/new/", {"rows": "x"}).content.decode().count('data-testid="task-row-') == 3
