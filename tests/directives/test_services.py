"""Services: issuing, the state machine, extensions, completion, notifications and audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cityops.core.models import Attachment, AuditEvent, Notification
from cityops.directives import services
from cityops.directives.choices import DeadlineState, ExtensionDecision, TaskStatus
from cityops.directives.models import Directive, Task
from cityops.directives.services import TaskSpec
from tests.directives.conftest import in_days

pytestmark = pytest.mark.django_db


def test_issue_to_several_agencies_notifies_and_audits(issue, agency_a, agency_b, head_a, head_b, leader):
    task_a, task_b = issue(agency_a, agency_b, deadline=in_days(20))
    assert task_a.organization == agency_a and task_b.organization == agency_b
    assert task_a.status == TaskStatus.ASSIGNED and task_a.assigner == leader
    assert task_a.deadline is not None and task_a.original_deadline == task_a.deadline
    assert Notification.objects.filter(recipient=head_a, url=f"/directives/tasks/{task_a.pk}/").exists()
    assert Notification.objects.filter(recipient=head_b, url=f"/directives/tasks/{task_b.pk}/").exists()
    assert not Notification.objects.filter(recipient=head_b, url=f"/directives/tasks/{task_a.pk}/").exists()
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"directives.directive.issued", "directives.task.created"} <= verbs


def test_agency_head_cannot_direct_a_sibling_agency(head_a, agency_a, agency_b):
    with pytest.raises(ValidationError) as err:
        services.directive_issue(
            actor=head_a, organization=agency_a, title="Việc", tasks=[TaskSpec(title="Việc", lead_agency=agency_b)]
        )
    assert "tasks.0.lead_agency" in err.value.message_dict
    assert "Sở Y tế" in err.value.message_dict["tasks.0.lead_agency"][0]
    assert not Directive.objects.exists() and not Task.objects.exists()


def test_specialist_cannot_issue(staff_a, agency_a):
    with pytest.raises(PermissionDenied):
        services.directive_issue(
            actor=staff_a, organization=agency_a, title="Việc", tasks=[TaskSpec(title="Việc", lead_agency=agency_a)]
        )


def test_nothing_half_saved_when_one_task_is_bad(leader, province, agency_a, agency_b):
    with pytest.raises(ValidationError) as err:
        services.directive_issue(
            actor=leader, organization=province, title="Hai việc",
            tasks=[TaskSpec(title="Tốt", lead_agency=agency_a, deadline=in_days(5)),
                   TaskSpec(title="Xấu", lead_agency=agency_b, deadline=in_days(-3))],
        )  # fmt: skip
    assert "tasks.1.deadline" in err.value.message_dict
    assert not Directive.objects.exists() and not Task.objects.exists()


def test_deadline_before_assignment_refused(issue, agency_a):
    with pytest.raises(ValidationError, match="before the assignment date"):
        issue(agency_a, deadline=dt.date.today() - dt.timedelta(days=1))


def test_supporting_agency_cannot_be_the_lead(leader, province, agency_a):
    with pytest.raises(ValidationError):
        services.directive_issue(
            actor=leader, organization=province, title="x",
            tasks=[TaskSpec(title="x", lead_agency=agency_a, supporting_agencies=[agency_a])],
        )  # fmt: skip


def test_full_life_cycle(issue, agency_a, head_a, staff_a, leader):
    (task,) = issue(agency_a, deadline=in_days(30))
    task = services.task_accept(actor=staff_a, task=task)
    assert task.status == TaskStatus.ACCEPTED and task.accepted_at
    upload = SimpleUploadedFile("bao-cao.txt", "Đã khảo sát 12 điểm ngập".encode(), content_type="text/plain")
    report = services.task_report_progress(actor=staff_a, task=task, percentage=40, text="Đã khảo sát", files=[upload])
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS and task.progress == 40
    assert Attachment.objects.filter(target_type="directives.progressreport", target_id=str(report.pk)).count() == 1
    assert Notification.objects.filter(recipient=leader, title__contains="40%").exists()

    services.task_report_completion(actor=staff_a, task=task, text="Hoàn thành")
    task.refresh_from_db()
    assert task.status == TaskStatus.REPORTED_DONE and task.progress == 100
    services.task_send_back(actor=leader, task=task, reason="Thiếu số liệu")
    task.refresh_from_db()
    assert task.status == TaskStatus.SENT_BACK and task.reported_done_at is None
    services.task_report_completion(actor=staff_a, task=task, text="Bổ sung số liệu")
    task = services.task_confirm(actor=leader, task=task)
    assert task.status == TaskStatus.DONE and task.completed_at == task.reported_done_at
    assert Task.objects.with_deadline_state().get(pk=task.pk).deadline_state == DeadlineState.DONE_ON_TIME


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (TaskStatus.ASSIGNED, "confirm"),
        (TaskStatus.ASSIGNED, "report_done"),
        (TaskStatus.ASSIGNED, "progress"),
        (TaskStatus.ACCEPTED, "accept"),
        (TaskStatus.IN_PROGRESS, "confirm"),
        (TaskStatus.IN_PROGRESS, "send_back"),
        (TaskStatus.DONE, "report_done"),
        (TaskStatus.DONE, "cancel"),
        (TaskStatus.DONE, "progress"),
        (TaskStatus.CANCELLED, "accept"),
        (TaskStatus.CANCELLED, "confirm"),
        (TaskStatus.REPORTED_DONE, "progress"),
    ],
)
def test_illegal_transitions_refused(issue, agency_a, staff_a, leader, status, action):
    (task,) = issue(agency_a, deadline=in_days(10))
    Task.objects.filter(pk=task.pk).update(status=status)
    calls = {
        "accept": lambda: services.task_accept(actor=staff_a, task=task),
        "progress": lambda: services.task_report_progress(actor=staff_a, task=task, percentage=10, text="x"),
        "report_done": lambda: services.task_report_completion(actor=staff_a, task=task, text="x"),
        "confirm": lambda: services.task_confirm(actor=leader, task=task),
        "send_back": lambda: services.task_send_back(actor=leader, task=task, reason="x"),
        "cancel": lambda: services.task_cancel(actor=leader, task=task, reason="x"),
    }
    with pytest.raises(ValidationError) as err:
        calls[action]()
    assert "status" in err.value.message_dict
    assert Task.objects.get(pk=task.pk).status == status


def test_lead_agency_cannot_confirm_its_own_work(issue, agency_a, head_a, staff_a):
    (task,) = issue(agency_a)
    services.task_accept(actor=staff_a, task=task)
    services.task_report_completion(actor=staff_a, task=task, text="Xong")
    with pytest.raises(PermissionDenied):
        services.task_confirm(actor=head_a, task=task)


@pytest.mark.parametrize("value", [150, -1, "abc", None, 12.5, True])
def test_bad_percentage(issue, agency_a, staff_a, value):
    (task,) = issue(agency_a)
    services.task_accept(actor=staff_a, task=task)
    with pytest.raises(ValidationError) as err:
        services.task_report_progress(actor=staff_a, task=task, percentage=value, text="x")
    assert "percentage" in err.value.message_dict
    assert not task.progress_reports.exists()


def test_extension_approved_moves_the_deadline_and_keeps_history(issue, agency_a, staff_a, leader):
    (task,) = issue(agency_a, deadline=in_days(5))
    first = services.task_request_extension(actor=staff_a, task=task, requested_deadline=in_days(15), reason="Mưa")
    with pytest.raises(ValidationError, match="already waiting"):
        services.task_request_extension(actor=staff_a, task=task, requested_deadline=in_days(20), reason="Lại")
    with pytest.raises(PermissionDenied):
        services.task_decide_extension(actor=staff_a, extension=first, approve=True)
    services.task_decide_extension(actor=leader, extension=first, approve=True, note="Đồng ý")
    task.refresh_from_db()
    assert task.deadline == first.requested_deadline and task.original_deadline != task.deadline
    second = services.task_request_extension(actor=staff_a, task=task, requested_deadline=in_days(25), reason="Nữa")
    services.task_decide_extension(actor=leader, extension=second, approve=False)
    task.refresh_from_db()
    assert task.deadline == first.requested_deadline
    assert list(task.extension_requests.values_list("decision", flat=True)) == [
        ExtensionDecision.REFUSED, ExtensionDecision.APPROVED,
    ]  # fmt: skip
    with pytest.raises(ValidationError, match="already been decided"):
        services.task_decide_extension(actor=leader, extension=second, approve=True)


def test_extension_refused_on_closed_task(issue, agency_a, staff_a, leader):
    (task,) = issue(agency_a, deadline=in_days(5))
    services.task_cancel(actor=leader, task=task, reason="Không còn cần")
    with pytest.raises(ValidationError, match="closed task"):
        services.task_request_extension(actor=staff_a, task=task, requested_deadline=in_days(10), reason="x")


def test_pending_extension_cannot_be_approved_after_the_task_closes(issue, agency_a, staff_a, leader):
    (task,) = issue(agency_a, deadline=in_days(5))
    ext = services.task_request_extension(actor=staff_a, task=task, requested_deadline=in_days(10), reason="x")
    services.task_accept(actor=staff_a, task=task)
    services.task_report_completion(actor=staff_a, task=task, text="Xong")
    services.task_confirm(actor=leader, task=task)
    with pytest.raises(ValidationError, match="closed task"):
        services.task_decide_extension(actor=leader, extension=ext, approve=True)


def test_extension_must_be_later(issue, agency_a, staff_a):
    (task,) = issue(agency_a, deadline=in_days(10))
    with pytest.raises(ValidationError):
        services.task_request_extension(actor=staff_a, task=task, requested_deadline=in_days(5), reason="x")


def test_other_agency_cannot_work_the_task(issue, agency_a, staff_b, head_b):
    (task,) = issue(agency_a)
    for actor in (staff_b, head_b):
        with pytest.raises(PermissionDenied):
            services.task_accept(actor=actor, task=task)
        with pytest.raises(PermissionDenied):
            services.task_report_progress(actor=actor, task=task, percentage=5, text="x")
    assert Task.objects.get(pk=task.pk).status == TaskStatus.ASSIGNED


def test_text_is_nfc_and_hostile_text_is_stored_as_text(issue, agency_a, staff_a):
    (task,) = issue(agency_a)
    services.task_accept(actor=staff_a, task=task)
    report = services.task_report_progress(
        actor=staff_a, task=task, percentage=10, text="Ho\u0309a to\u0302\u0301c <script>alert(1)</script>"
    )
    assert report.text == "Hỏa tốc <script>alert(1)</script>"


def test_task_create_from_links_both_ways_and_is_idempotent(leader, agency_a, head_a):
    task = services.task_create_from(
        actor=leader, source_type="feedback.report", source_id="42", title="Phản ánh quá hạn: đèn đường hỏng",
        lead_agency=agency_a, deadline=in_days(3),
    )  # fmt: skip
    assert task.directive.source_kind == "citizen_report"
    assert (task.directive.source_type, task.directive.source_id) == ("feedback.report", "42")
    again = services.task_create_from(
        actor=leader, source_type="feedback.report", source_id="42", title="x", lead_agency=agency_a, deadline=None
    )
    assert again.pk == task.pk
    from cityops.directives.selectors import tasks_for_source

    assert list(tasks_for_source(actor=head_a, source_type="feedback.report", source_id=42)) == [task]


def test_task_create_from_refuses_an_agency_out_of_reach(head_a, agency_b):
    with pytest.raises(ValidationError):
        services.task_create_from(
            actor=head_a, source_type="operations.incident", source_id="7", title="Sự cố", lead_agency=agency_b,
            deadline=None,
        )  # fmt: skip


def test_bad_source_reference(leader, province, agency_a):
    with pytest.raises(ValidationError):
        services.directive_issue(
            actor=leader, organization=province, title="x", source_type="../etc", source_id="1",
            tasks=[TaskSpec(title="x", lead_agency=agency_a)],
        )  # fmt: skip
    with pytest.raises(ValidationError):  # a real model, a record that does not exist
        services.directive_issue(
            actor=leader, organization=province, title="x", source_type="core.organization", source_id="999999",
            tasks=[TaskSpec(title="x", lead_agency=agency_a)],
        )  # fmt: skip


def test_title_too_long_and_no_tasks(leader, province, agency_a):
    with pytest.raises(ValidationError):
        services.directive_issue(
            actor=leader, organization=province, title="x" * 501, tasks=[TaskSpec(title="x", lead_agency=agency_a)]
        )
    with pytest.raises(ValidationError, match="at least one task"):
        services.directive_issue(actor=leader, organization=province, title="x", tasks=[])
    assert not Directive.objects.exists()


def test_bad_file_in_a_report_saves_nothing(issue, agency_a, staff_a):
    (task,) = issue(agency_a)
    services.task_accept(actor=staff_a, task=task)
    fake = SimpleUploadedFile("../../etc/passwd.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError):
        services.task_report_progress(actor=staff_a, task=task, percentage=20, text="Kèm tệp", files=[fake])
    task.refresh_from_db()
    assert task.progress == 0 and not task.progress_reports.exists()
