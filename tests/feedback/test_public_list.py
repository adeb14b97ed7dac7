"""The public list and map: filters by category, status and commune/ward, paging, diacritic-insensitive search."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityops.feedback import services, views
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def listed(client, **params) -> str:
    response = client.get(reverse("feedback:index"), params)
    assert response.status_code == 200
    body = response.content.decode()
    return body.split('data-testid="public-list"')[1].split("</ul>")[0]


@pytest.fixture
def spread(submit, desk_user, staff_b, agency_b, province, category):
    ward = OrganizationFactory(name="Phường Kinh Bắc", code="kinh-bac", kind="ward", parent=province)
    received = services.request_verify(
        actor=desk_user, request=submit(description="Đường Lý Thái Tổ tối om", area=ward)
    )
    handling = services.request_verify(actor=desk_user, request=submit(description="Cống thoát nước bị tắc"))
    handling = services.request_assign(actor=desk_user, request=handling, agency=agency_b)
    answered = services.request_verify(actor=desk_user, request=submit(description="Đèn chợ Nhớn hỏng"))
    answered = services.request_assign(actor=desk_user, request=answered, agency=agency_b)
    answered = services.request_accept(actor=staff_b, request=answered)
    answered = services.request_resolve(actor=staff_b, request=answered, answer="Đã thay bóng")
    answered = services.request_publish(actor=desk_user, request=answered)
    hidden_new = submit(description="Chưa xác minh")
    hidden_rejected = services.request_reject(
        actor=desk_user, request=submit(description="Nội dung xúc phạm"), reason="Sai"
    )
    merged = submit(description="Gộp vào báo cáo khác")
    services.request_merge(actor=desk_user, request=merged, original=received)
    return {"ward": ward, "received": received, "handling": handling, "answered": answered,
            "hidden": [hidden_new, hidden_rejected, merged]}  # fmt: skip


def test_only_reports_the_desk_let_through_are_public(client, spread):
    body = listed(client)
    for text in ("Đường Lý Thái Tổ tối om", "Cống thoát nước bị tắc", "Đèn chợ Nhớn hỏng"):
        assert text in body
    for text in ("Chưa xác minh", "Nội dung xúc phạm", "Gộp vào báo cáo khác"):
        assert text not in body
    assert "Đã thay bóng" in body


@pytest.mark.parametrize(
    ("status", "expected"),
    [("received", "Đường Lý Thái Tổ"), ("handling", "Cống thoát nước"), ("answered", "Đèn chợ Nhớn")],
)
def test_status_filter(client, spread, status, expected):
    body = listed(client, status=status)
    assert expected in body and body.count('data-testid="public-item"') == 1


def test_category_and_area_filters(client, spread):
    assert listed(client, area=spread["ward"].pk).count('data-testid="public-item"') == 1
    assert listed(client, category="road-damage").count('data-testid="public-item"') == 0
    assert listed(client, category="street-light").count('data-testid="public-item"') == 3


@pytest.mark.parametrize("query", ["ly thai to", "LÝ THÁI TỔ", "Lý  thái", "tối om", "toi OM"])
def test_search_ignores_diacritics_and_case(client, spread, query):
    body = listed(client, q=query)
    assert "Đường Lý Thái Tổ tối om" in body and body.count('data-testid="public-item"') == 1


def test_search_does_not_find_hidden_reports(client, spread):
    assert listed(client, q="xuc pham").count('data-testid="public-item"') == 0
    assert listed(client, q="chua xac minh").count('data-testid="public-item"') == 0


@pytest.mark.parametrize(
    "params",
    [
        {"status": "rejected"},
        {"status": "<script>"},
        {"area": "9" * 40},
        {"area": "-1"},
        {"category": "../../etc/passwd"},
        {"page": "abc"},
        {"page": "999999"},
        {"q": "x" * 10_000},
        {"q": "%_%"},
        {"q": "'; DROP TABLE feedback_request; --"},
    ],
)
def test_malformed_filters_answer_a_page(client, spread, params):
    response = client.get(reverse("feedback:index"), params)
    assert response.status_code == 200
    assert "Nội dung xúc phạm" not in response.content.decode()
    assert client.get(reverse("feedback:public_geojson"), params).status_code == 200


def test_search_text_is_escaped(client, spread):
    body = client.get(reverse("feedback:index"), {"q": '"><script>alert(1)</script>'}).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_paging_keeps_the_filters(client, spread, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    first = client.get(reverse("feedback:index"), {"category": "street-light", "q": "d"}).content.decode()
    assert first.count('data-testid="public-item"') == 1 and 'data-testid="public-next"' in first
    assert "category=street-light&amp;q=d&amp;page=2" in first
    seen = set()
    for page in (1, 2, 3):
        body = listed(client, category="street-light", page=page)
        seen.add(body)
    assert len(seen) == 3


def test_map_follows_the_filters(client, spread):
    geo = client.get(reverse("feedback:public_geojson"), {"status": "answered"}).json()
    assert [f["properties"]["answer"] for f in geo["features"]] == ["Đã thay bóng"]
    all_public = client.get(reverse("feedback:public_geojson")).json()["features"]
    assert len(all_public) == 3
    assert {f["properties"]["answer"] for f in all_public} == {"Đã thay bóng", ""}
    assert len({f["properties"]["status"] for f in all_public}) == 3  # verified, assigned, published
