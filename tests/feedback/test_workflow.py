"""The request workflow: intake, every legal and illegal transition, roles, deadlines, audit and notifications."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cityops.core.choices import Role
from cityops.core.models import AuditEvent, Notification
from cityops.core.workdays import deadline_for
from cityops.feedback import services
from cityops.feedback.choices import TRANSITIONS, Status
from cityops.feedback.models import Rating, Request, RequestUpdate
from cityops.feedback.selectors import request_list, routing_suggestion
from tests.feedback.conftest import LAT

pytestmark = pytest.mark.django_db
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_intake_goes_to_the_desk_with_a_deadline_and_code(
    submit, province, desk_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        req = submit()
    assert req.organization == province
    assert req.status == Status.SUBMITTED
    assert req.tracking_code.startswith("PA") and len(req.tracking_code) == 12
    assert req.deadline is not None and req.deadline > req.created_at
    assert AuditEvent.objects.filter(verb="feedback.request.submitted", target_id=str(req.pk)).exists()
    assert Notification.objects.filter(recipient=desk_user, kind="feedback.submitted").exists()


def test_full_workflow_to_rating(submit, desk_user, staff_b, agency_b, citizen, django_capture_on_commit_callbacks):
    req = submit(actor=citizen)
    req = services.request_verify(actor=desk_user, request=req)
    assert routing_suggestion(req) == agency_b  # the category's default agency
    with django_capture_on_commit_callbacks(execute=True):
        req = services.request_assign(actor=desk_user, request=req, agency=agency_b)
    assert req.organization == agency_b
    assert Notification.objects.filter(recipient=staff_b, kind="feedback.assigned").exists()
    req = services.request_accept(actor=staff_b, request=req)
    req = services.request_progress(actor=staff_b, request=req, note="Đội điện lực đang thay bóng")
    req = services.request_resolve(actor=staff_b, request=req, answer="Đã thay bóng đèn mới.")
    assert req.status == Status.RESOLVED and req.is_open
    with django_capture_on_commit_callbacks(execute=True):
        req = services.request_publish(actor=desk_user, request=req)
    assert req.status == Status.PUBLISHED and not req.is_open and req.closed_at is not None
    assert req.status_notes == "Đã thay bóng đèn mới."
    assert Notification.objects.filter(recipient=citizen, kind="feedback.answered").exists()
    services.request_rate(actor=None, request=req, score=4)
    with pytest.raises(ValidationError):
        services.request_rate(actor=None, request=req, score=5)
    assert Rating.objects.get(request=req).score == 4
    statuses = list(RequestUpdate.objects.filter(request=req).values_list("new_status", flat=True))
    assert statuses == ["submitted", "verified", "assigned", "accepted", "in_progress", "resolved", "published"]
    assert AuditEvent.objects.filter(verb="feedback.request.status_changed", target_id=str(req.pk)).count() == 6


def test_reopen_once_then_refused(submit, desk_user, staff_b, agency_b, province):
    req = submit()
    for step in (
        lambda r: services.request_verify(actor=desk_user, request=r),
        lambda r: services.request_assign(actor=desk_user, request=r, agency=agency_b),
        lambda r: services.request_accept(actor=staff_b, request=r),
        lambda r: services.request_resolve(actor=staff_b, request=r, answer="Xong"),
        lambda r: services.request_publish(actor=desk_user, request=r),
    ):
        req = step(req)
    req = services.request_reopen(actor=None, request=req, reason="Đèn vẫn chưa sáng")
    assert req.status == Status.REOPENED and req.organization == province and req.closed_at is None
    req = services.request_assign(actor=desk_user, request=req, agency=agency_b)
    req = services.request_accept(actor=staff_b, request=req)
    req = services.request_resolve(actor=staff_b, request=req, answer="Đã sửa lại")
    req = services.request_publish(actor=desk_user, request=req)
    with pytest.raises(ValidationError) as info:
        services.request_reopen(actor=None, request=req, reason="Lại hỏng")
    assert "reason" in info.value.message_dict
    assert Request.objects.get(pk=req.pk).status == Status.PUBLISHED


ALL = list(Status.values)
ILLEGAL = [(old, new) for old in ALL for new in ALL if new not in TRANSITIONS[old]]


@pytest.mark.parametrize(("old", "new"), ILLEGAL)
def test_every_illegal_transition_is_refused(submit, old, new):
    req = submit()
    Request.objects.filter(pk=req.pk).update(status=old)
    with pytest.raises(ValidationError):
        services._transition(actor=None, req=req, to=new, action=None)
    assert Request.objects.get(pk=req.pk).status == old
    assert not RequestUpdate.objects.filter(request=req, new_status=new, old_status=old).exists()


def test_every_legal_transition_is_accepted(submit):
    for old, targets in TRANSITIONS.items():
        for new in targets:
            req = submit()
            Request.objects.filter(pk=req.pk).update(status=old)
            assert services._transition(actor=None, req=req, to=new, action=None).status == new


def test_agency_cannot_take_desk_actions_and_desk_cannot_take_agency_actions(submit, desk_user, staff_b, agency_b):
    req = submit()
    with pytest.raises(PermissionDenied):
        services.request_verify(actor=staff_b, request=req)
    req = services.request_verify(actor=desk_user, request=req)
    req = services.request_assign(actor=desk_user, request=req, agency=agency_b)
    with pytest.raises(PermissionDenied):
        services.request_accept(actor=desk_user, request=req)


def test_reject_needs_a_reason_shown_to_the_citizen(submit, desk_user):
    req = submit()
    with pytest.raises(ValidationError):
        services.request_reject(actor=desk_user, request=req, reason="  ")
    req = services.request_reject(actor=desk_user, request=req, reason="Không thuộc phạm vi")
    assert req.status_notes == "Không thuộc phạm vi" and req.open311_status == "closed"


def test_return_goes_back_to_the_desk(submit, desk_user, staff_b, agency_b, province):
    req = services.request_verify(actor=desk_user, request=submit())
    req = services.request_assign(actor=desk_user, request=req, agency=agency_b)
    with pytest.raises(ValidationError):
        services.request_return(actor=staff_b, request=req, reason="")
    req = services.request_return(actor=staff_b, request=req, reason="Không đúng thẩm quyền")
    assert req.status == Status.RETURNED and req.organization == province


def test_duplicate_points_at_the_original(submit, desk_user):
    original, copy = submit(), submit()
    req = services.request_mark_duplicate(actor=desk_user, request=copy, original=original)
    assert req.duplicate_of == original and str(original.pk) in req.status_notes
    assert original.tracking_code not in req.status_notes  # the code would let the copy's holder act on it
    with pytest.raises(ValidationError):
        services.request_mark_duplicate(actor=desk_user, request=original, original=original)


def test_deadline_counts_working_days_over_a_weekend_and_holiday(submit, category, monkeypatch):
    # Friday 2026-04-24; Hùng Kings day 2026 is Sunday 26 April (observed Monday 27); 30/4 and 1/5 off.
    start = dt.datetime(2026, 4, 24, 9, 0, tzinfo=HCM)
    monkeypatch.setattr("django.utils.timezone.now", lambda: start)
    req = submit(category=category, attributes={"size": ["small"]})
    assert req.deadline == deadline_for(start, days=3)
    local = req.deadline.astimezone(HCM)
    assert local.weekday() < 5 and local.date() > dt.date(2026, 4, 29)


def test_hours_deadline(submit, monkeypatch):
    start = dt.datetime(2026, 11, 27, 16, 0, tzinfo=HCM)  # Friday afternoon
    monkeypatch.setattr("django.utils.timezone.now", lambda: start)
    req = submit()  # 8 working hours
    assert req.deadline == deadline_for(start, hours=8)
    assert req.deadline.astimezone(HCM).date() == dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"lat": "abc"}, "lat"),
        ({"lat": "91", "long": "106"}, "lat"),
        ({"long": "181"}, "long"),
        ({"lat": "10.77", "long": "106.70"}, "lat"),  # Hồ Chí Minh City: outside the jurisdiction
        ({"lat": LAT, "long": None}, "lat"),
        ({"lat": None, "long": None, "address": ""}, "lat"),
        ({"description": "x" * 4001}, "description"),
        ({"description": "   "}, "description"),
        ({"category": None}, "category"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"lat": "NaN"}, "lat"),
    ],
)
def test_bad_input_is_refused_and_nothing_saved(submit, changes, field):
    with pytest.raises(ValidationError) as info:
        submit(**changes)
    assert field in info.value.message_dict
    assert Request.objects.count() == 0


def test_4000_characters_are_accepted(submit):
    assert len(submit(description="đ" * 4000).description) == 4000


def test_attribute_answers_are_checked(submit, category):
    with pytest.raises(ValidationError) as info:
        submit(category=category, attributes={})
    assert "attribute[size]" in info.value.message_dict
    for bad in ({"size": ["huge"]}, {"size": ["small"], "lanes": ["middle"]}, {"size": ["small"], "depth": ["deep"]},
                {"size": ["small"], "seen_at": ["2026-01-01T10:00:00"]}):  # fmt: skip
        with pytest.raises(ValidationError):
            submit(category=category, attributes=bad)
    answers = {"size": ["large"], "lanes": ["left", "right"], "depth": ["12.5"],
               "seen_at": ["2026-01-01T10:00:00+07:00"], "unknown": ["x"]}  # fmt: skip
    req = submit(category=category, attributes=answers)
    assert req.attributes == {"size": "large", "lanes": ["left", "right"], "depth": "12.5",
                              "seen_at": "2026-01-01T10:00:00+07:00"}  # fmt: skip


def test_fake_image_is_refused_whole(submit):
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("photo.jpg", b"just some text pretending", content_type="image/jpeg")
    with pytest.raises(ValidationError) as info:
        submit(photos=[fake])
    assert "photos" in info.value.message_dict
    assert Request.objects.count() == 0


def test_nfc_on_intake(submit):
    req = submit(description="Đe\u0300n đường hỏng")
    assert req.description == "Đèn đường hỏng"


def test_isolation_between_agencies(submit, desk_user, staff_a, staff_b, agency_b, citizen):
    mine = submit(actor=citizen)
    other = submit()
    for req in (mine, other):
        services.request_verify(actor=desk_user, request=req)
        services.request_assign(actor=desk_user, request=req, agency=agency_b)
    assert set(request_list(actor=staff_b)) == {mine, other}
    assert list(request_list(actor=staff_a)) == []
    with pytest.raises(PermissionDenied):
        services.request_accept(actor=staff_a, request=mine)
    with pytest.raises(PermissionDenied):
        services.request_note(actor=staff_a, request=mine, text="x")
    assert list(request_list(actor=citizen)) == [mine]
    assert set(request_list(actor=desk_user)) == {mine, other}


def test_desk_operator_in_the_ioc_unit_is_province_wide(
    submit, province, agency_b, make_member, django_capture_on_commit_callbacks
):
    """As in the demo: the IOC operator belongs to the IOC centre's unit, not to the province itself."""
    from tests.factories import OrganizationFactory

    ioc = OrganizationFactory(name="Trung tâm IOC", code="ioc", kind="department", parent=province)
    operator = make_member(ioc, Role.IOC_OPERATOR, username="vanhanh")
    other_root = OrganizationFactory(name="Tỉnh khác", code="other-province", kind="province", parent=None)
    stranger = make_member(other_root, Role.IOC_OPERATOR, username="stranger")
    with django_capture_on_commit_callbacks(execute=True):
        req = submit()
    assert Notification.objects.filter(recipient=operator, kind="feedback.submitted").exists()
    assert not Notification.objects.filter(recipient=stranger).exists()
    req = services.request_verify(actor=operator, request=req)
    req = services.request_assign(actor=operator, request=req, agency=agency_b)
    assert list(request_list(actor=operator)) == [req]
    assert list(request_list(actor=stranger)) == []
    with pytest.raises(PermissionDenied):
        services.request_reject(actor=stranger, request=submit(), reason="x")
    with pytest.raises(ValidationError):
        services.request_assign(actor=operator, request=services.request_verify(actor=operator, request=submit()),
                                agency=other_root)  # fmt: skip


def test_supporting_agencies_see_and_note_but_do_not_handle(
    submit, desk_user, staff_a, staff_b, agency_a, agency_b, make_member, province, django_capture_on_commit_callbacks
):
    from tests.factories import OrganizationFactory

    agency_c = OrganizationFactory(name="Sở Tài chính", code="so-tai-chinh", kind="department", parent=province)
    staff_c = make_member(agency_c, Role.SPECIALIST, username="staff-c")
    req = services.request_verify(actor=desk_user, request=submit())
    with django_capture_on_commit_callbacks(execute=True):
        req = services.request_assign(actor=desk_user, request=req, agency=agency_b, supporting=[agency_a])
    assert Notification.objects.filter(recipient=staff_a, kind="feedback.assigned").exists()
    assert list(request_list(actor=staff_a)) == [req]
    assert list(request_list(actor=staff_c)) == []
    services.request_note(actor=staff_a, request=req, text="Sở Xây dựng sẽ phối hợp")
    with pytest.raises(PermissionDenied):
        services.request_accept(actor=staff_a, request=req)
    with pytest.raises(PermissionDenied):
        services.request_note(actor=staff_c, request=req, text="x")
    services.request_accept(actor=staff_b, request=req)
    assert AuditEvent.objects.filter(verb="feedback.request.supporting_agencies_set").exists()
