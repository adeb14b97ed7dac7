"""Cached scoped reads of the dashboard (queue tile, report markers): the same answer as without the cache,
never another reader's answer, and a write shows on the next view."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.http import JsonResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cityops.core.choices import Role
from cityops.core.permissions import forget_memberships
from cityops.dashboard import selectors
from cityops.dashboard.views import _layer_params
from cityops.feedback import selectors as feedback_selectors
from cityops.feedback.services import request_reject, request_submit
from tests.dashboard.conftest import SECRET_B
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def reports(client, query=""):
    return client.get(reverse("dashboard:layer", kwargs={"key": "reports"}) + query)


def titles(response) -> list[str]:
    return [feature["properties"]["title"] for feature in response.json()["features"]]


@pytest.mark.parametrize("query", ["", "?days=5", "?bbox=106.0,21.0,106.075,21.185"])
def test_reports_layer_is_the_document_jsonresponse_wrote(client, world, settings, query):
    """The cached, pre-serialised layer is byte for byte what the unoptimised view answered."""
    settings.FEEDBACK_CACHE_SECONDS = 60
    client.force_login(world.leader)
    first = reports(client, query)
    again = reports(client, query)  # from the cache
    request = RequestFactory().get("/" + query)
    request.user = world.leader
    params = _layer_params(request)
    expected = JsonResponse(
        {"type": "FeatureCollection", "features": selectors.report_features(user=world.leader, params=params),
         "layer": "reports"}
    )  # fmt: skip
    assert first.content == again.content == expected.content
    assert first["Content-Type"] == expected["Content-Type"] == "application/json"


def test_reports_layer_cached_and_uncached_agree(client, world, settings):
    client.force_login(world.leader)
    settings.FEEDBACK_CACHE_SECONDS = 0
    plain = reports(client).content
    settings.FEEDBACK_CACHE_SECONDS = 60
    assert reports(client).content == reports(client).content == plain


def test_one_agency_never_gets_anothers_cached_markers(client, world):
    client.force_login(world.staff_b)
    assert titles(reports(client)) == [world.report_b.tracking_code]
    client.force_login(world.staff_a)
    body = reports(client).content.decode()
    assert titles(reports(client)) == [world.report_a.tracking_code]
    assert SECRET_B not in body and world.report_b.tracking_code not in body
    # ... and the other way round, with A's answer now cached.
    client.force_login(world.staff_b)
    assert titles(reports(client)) == [world.report_b.tracking_code]


def test_a_new_report_and_a_workflow_step_show_on_the_next_fetch(client, world):
    client.force_login(world.leader)
    before = titles(reports(client))
    new = request_submit(actor=None, category=world.report_a.category, description="Cây đổ chắn đường",
                         lat="21.181", long="106.071")  # fmt: skip
    assert titles(reports(client)) == [new.tracking_code, *before]
    request_reject(actor=world.operator, request=new, reason="Không thuộc thẩm quyền")
    feature = next(f for f in reports(client).json()["features"] if f["properties"]["title"] == new.tracking_code)
    assert feature["properties"]["status"] == "rejected" and feature["properties"]["group"] == "closed"


def test_a_new_membership_widens_the_cached_view_at_once(client, world):
    client.force_login(world.staff_a)
    assert titles(reports(client)) == [world.report_a.tracking_code]
    MembershipFactory(user=world.staff_a, organization=world.agency_b, role=Role.SPECIALIST)
    assert set(titles(reports(client))) == {world.report_a.tracking_code, world.report_b.tracking_code}


def test_the_language_is_part_of_the_key(client, world, settings):
    client.force_login(world.leader)
    vi = reports(client).json()["features"][0]["properties"]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    en = reports(client).json()["features"][0]["properties"]
    assert (vi["category"], en["category"]) == ("Đèn đường hỏng", "Street light")
    assert vi["status_label"] != en["status_label"]


def test_queue_tile_counts_per_reader_and_follow_writes(client, world):
    def tile(user):
        return selectors.feedback_summary(user=user)

    leader, staff_a, staff_b = tile(world.leader), tile(world.staff_a), tile(world.staff_b)
    assert (leader["open"], staff_a["open"], staff_b["open"]) == (2, 1, 1)
    request_submit(actor=None, category=world.report_a.category, description="Ổ gà mới", lat="21.18", long="106.07")
    assert tile(world.leader)["open"] == 3 and tile(world.leader)["at_desk"] == 1
    assert tile(world.staff_a)["open"] == 1  # still at the desk: not agency A's yet


def test_queue_tile_cached_equals_uncached(world, settings):
    settings.FEEDBACK_CACHE_SECONDS = 0
    plain = {user.pk: selectors.feedback_summary(user=user) for user in (world.leader, world.staff_a, world.staff_b)}
    settings.FEEDBACK_CACHE_SECONDS = 60
    for _ in range(2):
        for user in (world.leader, world.staff_a, world.staff_b):
            assert selectors.feedback_summary(user=user) == plain[user.pk]


def test_cached_overview_reads_no_report_rows(client, world):
    """Once cached, the overview's queue tile costs one version statement, not four counts over the reports."""
    client.force_login(world.leader)
    client.get(reverse("dashboard:index"))
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("dashboard:index")).status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"] and "feedback_request" in q["sql"]]
    assert counts == []


def test_scope_keys_differ_between_people_and_memberships(world):
    keys = {feedback_selectors.scope_key(u) for u in (world.leader, world.staff_a, world.staff_b, world.head_a)}
    assert len(keys) == 4
    before = feedback_selectors.scope_key(world.staff_a)
    MembershipFactory(user=world.staff_a, organization=world.agency_b, role=Role.SPECIALIST)
    forget_memberships(world.staff_a)
    assert feedback_selectors.scope_key(world.staff_a) != before


def test_reports_layer_json_is_valid_and_bounded(client, world):
    client.force_login(world.leader)
    data = json.loads(reports(client).content)
    assert data["layer"] == "reports" and len(data["features"]) <= selectors.MAX_FEATURES


def test_sensor_titles_read_from_the_name_attribute_alone(client, world):
    """The layer reads only ``attributes.name``: a Property, a bare string, or none (the id's last part)."""
    from cityops.datahub.models import Entity

    Entity.objects.create(organization=world.agency_a, entity_id="urn:ngsi-ld:AirQualityObserved:bare",
                          type="AirQualityObserved", latitude=21.1, longitude=106.1,
                          attributes={"name": "Trạm chợ"})  # fmt: skip
    Entity.objects.create(organization=world.agency_a, entity_id="urn:ngsi-ld:AirQualityObserved:anon-7",
                          type="AirQualityObserved", latitude=21.1, longitude=106.1, attributes={})  # fmt: skip
    client.force_login(world.leader)
    features = client.get(reverse("dashboard:layer", kwargs={"key": "sensors"})).json()["features"]
    titles = {f["properties"]["title"] for f in features}
    assert {"tram-a", f"{SECRET_B}-tram", "Trạm chợ", "anon-7"} == titles
    urls = {f["properties"]["url"] for f in features}
    assert reverse("dashboard:sensor", kwargs={"pk": world.sensor_a.pk}) in urls


def test_queue_tile_counts_equal_one_count_each(world, settings):
    """The tile's single pass over open reports counts what four separate counts counted."""
    import datetime as dt

    from django.utils import timezone

    from cityops.feedback import selectors as fs
    from cityops.feedback.choices import Status
    from cityops.feedback.models import Request

    settings.FEEDBACK_CACHE_SECONDS = 0
    late = request_submit(actor=None, category=world.report_a.category, description="Quá hạn", lat="21.18",
                          long="106.07")  # fmt: skip
    Request.objects.filter(pk=late.pk).update(deadline=timezone.now() - dt.timedelta(days=2))
    closed_late = request_reject(
        actor=world.operator,
        request=request_submit(actor=None, category=world.report_b.category, description="Sai", lat="21.19",
                               long="106.08"),
        reason="Không thuộc thẩm quyền",
    )  # fmt: skip
    Request.objects.filter(pk=closed_late.pk).update(deadline=timezone.now() - dt.timedelta(days=2))
    now = timezone.now()
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    for user in (world.leader, world.operator, world.staff_a, world.staff_b, world.head_a):
        scoped = fs.request_list(actor=user).order_by()
        open_requests = scoped.filter(status__in=selectors.OPEN_STATUSES)
        expected = {
            "open": open_requests.count(),
            "overdue": open_requests.filter(deadline__lt=now).count(),
            "new_today": scoped.filter(created_at__gte=start_of_day).count(),
            "at_desk": scoped.filter(status__in=[Status.SUBMITTED, Status.VERIFIED]).count(),
        }
        tile = selectors.feedback_summary(user=user)
        assert {key: tile[key] for key in expected} == expected
    assert selectors.feedback_summary(user=world.leader)["overdue"] == 1
