"""Each module's ``demo.py``: its sample data is loaded once, through its services, and shows on its pages."""

from __future__ import annotations

import pytest
from django.db.models import Model
from django.test import Client

from cityops.core.choices import Role
from cityops.core.models import AuditEvent
from cityops.core.services.demo import seed_demo
from cityops.datahub.models import AccessGrant, Dataset, Entity, Observation, Rollup, Sector
from cityops.directives.models import Directive, ProgressReport, Task
from cityops.documents.models import Direction, IncomingDocument, OutgoingDocument
from cityops.feedback.choices import Status
from cityops.feedback.models import Category, Rating, Request, RequestUpdate, RoutingRule
from cityops.schedule.models import Event, Room

pytestmark = pytest.mark.django_db

MODELS: tuple[type[Model], ...] = (
    Category, RoutingRule, Request, RequestUpdate, Rating,
    IncomingDocument, Direction, OutgoingDocument,
    Directive, Task, ProgressReport,
    Room, Event,
    Sector, Dataset, AccessGrant, Entity, Observation, Rollup,
)  # fmt: skip


@pytest.fixture
def seeded():
    return seed_demo()


def counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in MODELS} | {
        "audit": AuditEvent.objects.count()
    }


def test_second_run_creates_nothing(seeded):
    first = counts()
    assert all(first.values()), {label: n for label, n in first.items() if not n}
    seed_demo()
    assert counts() == first


def test_feedback_requests_in_several_states(seeded):
    statuses = set(Request.objects.values_list("status", flat=True))
    assert {Status.SUBMITTED, Status.VERIFIED, Status.ASSIGNED, Status.IN_PROGRESS, Status.RESOLVED} <= statuses
    published = Request.objects.filter(status=Status.PUBLISHED)
    assert published.exists() and Rating.objects.filter(request__in=published).count() == published.count()
    assert Request.objects.filter(organization__code="bn-so-xay-dung").count() >= 4
    assert all(req.area_id is not None and req.lat is not None for req in Request.objects.all())
    assert Category.objects.filter(code="road-damage").exists()


def test_other_modules_in_several_states(seeded):
    assert set(IncomingDocument.objects.values_list("status", flat=True)) == {"registered", "directed"}
    assert OutgoingDocument.objects.filter(status="draft").count() == 1
    assert {"done", "in_progress", "accepted", "assigned"} <= set(Task.objects.values_list("status", flat=True))
    assert Event.objects.filter(status="published").count() >= 5
    assert set(Dataset.objects.values_list("visibility", flat=True)) == {"public", "shared", "private"}
    assert {"AirQualityObserved", "TrafficFlowObserved", "WaterQualityObserved"} == set(
        Entity.objects.values_list("type", flat=True)
    )
    assert Rollup.objects.filter(period="hour").exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/feedback/", "Lý Thái Tổ"),
        ("/documents/", "chuyển đổi số ngành xây dựng"),
        ("/directives/", "giao ban vận hành Trung tâm Điều hành"),
        ("/schedule/", "Giao ban lãnh đạo UBND tỉnh"),
        ("/datahub/", "Danh mục các tuyến đường tỉnh"),
    ],
)
def test_leader_sees_the_seeded_items(seeded, url, expected):
    client = Client()
    client.force_login(seeded.users_by_role[Role.LEADER])
    response = client.get(url)
    assert response.status_code == 200
    assert expected in response.content.decode()


@pytest.mark.parametrize(
    "model",
    [Category, RoutingRule, Request, IncomingDocument, OutgoingDocument, Directive, Task, Room, Event, Sector, Dataset],
)
def test_seeded_records_went_through_the_services(seeded, model):
    label = model._meta.label_lower
    ids = {str(pk) for pk in model._default_manager.values_list("pk", flat=True)}
    audited = set(AuditEvent.objects.filter(target_type=label).values_list("target_id", flat=True))
    assert ids and ids <= audited


def test_sensors_written_through_the_audited_service(seeded):
    assert AuditEvent.objects.filter(verb__contains="entit").exists()
