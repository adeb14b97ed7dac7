"""Kinds of submission: on-site problems need a place; ideas do not; business feedback stays out of public view."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cityops.feedback import services
from cityops.feedback.models import Category, Request
from tests.feedback.conftest import LAT, LONG, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def idea(db, agency_a):
    return Category.objects.create(code="idea", name_vi="Hiến kế", kind="recommendation", default_agency=agency_a)


@pytest.fixture
def business(db, agency_a):
    return Category.objects.create(
        code="business", name_vi="Phản ánh của doanh nghiệp", kind="business", default_agency=agency_a
    )


def test_a_problem_needs_a_place_an_idea_does_not(submit, idea):
    with pytest.raises(ValidationError) as info:
        submit(lat="", long="")
    assert "lat" in info.value.message_dict
    req = submit(category=idea, lat="", long="", description="Đề nghị thêm ghế đá ở công viên")
    assert req.lat is None and req.address == ""
    with pytest.raises(ValidationError):
        submit(category=idea, lat="10.77", long="106.70")  # a place, if given, is still checked


def test_form_groups_categories_by_kind_and_takes_an_idea_without_place(client, simple_category, idea, business):
    body = client.get(reverse("feedback:report")).content.decode()
    assert body.count("<optgroup") == 3
    data = {"category": idea.pk, "description": "Đề nghị mở thêm thư viện", "lat": "", "long": "", "address": ""}
    response = client.post(reverse("feedback:report"), data)
    assert response.status_code == 302 and Request.objects.get().category == idea
    response = client.post(reverse("feedback:report"), {**data, "category": "<script>"})
    assert response.status_code == 400


def _published(submit, desk_user, staff_a, agency_a, category):
    req = submit(category=category, description="Hoàn thuế chậm")
    return publish(req, desk_user, staff_a, agency_a, answer="Đã hoàn thuế")


def test_business_feedback_stays_out_of_public_view(client, submit, desk_user, staff_a, agency_a, business):
    req = _published(submit, desk_user, staff_a, agency_a, business)
    assert "Hoàn thuế chậm" not in client.get(reverse("feedback:index")).content.decode()
    assert "Hoàn thuế chậm" not in client.get(reverse("feedback:index"), {"q": "hoan thue"}).content.decode()
    assert client.get(reverse("feedback:public_geojson")).json()["features"] == []
    assert json.loads(client.get("/open311/v2/requests.json").content) == []
    assert client.get(f"/open311/v2/requests/{req.pk}.json").status_code == 404
    assert json.loads(client.get("/open311/v2/servicerequestupdates.json").content) == []
    # The business itself follows it with its tracking code, and may rate it.
    page = client.get(reverse("feedback:track", args=[req.tracking_code])).content.decode()
    assert "Đã hoàn thuế" in page and 'data-testid="rate-form"' in page


def test_business_feedback_is_not_suggested_or_joinable(client, submit, desk_user, business):
    req = services.request_verify(actor=desk_user, request=submit(category=business, description="Thủ tục đất đai"))
    params = {"category": business.pk, "lat": LAT, "long": LONG, "q": "Thủ tục đất đai"}
    assert "Thủ tục đất đai" not in client.get(reverse("feedback:duplicates"), params).content.decode()
    assert client.post(reverse("feedback:join", args=[req.pk])).status_code == 404
    assert Request.objects.get(pk=req.pk).joined_count == 0
