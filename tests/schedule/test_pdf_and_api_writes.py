"""The published week as a server-made PDF, and the API writes (same rules as the pages)."""

from __future__ import annotations

import io

import pytest
from django.utils import translation
from pypdf import PdfReader

from cityops.core.models import AuditEvent
from cityops.schedule import services
from cityops.schedule.choices import EventStatus
from cityops.schedule.models import Event
from tests.schedule.conftest import at

pytestmark = pytest.mark.django_db


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


@pytest.fixture
def week(make_event, office_clerk, secretary, room, vice_chairman, agency_a, clerk_a, head_a):
    public = services.event_publish(
        actor=office_clerk,
        event=make_event(content="Họp Ủy ban nhân dân tỉnh", room=room, participants=[vice_chairman],
                         participating_agencies=[agency_a], preparing_agency=agency_a,
                         accompanying_staff="LĐVP: Đ/c Hùng"),
    )  # fmt: skip
    services.event_update(actor=office_clerk, event=public, start=at(0, 8, 30), end=at(0, 10), content=public.content,
                          room=room, participants=[vice_chairman], participating_agencies=[agency_a],
                          preparing_agency=agency_a, accompanying_staff="LĐVP: Đ/c Hùng")  # fmt: skip
    private = make_event(actor=secretary, content="Việc riêng của Chủ tịch", is_private=True, start=at(1, 8),
                         end=at(1, 9))  # fmt: skip
    services.event_publish(actor=secretary, event=private)
    make_event(content="Bản nháp chưa công bố", start=at(2, 8), end=at(2, 9))
    other = services.event_create(actor=clerk_a, organization=agency_a, leader=head_a, start=at(3, 14), end=at(3, 15),
                                  content="Lịch của Sở A").event  # fmt: skip
    services.event_publish(actor=clerk_a, event=other)
    return public


def test_published_week_pdf_is_landscape_vietnamese_with_revision(client, week, province):
    with translation.override("vi"):
        response = client.get(f"/schedule/public/{province.code}/pdf/?week=2026-W48", HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    reader = PdfReader(io.BytesIO(response.content))
    box = reader.pages[0].mediabox
    assert box.width > box.height  # landscape
    text = _pdf_text(response.content)
    assert "Họp Ủy ban nhân dân tỉnh" in text and "Phòng họp số 1" in text and "LĐVP: Đ/c Hùng" in text
    assert "23/11/2026" in text and "29/11/2026" in text
    assert "Điều chỉnh 1 lần" in text and "điều chỉnh lần 2" in text
    # Private items, drafts and other organisations' items never appear.
    assert "Việc riêng" not in text and "Bản nháp" not in text and "Sở A" not in text.replace("Sở Xây", "")


def test_pdf_is_linked_from_the_published_and_week_pages(client, week, province, office_clerk):
    page = client.get(f"/schedule/public/{province.code}/?week=2026-W48")
    assert f"/schedule/public/{province.code}/pdf/?week=2026-W48".encode() in page.content
    client.force_login(office_clerk)
    page = client.get(f"/schedule/?week=2026-W48&org={province.pk}")
    assert b'data-testid="schedule-week-pdf"' in page.content


def test_pdf_of_unknown_organisation_or_hostile_week_is_safe(client, week, province):
    assert client.get("/schedule/public/no-such-org/pdf/").status_code == 404
    response = client.get(f"/schedule/public/{province.code}/pdf/?week=<script>alert(1)</script>")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_pdf_reports_cancellations_and_adjustments(client, week, province, office_clerk):
    services.event_cancel(actor=office_clerk, event=week)
    text = _pdf_text(client.get(f"/schedule/public/{province.code}/pdf/?week=2026-W48").content)
    assert "[Đã hủy]" in text and "Điều chỉnh 2 lần" in text and "điều chỉnh lần 3" in text


# --- API writes ---------------------------------------------------------------------------------------------


def _body(province, chairman, **extra):
    body = {
        "organization": province.pk, "leader": chairman.pk, "start": "2026-11-24T08:00:00+07:00",
        "end": "2026-11-24T09:00:00+07:00", "content": "Làm việc với Sở Xây dựng",
    }  # fmt: skip
    body.update(extra)
    return body


def test_api_create_update_publish_cancel(client, office_clerk, province, chairman, room, vice_chairman):
    client.force_login(office_clerk)
    response = client.post(
        "/api/v1/schedule/events",
        _body(province, chairman, room=room.pk, participant_ids=[vice_chairman.pk]),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["occurrences"] == 1 and data["event"]["status"] == "draft" and data["event"]["room"] == "Phòng họp số 1"
    pk = data["event"]["id"]
    change = {"start": "2026-11-24T09:00:00+07:00", "end": "2026-11-24T10:00:00+07:00", "content": "Đổi giờ"}
    response = client.put(f"/api/v1/schedule/events/{pk}", change, content_type="application/json")
    assert response.status_code == 200 and response.json()["event"]["content"] == "Đổi giờ"
    response = client.post(f"/api/v1/schedule/events/{pk}/publish", {}, content_type="application/json")
    assert response.status_code == 200 and response.json()["revision"] == 1
    response = client.post(f"/api/v1/schedule/events/{pk}/cancel", {}, content_type="application/json")
    assert response.json()["status"] == "cancelled" and response.json()["revision"] == 2
    assert AuditEvent.objects.filter(verb="schedule.event.cancelled").count() == 1
    again = client.post(f"/api/v1/schedule/events/{pk}/cancel", {}, content_type="application/json")
    assert again.status_code == 400


def test_api_room_double_booking_is_400_and_person_clash_a_warning(client, make_event, office_clerk, province,
                                                                   chairman, room):  # fmt: skip
    make_event(room=room, start=at(1, 8), end=at(1, 10), content="Đã đặt")
    client.force_login(office_clerk)
    response = client.post("/api/v1/schedule/events", _body(province, chairman, room=room.pk),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 400
    assert response.json()["error"]["fields"][0]["field"] == "room"
    response = client.post("/api/v1/schedule/events", _body(province, chairman), content_type="application/json")
    assert response.status_code == 201
    assert "Nguyễn Văn Chủ Tịch" in response.json()["warnings"][0] and "Đã đặt" in response.json()["warnings"][0]
    assert Event.objects.count() == 2


def test_api_recurring_series_and_rule_bomb(client, office_clerk, province, chairman):
    client.force_login(office_clerk)
    response = client.post(
        "/api/v1/schedule/events",
        _body(province, chairman, recurrence="FREQ=WEEKLY;COUNT=5", exceptions=["2026-12-01"]),
        content_type="application/json",
    )
    assert response.status_code == 201 and response.json()["occurrences"] == 4
    pk = response.json()["event"]["id"]
    response = client.post(f"/api/v1/schedule/events/{pk}/publish", {"whole_series": True},
                           content_type="application/json")  # fmt: skip
    assert Event.objects.filter(status=EventStatus.PUBLISHED).count() == 4
    bomb = client.post("/api/v1/schedule/events", _body(province, chairman, recurrence="FREQ=SECONDLY"),
                       content_type="application/json")  # fmt: skip
    assert bomb.status_code == 400 and bomb.json()["error"]["fields"][0]["field"] == "recurrence"
    assert Event.objects.count() == 4


@pytest.mark.parametrize(
    "extra",
    [
        {"end": "2026-11-24T07:00:00+07:00"},
        {"content": ""},
        {"content": "x" * 3000},
        {"room": 999999},
        {"participant_ids": [999999]},
        {"participant_ids": list(range(1, 300))},
        {"start": "not a date"},
        {"start": "1800-01-01T08:00:00+07:00", "end": "1800-01-01T09:00:00+07:00"},
        {"recurrence": "FREQ=DAILY;" + "X" * 300},
    ],
)
def test_api_bad_input_is_400_and_saves_nothing(client, office_clerk, province, chairman, extra):
    client.force_login(office_clerk)
    response = client.post("/api/v1/schedule/events", _body(province, chairman, **extra),
                           content_type="application/json")  # fmt: skip
    assert response.status_code == 400 and response.json()["error"]["code"] == "validation_error"
    assert not Event.objects.exists()


def test_api_cross_agency_and_private_items(client, agency_a, head_a, clerk_a, clerk_b, head_b, secretary, chairman,
                                            province, office_clerk, make_event):  # fmt: skip
    draft_a = services.event_create(actor=clerk_a, organization=agency_a, leader=head_a, start=at(0, 8),
                                    end=at(0, 9), content="Nội bộ Sở A").event  # fmt: skip
    client.force_login(clerk_b)
    change = {"start": "2026-11-23T08:00:00+07:00", "end": "2026-11-23T09:00:00+07:00", "content": "Đổi"}
    assert (
        client.put(f"/api/v1/schedule/events/{draft_a.pk}", change, content_type="application/json").status_code == 404
    )
    for action in ("publish", "cancel"):
        response = client.post(f"/api/v1/schedule/events/{draft_a.pk}/{action}", {}, content_type="application/json")
        assert response.status_code == 404
    response = client.post("/api/v1/schedule/events", _body(agency_a, head_a), content_type="application/json")
    assert response.status_code == 403
    draft_a.refresh_from_db()
    assert draft_a.content == "Nội bộ Sở A" and draft_a.status == EventStatus.DRAFT
    # A private item: the office clerk may not change it, the secretary may.
    private = make_event(actor=secretary, content="Riêng", is_private=True)
    client.force_login(office_clerk)
    assert (
        client.put(f"/api/v1/schedule/events/{private.pk}", change, content_type="application/json").status_code == 404
    )
    client.force_login(secretary)
    assert (
        client.put(f"/api/v1/schedule/events/{private.pk}", change, content_type="application/json").status_code == 200
    )


def test_api_writes_need_sign_in(client, province, chairman):
    assert client.post("/api/v1/schedule/events", _body(province, chairman),
                       content_type="application/json").status_code == 401  # fmt: skip


def test_changes_since_the_first_publication_are_marked(client, make_event, office_clerk, province, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone as tz

    real_now = tz.now
    first = services.event_publish(actor=office_clerk, event=make_event(content="Họp thường kỳ"))
    kept = services.event_publish(
        actor=office_clerk, event=make_event(content="Làm việc với Sở Tài chính", start=at(2, 8), end=at(2, 9))
    )
    dropped = services.event_publish(
        actor=office_clerk, event=make_event(content="Đi thực tế huyện", start=at(3, 8), end=at(3, 9))
    )
    later = real_now() + timedelta(hours=3)
    monkeypatch.setattr(tz, "now", lambda: later)
    services.event_update(actor=office_clerk, event=first, start=at(0, 9), end=at(0, 11), content="Họp thường kỳ")
    services.event_cancel(actor=office_clerk, event=dropped)
    services.event_publish(
        actor=office_clerk, event=make_event(content="Tiếp đoàn công tác", start=at(4, 8), end=at(4, 9))
    )
    page = client.get(f"/schedule/public/{province.code}/?week=2026-W48").content.decode()
    assert page.count('data-testid="change-added"') == 1 and page.count('data-testid="change-changed"') == 1
    assert 'data-testid="schedule-changes"' in page
    text = _pdf_text(client.get(f"/schedule/public/{province.code}/pdf/?week=2026-W48").content)
    assert "[Mới] Tiếp đoàn" in text and "[Đã điều chỉnh] Họp thường kỳ" in text and "[Đã hủy] Đi thực tế" in text
    assert "1 mới, 1 đã điều chỉnh, 1 đã hủy" in text
    assert kept.revision == 1 and "Làm việc với Sở Tài chính" in text
