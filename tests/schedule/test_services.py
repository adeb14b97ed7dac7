"""Services of the work calendar: create, update, publish, cancel, conflicts, secretaries, privacy, audit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cityops.core.models import AuditEvent, Notification
from cityops.core.permissions import NotFoundOrForbidden
from cityops.schedule import selectors, services
from cityops.schedule.choices import EventStatus, Session
from cityops.schedule.models import Event
from tests.schedule.conftest import at

pytestmark = pytest.mark.django_db


def test_create_computes_day_and_session_and_stores_utc(make_event):
    event = make_event(start=at(2, 14, 30), end=at(2, 16))
    assert event.session == Session.AFTERNOON
    assert str(event.day) == "2026-11-25"
    assert event.start.utcoffset().total_seconds() == 0 or event.start.hour == 7
    event.refresh_from_db()
    assert event.start.astimezone(at(0, 0).tzinfo).hour == 14
    assert event.status == EventStatus.DRAFT and event.revision == 0
    evening = make_event(start=at(2, 19), end=at(2, 21))
    assert evening.session == Session.EVENING


def test_session_can_be_chosen(make_event):
    assert make_event(start=at(1, 11, 30), end=at(1, 13), session=Session.AFTERNOON).session == Session.AFTERNOON


def test_text_is_nfc_and_control_characters_go(make_event):
    decomposed = "Ho\u0323p giao ban\x00\x07"
    event = make_event(content=decomposed)
    assert event.content == "Họp giao ban"


def test_end_before_start_is_refused(make_event):
    with pytest.raises(ValidationError) as exc:
        make_event(start=at(0, 10), end=at(0, 9))
    assert "end" in exc.value.message_dict
    assert not Event.objects.exists()


def test_publish_bumps_revision_and_notifies_participants(make_event, office_clerk, vice_chairman, head_a, agency_a):
    event = make_event(participants=[vice_chairman], participating_agencies=[agency_a])
    assert not Notification.objects.exists()  # drafts invite nobody
    event = services.event_publish(actor=office_clerk, event=event)
    assert event.status == EventStatus.PUBLISHED and event.revision == 1
    recipients = set(Notification.objects.filter(kind="schedule").values_list("recipient__username", flat=True))
    assert {"pho.chu.tich", "giam.doc.a", "chu.tich"} <= recipients
    assert AuditEvent.objects.filter(verb="schedule.event.published", target_id=str(event.pk)).exists()
    with pytest.raises(ValidationError):
        services.event_publish(actor=office_clerk, event=event)


def test_update_of_published_item_is_next_revision(make_event, office_clerk):
    event = services.event_publish(actor=office_clerk, event=make_event())
    saved = services.event_update(actor=office_clerk, event=event, start=at(0, 9), end=at(0, 11), content="Đổi giờ")
    assert saved.event.revision == 2 and saved.event.status == EventStatus.PUBLISHED
    audit = AuditEvent.objects.get(verb="schedule.event.updated")
    assert audit.data["old"]["content"] == "Họp giao ban" and audit.data["new"]["content"] == "Đổi giờ"
    cancelled = services.event_cancel(actor=office_clerk, event=saved.event)
    assert cancelled.status == EventStatus.CANCELLED and cancelled.revision == 3
    with pytest.raises(ValidationError):
        services.event_update(actor=office_clerk, event=cancelled, start=at(0, 9), end=at(0, 11), content="x")


def test_room_double_booking_is_refused(make_event, room):
    make_event(room=room, start=at(1, 8), end=at(1, 10))
    with pytest.raises(ValidationError) as exc:
        make_event(room=room, start=at(1, 9), end=at(1, 11), content="Họp khác")
    assert "room" in exc.value.message_dict
    assert "Phòng họp số 1" in exc.value.message_dict["room"][0]
    assert Event.objects.count() == 1
    # Back to back is fine, and a cancelled booking frees the room.
    make_event(room=room, start=at(1, 10), end=at(1, 11))
    first = Event.objects.get(start=at(1, 8))
    services.event_cancel(actor=first.created_by, event=first)
    make_event(room=room, start=at(1, 8, 30), end=at(1, 9, 30))


def test_moving_an_item_onto_a_booked_room_is_refused(make_event, room, office_clerk):
    make_event(room=room, start=at(1, 8), end=at(1, 10))
    other = make_event(room=room, start=at(1, 14), end=at(1, 15))
    with pytest.raises(ValidationError):
        services.event_update(actor=office_clerk, event=other, start=at(1, 9), end=at(1, 10), content="x", room=room)
    other.refresh_from_db()
    assert other.start == at(1, 14)


def test_person_double_booking_is_only_a_warning(make_event, office_clerk, chairman, vice_chairman, province):
    make_event(start=at(3, 8), end=at(3, 10), participants=[vice_chairman])
    saved = services.event_create(
        actor=office_clerk, organization=province, leader=vice_chairman, start=at(3, 9), end=at(3, 11),
        content="Tiếp công dân", participants=[chairman],
    )  # fmt: skip
    assert saved.event.pk
    names = " ".join(saved.warnings)
    assert "Trần Thị Phó" in names and "Nguyễn Văn Chủ Tịch" in names
    assert "Họp giao ban" in names


def test_private_clash_is_not_described_to_others(make_event, secretary, chairman, office_clerk, province):
    make_event(actor=secretary, is_private=True, content="Khám sức khỏe", start=at(4, 8), end=at(4, 9))
    saved = services.event_create(
        actor=office_clerk, organization=province, leader=chairman, start=at(4, 8), end=at(4, 9), content="Họp"
    )
    assert saved.warnings and "Khám sức khỏe" not in " ".join(saved.warnings)


def test_secretary_acts_for_the_leader_and_sees_private_items(make_event, secretary, chairman, office_clerk):
    private = make_event(actor=secretary, is_private=True, content="Việc riêng")
    assert selectors.event_get(actor=secretary, pk=private.pk) == private
    assert selectors.event_get(actor=chairman, pk=private.pk) == private
    services.event_publish(actor=secretary, event=private)
    # The office clerk edits the organisation's items but never sees private ones, published or not.
    with pytest.raises(NotFoundOrForbidden):
        selectors.event_get(actor=office_clerk, pk=private.pk)
    with pytest.raises(NotFoundOrForbidden):
        services.event_cancel(actor=office_clerk, event=private)
    week = selectors.event_list(actor=office_clerk, start_day=at(0, 0).date())
    assert private not in list(week)
    assert private in list(selectors.event_list(actor=secretary, start_day=at(0, 0).date()))
    audit = AuditEvent.objects.get(verb="schedule.event.created", target_id=str(private.pk))
    assert audit.data["on_behalf_of"] == chairman.pk


def test_removed_secretary_loses_private_items(make_event, secretary, chairman):
    private = make_event(actor=secretary, is_private=True)
    assignment = chairman.schedule_secretaries.get()
    services.secretary_remove(actor=chairman, assignment=assignment)
    with pytest.raises(NotFoundOrForbidden):
        selectors.event_get(actor=secretary, pk=private.pk)


def test_stranger_cannot_add_to_a_leaders_schedule(province, chairman, clerk_b):
    with pytest.raises(PermissionDenied):
        services.event_create(actor=clerk_b, organization=province, leader=chairman, start=at(0, 8), end=at(0, 9),
                              content="x")  # fmt: skip


def test_presiding_leader_must_be_a_leader(province, office_clerk):
    with pytest.raises(ValidationError) as exc:
        services.event_create(actor=office_clerk, organization=province, leader=office_clerk, start=at(0, 8),
                              end=at(0, 9), content="x")  # fmt: skip
    assert "leader" in exc.value.message_dict


def test_agency_isolation_of_drafts(agency_a, agency_b, head_a, clerk_a, clerk_b, head_b):
    draft = services.event_create(
        actor=clerk_a, organization=agency_a, leader=head_a, start=at(0, 8), end=at(0, 9), content="Nội bộ Sở A"
    ).event
    assert selectors.event_get(actor=clerk_a, pk=draft.pk) == draft
    with pytest.raises(NotFoundOrForbidden):
        selectors.event_get(actor=clerk_b, pk=draft.pk)
    with pytest.raises(NotFoundOrForbidden):
        services.event_publish(actor=clerk_b, event=draft)
    with pytest.raises(NotFoundOrForbidden):
        services.event_update(actor=head_b, event=draft, start=at(0, 8), end=at(0, 9), content="đổi")
    assert draft not in list(selectors.event_list(actor=clerk_b, start_day=at(0, 0).date()))
    # Once published, it is public information, but B still cannot change it.
    services.event_publish(actor=clerk_a, event=draft)
    assert selectors.event_get(actor=clerk_b, pk=draft.pk) == draft
    with pytest.raises(NotFoundOrForbidden):
        services.event_cancel(actor=clerk_b, event=draft)


def test_room_must_belong_to_the_organisation_or_above(agency_a, agency_b, head_b, clerk_a, head_a, make_member):
    room_b = services.room_create(actor=head_b, organization=agency_b, name="Phòng B")
    with pytest.raises(ValidationError) as exc:
        services.event_create(actor=clerk_a, organization=agency_a, leader=head_a, start=at(0, 8), end=at(0, 9),
                              content="x", room=room_b)  # fmt: skip
    assert "room" in exc.value.message_dict


def test_feed_tokens_are_hashed_and_revocable(chairman, secretary, clerk_b, agency_a, province):
    token, raw = services.feed_token_create(actor=secretary, kind="person", person=chairman)
    assert raw not in token.digest and token.digest == services.feed_token_digest(raw)
    assert selectors.feed_token_resolve(raw) == token
    with pytest.raises(PermissionDenied):
        services.feed_token_create(actor=clerk_b, kind="person", person=chairman)
    with pytest.raises(PermissionDenied):
        services.feed_token_create(actor=clerk_b, kind="agency", agency=agency_a)
    with pytest.raises(PermissionDenied):
        services.feed_token_revoke(actor=clerk_b, token=token)
    services.feed_token_revoke(actor=chairman, token=token)
    assert selectors.feed_token_resolve(raw) is None
    assert selectors.feed_token_resolve("../../etc/passwd") is None


def test_notification_kind_is_known_from_start_up():
    from cityops.core.services.notifications import notification_kinds

    assert "schedule" in notification_kinds()


def test_agency_invited_twice_is_a_warning(make_event, office_clerk, province, vice_chairman, agency_a, agency_b):
    make_event(content="Hội nghị A", participating_agencies=[agency_a])
    saved = services.event_create(
        actor=office_clerk, organization=province, leader=vice_chairman, start=at(0, 9), end=at(0, 11),
        content="Hội nghị B", participating_agencies=iter([agency_a, agency_b]),
    )  # fmt: skip
    assert set(saved.event.participating_agencies.all()) == {agency_a, agency_b}
    assert any("Sở Xây dựng" in w and "Hội nghị A" in w for w in saved.warnings)
    assert not any("Sở Y tế" in w for w in saved.warnings)
