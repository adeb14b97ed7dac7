"""Citizen and staff pages: reporting, keeping the citizen's text on errors, tracking, actions, isolation."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cityops.feedback import services
from cityops.feedback.choices import Status
from cityops.feedback.models import Rating, Request
from tests.feedback.conftest import LAT, LONG, png_bytes, publish

pytestmark = pytest.mark.django_db


def form_data(cat, **changes):
    data = {"category": cat.pk, "description": "Ổ gà lớn trước cổng trường", "lat": LAT, "long": LONG,
            "address": "Đường Lý Thái Tổ", "contact_email": "", "contact_phone": "", "contact_name": ""}  # fmt: skip
    data.update(changes)
    return data


def test_index_resolves_and_shows_emergency_numbers(client):
    response = client.get(reverse("feedback:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="emergency-note"' in body and "113" in body and "114" in body and "115" in body


def test_report_form_has_map_and_no_inline_script(client, simple_category):
    body = client.get(reverse("feedback:report")).content.decode()
    assert "vendor/leaflet/leaflet.js" in body and "feedback/report.js" in body
    assert 'id="id_lat"' in body and 'id="id_long"' in body  # works without JavaScript
    assert "<script>" not in body and "onclick" not in body


def test_report_with_photo_redirects_to_tracking(client, simple_category):
    photo = SimpleUploadedFile("ổ gà.png", png_bytes(), content_type="image/png")
    response = client.post(reverse("feedback:report"), {**form_data(simple_category), "photos": [photo]})
    req = Request.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("feedback:track", args=[req.tracking_code])
    page = client.get(response["Location"]).content.decode()
    assert req.tracking_code in page and "Ổ gà lớn trước cổng trường" in page


@pytest.mark.parametrize(
    ("changes", "error_field"),
    [
        ({"lat": "abc"}, "lat"),
        ({"lat": "10.77", "long": "106.70"}, "lat"),
        ({"lat": "", "long": "", "address": ""}, "lat"),
        ({"description": "x" * 4001}, "description"),
        ({"category": "999999"}, "category"),
    ],
)
def test_validation_error_keeps_the_citizens_text(client, simple_category, changes, error_field):
    data = form_data(simple_category, **changes)
    response = client.post(reverse("feedback:report"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert f'data-testid="error-{error_field}"' in body
    if error_field != "description":
        assert "Ổ gà lớn trước cổng trường" in body
    assert Request.objects.count() == 0


def test_fake_image_keeps_text_and_saves_nothing(client, simple_category):
    fake = SimpleUploadedFile("anh.jpg", b"this is text, not a JPEG", content_type="image/jpeg")
    response = client.post(reverse("feedback:report"), {**form_data(simple_category), "photos": [fake]})
    assert response.status_code == 400
    assert "Ổ gà lớn trước cổng trường" in response.content.decode()
    assert Request.objects.count() == 0


def test_script_in_text_is_escaped_everywhere(client, simple_category, desk_user):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    client.post(reverse("feedback:report"), form_data(simple_category, description=payload, address=payload))
    req = Request.objects.get()
    for page in (reverse("feedback:track", args=[req.tracking_code]),):
        body = client.get(page).content.decode()
        assert "<script>alert" not in body and "<img src=x" not in body and "&lt;script&gt;" in body
    client.force_login(desk_user)
    body = client.get(reverse("feedback:staff_detail", args=[req.pk])).content.decode()
    assert "<script>alert" not in body and "<img src=x" not in body


def test_track_lookup_and_unknown_code(client, submit):
    req = submit()
    response = client.get(reverse("feedback:track_lookup"), {"code": req.tracking_code.lower()})
    assert response["Location"] == reverse("feedback:track", args=[req.tracking_code])
    assert client.get(reverse("feedback:track", args=["PANOTEXIST"])).status_code == 404


def _published(submit, desk_user, staff_b, agency_b, **kwargs):
    return publish(submit(**kwargs), desk_user, staff_b, agency_b, answer="Đã xử lý xong")


def test_citizen_rates_and_reopens_with_the_code(client, submit, desk_user, staff_b, agency_b):
    req = _published(submit, desk_user, staff_b, agency_b)
    page = client.get(reverse("feedback:track", args=[req.tracking_code])).content.decode()
    assert "Đã xử lý xong" in page and 'data-testid="rate-form"' in page
    assert client.post(reverse("feedback:track_rate", args=[req.tracking_code]), {"score": "9"}).status_code == 400
    client.post(reverse("feedback:track_rate", args=[req.tracking_code]), {"score": "5", "comment": "Tốt"})
    assert Rating.objects.get(request=req).score == 5
    assert client.post(reverse("feedback:track_reopen", args=[req.tracking_code]), {"reason": ""}).status_code == 400
    client.post(reverse("feedback:track_reopen", args=[req.tracking_code]), {"reason": "Vẫn hỏng"})
    assert Request.objects.get(pk=req.pk).status == Status.REOPENED


def test_staff_runs_the_workflow_from_the_request_page(client, submit, desk_user, staff_b, agency_b):
    req = submit()
    client.force_login(desk_user)
    queue = client.get(reverse("feedback:staff_queue")).content.decode()
    assert req.tracking_code in queue
    act = reverse("feedback:staff_act", args=[req.pk])
    assert client.post(act, {"action": "verify"}).status_code == 302
    page = client.get(reverse("feedback:staff_detail", args=[req.pk])).content.decode()
    assert 'data-testid="suggested-agency"' in page and agency_b.name in page
    client.post(act, {"action": "assign", "agency": agency_b.pk})
    assert client.post(act, {"action": "accept"}).status_code == 403  # the desk is not the agency
    client.force_login(staff_b)
    client.post(act, {"action": "accept"})
    photo = SimpleUploadedFile("sau.png", png_bytes(), content_type="image/png")
    client.post(act, {"action": "progress", "text": "Đang sửa", "public": "1", "photos": [photo]})
    client.post(act, {"action": "resolve", "text": "Đã sửa xong"})
    assert client.post(act, {"action": "publish"}).status_code in {403, 404}
    client.force_login(desk_user)
    client.post(act, {"action": "publish"})
    req.refresh_from_db()
    assert req.status == Status.PUBLISHED and req.status_notes == "Đã sửa xong"
    # The public photo of the progress update shows on the citizen's page.
    assert "sau.png" in client.get(reverse("feedback:track", args=[req.tracking_code])).content.decode()


def test_illegal_action_from_the_page_is_400(client, submit, desk_user):
    req = submit()
    client.force_login(desk_user)
    act = reverse("feedback:staff_act", args=[req.pk])
    assert client.post(act, {"action": "publish"}).status_code == 400
    assert client.post(act, {"action": "reject", "text": ""}).status_code == 400
    assert client.post(act, {"action": "nonsense"}).status_code == 400
    assert Request.objects.get(pk=req.pk).status == Status.SUBMITTED


def test_overdue_is_highlighted(client, submit, desk_user):
    from datetime import timedelta

    from django.utils import timezone

    req = submit()
    Request.objects.filter(pk=req.pk).update(deadline=timezone.now() - timedelta(hours=1))
    client.force_login(desk_user)
    assert "fb-overdue" in client.get(reverse("feedback:staff_queue")).content.decode()


def test_agency_a_cannot_see_or_act_on_agency_b(client, submit, desk_user, staff_a, staff_b, agency_b):
    req = services.request_verify(actor=desk_user, request=submit())
    req = services.request_assign(actor=desk_user, request=req, agency=agency_b)
    client.force_login(staff_a)
    assert req.tracking_code not in client.get(reverse("feedback:staff_queue")).content.decode()
    assert client.get(reverse("feedback:staff_detail", args=[req.pk])).status_code == 404
    assert client.post(reverse("feedback:staff_act", args=[req.pk]), {"action": "accept"}).status_code == 404
    assert Request.objects.get(pk=req.pk).status == Status.ASSIGNED


def test_anonymous_reporter_hidden_from_agency(client, submit, desk_user, staff_b, agency_b):
    req = submit(is_anonymous=True, contact_phone="0912345678")
    req = services.request_verify(actor=desk_user, request=req)
    req = services.request_assign(actor=desk_user, request=req, agency=agency_b)
    client.force_login(staff_b)
    assert "0912345678" not in client.get(reverse("feedback:staff_detail", args=[req.pk])).content.decode()
    client.force_login(desk_user)
    assert "0912345678" in client.get(reverse("feedback:staff_detail", args=[req.pk])).content.decode()


def test_citizen_sees_only_own(client, submit, citizen, make_member, province):
    mine = submit(actor=citizen)
    other = submit()
    client.force_login(citizen)
    assert client.get(reverse("feedback:staff_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("feedback:staff_detail", args=[other.pk])).status_code == 404
    queue = client.get(reverse("feedback:staff_queue")).content.decode()
    assert mine.tracking_code in queue and other.tracking_code not in queue


def test_staff_pages_need_login(client, submit):
    req = submit()
    assert client.get(reverse("feedback:staff_queue")).status_code == 302
    assert client.post(reverse("feedback:staff_act", args=[req.pk]), {"action": "verify"}).status_code == 302


def test_flooding_from_one_address_is_throttled_and_text_kept(client, simple_category, settings):
    settings.FEEDBACK_RATE_LIMIT_PER_ADDRESS = 2
    for _ in range(2):
        assert client.post(reverse("feedback:report"), form_data(simple_category)).status_code == 302
    response = client.post(reverse("feedback:report"), form_data(simple_category))
    assert response.status_code == 429 and response["Retry-After"]
    assert "Ổ gà lớn trước cổng trường" in response.content.decode()
    assert Request.objects.count() == 2
    other = client.post(reverse("feedback:report"), form_data(simple_category), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302


def test_public_list_map_and_filters(client, submit, desk_user, staff_b, agency_b, province, category):
    from tests.factories import OrganizationFactory

    ward = OrganizationFactory(name="Phường Kinh Bắc", code="kinh-bac", kind="ward", parent=province)
    in_ward = _published(submit, desk_user, staff_b, agency_b, area=ward, description="<b>Đèn</b> ở phường")
    elsewhere = _published(submit, desk_user, staff_b, agency_b, description="Đèn nơi khác")
    unpublished = submit(description="Chưa xử lý")
    body = client.get(reverse("feedback:index")).content.decode()
    assert "Đèn nơi khác" in body and "Chưa xử lý" not in body and 'data-testid="public-map"' in body
    body = client.get(reverse("feedback:index"), {"area": ward.pk}).content.decode()
    assert "Đèn nơi khác" not in body and "&lt;b&gt;Đèn&lt;/b&gt; ở phường" in body
    assert "Đèn nơi khác" not in client.get(reverse("feedback:index"), {"category": "road-damage"}).content.decode()
    geo = client.get(reverse("feedback:public_geojson")).json()
    assert len(geo["features"]) == 2
    assert set(geo["features"][0]["properties"]) == {"category", "status", "closed", "description", "answer"}
    assert len(client.get(reverse("feedback:public_geojson"), {"area": ward.pk}).json()["features"]) == 1
    for bad in ({"area": "x"}, {"area": "9" * 30}, {"page": "-1"}):
        assert client.get(reverse("feedback:index"), bad).status_code == 200
    assert unpublished.pk and in_ward.pk and elsewhere.pk


def test_report_with_area(client, simple_category, province):
    from tests.factories import OrganizationFactory

    ward = OrganizationFactory(name="Phường Vũ Ninh", code="vu-ninh", kind="ward", parent=province)
    assert "Phường Vũ Ninh" in client.get(reverse("feedback:report")).content.decode()
    client.post(reverse("feedback:report"), form_data(simple_category, area=ward.pk))
    assert Request.objects.get().area == ward
    response = client.post(reverse("feedback:report"), form_data(simple_category, area=province.pk))
    assert response.status_code == 400  # the province is not a commune or ward


def test_extra_questions_on_the_web_form(client, category, simple_category):
    page = client.get(reverse("feedback:report")).content.decode()
    assert 'data-testid="questions-road-damage"' in page and f'name="attr-{category.pk}-size"' in page
    assert "questions-street-light" not in page  # no extra questions there
    data = form_data(category)
    response = client.post(reverse("feedback:report"), data)
    assert response.status_code == 400 and "Kích thước ổ gà" in response.content.decode()
    data[f"attr-{category.pk}-lanes"] = ["left", "right"]
    data[f"attr-{category.pk}-size"] = "huge"
    response = client.post(reverse("feedback:report"), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert '<option value="left" selected>' in body and '<option value="right" selected>' in body  # kept
    data[f"attr-{category.pk}-size"] = "large"
    assert client.post(reverse("feedback:report"), data).status_code == 302
    assert Request.objects.get().attributes == {"size": "large", "lanes": ["left", "right"]}


def test_assign_with_supporting_agency_from_the_page(client, submit, desk_user, agency_a, agency_b):
    req = services.request_verify(actor=desk_user, request=submit())
    client.force_login(desk_user)
    act = reverse("feedback:staff_act", args=[req.pk])
    response = client.post(act, {"action": "assign", "agency": agency_b.pk, "supporting": [agency_a.pk, "x"]})
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.organization == agency_b and list(req.supporting_agencies.all()) == [agency_a]
    assert agency_a.name in client.get(reverse("feedback:staff_detail", args=[req.pk])).content.decode()
