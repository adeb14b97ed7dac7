"""The rest of issue 8's matrix: what one may not see never shows in exports, counts or notifications either.

Built on the matrix's world (one record of each module owned by agency B, each carrying ``SECRET``): agency A's
people, a citizen and anonymous visitors must find it in no export, no count, no notification and no public
feed. The lists, detail pages and search are walked in test_authorization_matrix.py.
"""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from cityops.core.choices import Role
from cityops.core.models import Notification
from cityops.core.services.apikeys import apikey_create
from cityops.documents.models import Register
from cityops.feedback.services import request_submit, request_verify
from tests.security.test_authorization_matrix import MARKER, SECRET

pytestmark = pytest.mark.django_db

API_LISTS = [
    "/api/v1/feedback/requests",
    "/api/v1/directives/tasks",
    "/api/v1/documents/incoming",
    "/api/v1/documents/outgoing",
    "/api/v1/schedule/events",
]


def b_register(world) -> Register:
    from django.utils import timezone

    from cityops.documents.services import _register_locked

    return _register_locked(organization=world.agency_b, direction="in", year=timezone.now().year, confidential=False)


def body_of(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    if raw.startswith(b"PK"):
        from io import BytesIO

        from openpyxl import load_workbook

        workbook = load_workbook(BytesIO(raw), read_only=True)
        return "\n".join(
            str(value) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for value in row
        )
    return raw.decode("utf-8-sig", errors="replace")


@pytest.mark.parametrize("role", ["specialist_a", "head_a"])
def test_exports_of_another_agency_hold_none_of_its_records(client, world, role):
    client.force_login(getattr(world, role))
    for url in [
        reverse("feedback:staff_export", args=["csv"]),
        reverse("feedback:staff_export", args=["xlsx"]),
        reverse("core:audit_export"),
        reverse("directives:statistics") + "?format=xlsx",
    ]:
        response = client.get(url)
        assert response.status_code in (200, 403, 404), f"{url}: {response.status_code}"
        text = body_of(response)
        assert SECRET not in text and world.feedback.tracking_code not in text, f"agency B's record in {url}"
    # agency B's own exports are not reachable at all
    assert client.get(reverse("datahub:dataset_export", args=[world.dataset.pk])).status_code == 404
    register = b_register(world)
    assert client.get(reverse("documents:register_xlsx", args=[register.pk])).status_code == 404


def test_owner_exports_do_hold_the_records(client, world):
    """Control: the exports above are not empty by accident: agency B's head finds the record in them."""
    client.force_login(world.head_b)
    assert world.feedback.tracking_code in body_of(client.get(reverse("feedback:staff_export", args=["csv"])))
    register = b_register(world)
    assert client.get(reverse("documents:register_xlsx", args=[register.pk])).status_code == 200


@pytest.mark.parametrize("role", ["specialist_a", "head_a"])
def test_counts_of_another_agency_are_zero(client, world, role, make_member):
    admin = make_member(world.province, Role.ADMINISTRATOR, username="count-admin")
    user = getattr(world, role)
    _key, raw = apikey_create(actor=admin, name="count", user=user, organization=world.agency_a)
    headers = {"X-API-Key": raw}
    for url in API_LISTS:
        page = client.get(url, headers=headers).json()
        assert page["count"] == 0 and page["items"] == [], f"{url} counts agency B's records for {role}"
    datasets = client.get("/api/v1/datahub/datasets", headers=headers).json()
    assert all(item["id"] != world.dataset.pk for item in datasets["items"])
    assert world.dataset.pk not in [d["id"] for d in datasets["items"]]
    search = client.get(f"/api/v1/search?q={MARKER}", headers=headers)
    assert SECRET not in search.content.decode()
    found = search.json()
    assert found.get("count", len(found.get("items", found.get("results", [])))) == 0
    # the owner's counts are not zero: the lists really hold the records
    _key, raw_b = apikey_create(actor=admin, name="count-b", user=world.head_b, organization=world.agency_b)
    for url in API_LISTS:
        assert client.get(url, headers={"X-API-Key": raw_b}).json()["count"] >= 1, url


def test_staff_pages_of_another_agency_show_no_count_of_its_records(client, world):
    client.force_login(world.head_a)
    stats = client.get(reverse("feedback:staff_stats"))
    assert stats.status_code in (200, 403, 404)
    assert SECRET not in stats.content.decode()


def test_notifications_about_a_record_reach_only_those_who_may_see_it(client, world):
    outsiders = [world.specialist_a, world.head_a, world.citizen]
    leaked = Notification.objects.filter(recipient__in=outsiders).filter(title__contains=SECRET)
    assert not leaked.exists()
    assert not Notification.objects.filter(recipient__in=outsiders, body__contains=SECRET).exists()
    for user in outsiders:
        client.force_login(user)
        assert SECRET not in client.get(reverse("core:notifications")).content.decode()
        assert SECRET not in client.get("/api/v1/notifications").content.decode()
    # control: the records did notify someone in agency B, so the check above is not vacuous
    assert Notification.objects.filter(recipient__memberships__organization=world.agency_b).exists()


def test_public_feeds_show_no_unpublished_or_private_record(client, world, make_member):
    # A citizen report becomes public once the IOC desk has verified it (docs/modules/feedback.md), so agency B's
    # verified report may show; one still waiting for the desk and business feedback never do.
    from cityops.feedback.choices import Kind
    from cityops.feedback.models import Category

    waiting = request_submit(
        actor=None, category=world.feedback.category, description="Qzwvunverified đèn chưa duyệt", lat="21.186",
        long="106.076",
    )  # fmt: skip
    business_category = Category.objects.create(code="qzwv-business", name_vi="Góp ý doanh nghiệp", kind=Kind.BUSINESS)
    business = request_submit(
        actor=None, category=business_category, description="Qzwvbusiness góp ý doanh nghiệp", lat="21.186",
        long="106.076",
    )  # fmt: skip
    request_verify(actor=make_member(world.province, Role.IOC_OPERATOR, username="desk2"), request=business)
    hidden = ["Qzwvunverified", "Qzwvbusiness"]
    for url in [reverse("feedback:index"), reverse("feedback:public_geojson")]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert all(text not in body_of(response) for text in hidden), f"an unpublished report shows on {url}"
        assert waiting.tracking_code not in body_of(response)
        assert MARKER in body_of(response), f"control: the verified report is listed on {url}"
    for url in [
        reverse("datahub:dcat_catalog"),
        reverse("schedule:public", kwargs={"code": world.agency_b.code}),
        reverse("core:announcements"),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert SECRET not in body_of(response), f"a private record shows on {url}"
    # Open311 lists every posted request by design (docs/modules/feedback.md), but never who sent it nor the
    # tracking code that lets its holder act on it.
    listing = json.loads(client.get("/open311/v2/requests.json?extensions=true").content)
    text = json.dumps(listing, ensure_ascii=False)
    assert listing and world.feedback.tracking_code not in text
    assert all("token" not in item and "email" not in item and "phone" not in item for item in listing)
