"""Pages of the work calendar: access, the weekly table, the form, the printable and public weeks, feeds page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityops.schedule import services
from cityops.schedule.models import Event, FeedToken
from tests.schedule.conftest import at

pytestmark = pytest.mark.django_db
WEEK = "2026-W48"


def test_index_resolves_and_needs_sign_in(client):
    assert reverse("schedule:index") == "/schedule/"
    response = client.get("/schedule/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_week_shows_items_by_day_and_session(client, make_event, office_clerk, province):
    services.event_publish(actor=office_clerk, event=make_event(content="Họp giao ban tuần"))
    make_event(content="Làm việc buổi chiều", start=at(0, 14), end=at(0, 16))
    client.force_login(office_clerk)
    body = client.get(f"/schedule/?week={WEEK}&org={province.pk}").content.decode()
    assert body.count('data-testid="schedule-day"') == 7
    assert "Họp giao ban tuần" in body and "Làm việc buổi chiều" in body
    assert body.index("Họp giao ban tuần") < body.index("Làm việc buổi chiều")
    assert 'data-status="draft"' in body


def test_public_page_shows_only_published_non_private_items(client, make_event, office_clerk, secretary, province):
    services.event_publish(actor=office_clerk, event=make_event(content="Công khai"))
    make_event(content="Nháp chưa duyệt", start=at(1, 8), end=at(1, 9))
    services.event_publish(
        actor=secretary, event=make_event(actor=secretary, content="Riêng tư", is_private=True, start=at(2, 8),
                                          end=at(2, 9)),
    )  # fmt: skip
    response = client.get(f"/schedule/public/{province.code}/?week={WEEK}")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Công khai" in body and "Nháp chưa duyệt" not in body and "Riêng tư" not in body
    assert "schedule:event" not in body and "/schedule/events/" not in body


def test_print_page_is_standalone_with_print_css(client, make_event, office_clerk):
    make_event(content="In lịch")
    client.force_login(office_clerk)
    body = client.get(f"/schedule/print/?week={WEEK}").content.decode()
    assert "In lịch" in body and "schedule/schedule.css" in body and 'class="sidebar"' not in body


def test_form_creates_a_draft_and_shows_conflict_warnings(client, province, chairman, secretary, make_event):
    make_event(content="Đã có lịch", start=at(0, 8), end=at(0, 10))
    client.force_login(secretary)
    response = client.post(
        "/schedule/events/new/",
        {"organization": province.pk, "leader": chairman.pk, "day": "2026-11-23", "start_time": "09:00",
         "end_time": "11:00", "content": "Họp mới"},
        follow=True,
    )  # fmt: skip
    assert response.status_code == 200
    event = Event.objects.get(content="Họp mới")
    assert event.status == "draft" and event.created_by == secretary
    assert "Đã có lịch" in response.content.decode()  # the warning, shown as a message


def test_form_refuses_a_booked_room_with_a_field_error(client, province, chairman, office_clerk, room, make_event):
    make_event(room=room)
    client.force_login(office_clerk)
    response = client.post(
        "/schedule/events/new/",
        {"organization": province.pk, "leader": chairman.pk, "day": "2026-11-23", "start_time": "09:00",
         "end_time": "11:00", "content": "Trùng phòng", "room": room.pk},
    )  # fmt: skip
    assert response.status_code == 400
    assert 'data-testid="error-room"' in response.content.decode()
    assert not Event.objects.filter(content="Trùng phòng").exists()


def test_other_agency_gets_404_on_drafts(client, agency_a, head_a, clerk_a, clerk_b):
    draft = services.event_create(
        actor=clerk_a, organization=agency_a, leader=head_a, start=at(0, 8), end=at(0, 9), content="Nội bộ"
    ).event
    client.force_login(clerk_b)
    assert client.get(f"/schedule/events/{draft.pk}/").status_code == 404
    assert client.get(f"/schedule/events/{draft.pk}/edit/").status_code == 404
    assert client.post(f"/schedule/events/{draft.pk}/publish/").status_code == 404
    assert client.post(f"/schedule/events/{draft.pk}/cancel/").status_code == 404
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert "Nội bộ" not in client.get(f"/schedule/?week={WEEK}&org={agency_a.pk}").content.decode()


def test_publish_through_the_page(client, make_event, office_clerk):
    event = make_event()
    client.force_login(office_clerk)
    assert client.post(f"/schedule/events/{event.pk}/publish/").status_code == 302
    event.refresh_from_db()
    assert event.status == "published" and event.revision == 1


def test_feeds_page_shows_the_address_once_and_revokes(client, chairman):
    client.force_login(chairman)
    response = client.post("/schedule/feeds/", {"kind": "person", "person": chairman.pk})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="feed-url"' in body
    token = FeedToken.objects.get()
    assert "/schedule/feeds/" in body and token.digest not in body
    assert 'data-testid="feed-url"' not in client.get("/schedule/feeds/").content.decode()
    client.post("/schedule/feeds/", {"action": "revoke", "id": token.pk})
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_feeds_page_refuses_another_persons_calendar(client, chairman, clerk_b):
    client.force_login(clerk_b)
    response = client.post("/schedule/feeds/", {"kind": "person", "person": chairman.pk})
    assert response.status_code == 400 and not FeedToken.objects.exists()


def test_agency_staff_read_the_province_leadership_week(client, make_event, office_clerk, clerk_a, province):
    services.event_publish(actor=office_clerk, event=make_event(content="Hội nghị tỉnh"))
    make_event(content="Nháp của tỉnh", start=at(1, 8), end=at(1, 9))
    client.force_login(clerk_a)
    body = client.get(f"/schedule/?week={WEEK}").content.decode()  # default: the highest organisation
    assert "Hội nghị tỉnh" in body and "Nháp của tỉnh" not in body
    assert f'<option value="{province.pk}" selected' in body


@pytest.mark.parametrize("week", ["9999-W52", "0000-W01", "2026-W99", "<script>", "2026-W"])
def test_odd_week_values_fall_back_to_this_week(client, office_clerk, province, week):
    client.force_login(office_clerk)
    assert client.get("/schedule/", {"week": week}).status_code == 200
    assert client.get(f"/schedule/public/{province.code}/", {"week": week}).status_code == 200


def test_form_refuses_far_years(client, province, chairman, office_clerk):
    client.force_login(office_clerk)
    response = client.post(
        "/schedule/events/new/",
        {"organization": province.pk, "leader": chairman.pk, "day": "9999-12-31", "start_time": "09:00",
         "end_time": "11:00", "content": "x"},
    )  # fmt: skip
    assert response.status_code == 400 and not Event.objects.exists()


def test_edit_page_changes_a_published_item_to_the_next_revision(client, make_event, office_clerk, chairman):
    event = services.event_publish(actor=office_clerk, event=make_event())
    client.force_login(chairman)
    assert client.get(f"/schedule/events/{event.pk}/edit/").status_code == 200
    response = client.post(
        f"/schedule/events/{event.pk}/edit/",
        {"day": "2026-11-24", "start_time": "15:00", "end_time": "16:00", "content": "Dời sang chiều thứ Ba"},
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.revision == 2 and event.session == "afternoon" and str(event.day) == "2026-11-24"
    body = client.get(f"/schedule/leaders/{chairman.pk}/?week={WEEK}").content.decode()
    assert "Dời sang chiều thứ Ba" in body and 'data-testid="schedule-meta"' in body


def test_week_page_queries_do_not_grow_with_items(client, make_event, office_clerk, vice_chairman, agency_a,
                                                  django_assert_max_num_queries):  # fmt: skip
    for day in range(5):
        make_event(start=at(day, 8), end=at(day, 9), participants=[vice_chairman], participating_agencies=[agency_a])
    client.force_login(office_clerk)
    client.get(f"/schedule/?week={WEEK}")  # warm the session and caches
    with django_assert_max_num_queries(20):
        client.get(f"/schedule/?week={WEEK}")
    for day in range(5):
        make_event(start=at(day, 14), end=at(day, 15), participants=[vice_chairman])
    with django_assert_max_num_queries(20):
        client.get(f"/schedule/?week={WEEK}")


@pytest.mark.parametrize("value", ["99999999999999999999999", "1e5", "-3", "٣"])
def test_odd_filter_values_are_ignored(client, office_clerk, value):
    client.force_login(office_clerk)
    assert client.get("/schedule/", {"org": value}).status_code == 200
    assert client.get("/schedule/print/", {"leader": value, "org": value}).status_code == 200
    assert client.get("/api/v1/schedule/events", {"organization": value}).status_code in {200, 400}
