"""Links to the record a task came from, for any module: registered resolvers, the generic one, no leaks."""

from __future__ import annotations

import pytest

from cityops.directives import services, sources
from cityops.directives.sources import SourceLink, register_source, resolve_source
from tests.directives.conftest import in_days

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(agency_a):
    """Two real incidents to escalate: "seen" (id as text) is the one the stand-in resolver shows to agency A."""
    from cityops.operations.models import Incident, IncidentType

    kind = IncidentType.objects.create(code="ngap-test", name="Ngập úng", default_severity="warning")
    made = [
        Incident.objects.create(organization=agency_a, title=title, incident_type=kind, severity="warning")
        for title in ("Ngập sâu đường Lý Thái Tổ", "Sự cố khác", "Sự cố")
    ]
    return {"seen": str(made[0].pk), "other": str(made[1].pk), "third": str(made[2].pk)}


@pytest.fixture
def incident_resolver(incidents):
    """A resolver registered over the operations module's own: only the "seen" incident, only to agency A."""
    seen: list[tuple[object, str]] = []

    def resolver(actor, source_id):
        seen.append((actor, source_id))
        allowed = getattr(actor, "username", "") in {"cv.xaydung", "gd.xaydung", "lanh.dao.tinh"}
        if source_id == incidents["seen"] and allowed:
            return SourceLink(url=f"/operations/incidents/{source_id}/", label="Ngập sâu đường Lý Thái Tổ")
        return None

    before = sources.source_resolvers()
    register_source("operations.incident", resolver)
    yield seen
    sources._RESOLVERS.clear()
    sources._RESOLVERS.update(before)


def test_incident_escalated_into_a_task_links_back(
    client, incidents, incident_resolver, leader, agency_a, staff_a, head_a
):
    seen = incidents["seen"]
    task = services.task_create_from(
        actor=leader,
        source_type="operations.incident",
        source_id=seen,
        title="Xử lý điểm ngập",
        lead_agency=agency_a,
        deadline=in_days(2),
    )
    assert task.directive.source_kind == "incident"
    client.force_login(staff_a)
    page = client.get(f"/directives/tasks/{task.pk}/").content.decode()
    assert f'href="/operations/incidents/{seen}/"' in page and "Ngập sâu đường Lý Thái Tổ" in page
    page = client.get(f"/directives/{task.directive_id}/").content.decode()
    assert 'data-testid="source-link"' in page
    # The other way: the incident finds its task.
    from cityops.directives.selectors import tasks_for_source

    assert list(tasks_for_source(actor=head_a, source_type="operations.incident", source_id=seen)) == [task]


def test_reader_who_may_not_see_the_source_gets_no_link(
    incidents, incident_resolver, leader, agency_a, make_member, province
):
    from cityops.core.choices import Role

    task = services.task_create_from(
        actor=leader,
        source_type="operations.incident",
        source_id=incidents["other"],
        title="Sự cố khác",
        lead_agency=agency_a,
        deadline=None,
    )
    inspector = make_member(province, Role.INSPECTOR, username="thanh.tra")
    assert resolve_source("operations.incident", incidents["other"], actor=inspector) is None
    assert resolve_source("operations.incident", incidents["seen"], actor=inspector) is None
    assert task.directive.source_id == incidents["other"]


def test_failing_resolver_never_breaks_the_task_page(client, incidents, leader, agency_a, staff_a):
    def broken(actor, source_id):
        raise RuntimeError("module down")

    before = sources.source_resolvers()
    register_source("operations.incident", broken)
    try:
        task = services.task_create_from(
            actor=leader,
            source_type="operations.incident",
            source_id=incidents["third"],
            title="Sự cố",
            lead_agency=agency_a,
            deadline=None,
        )
        client.force_login(staff_a)
        response = client.get(f"/directives/tasks/{task.pk}/")
        assert response.status_code == 200
        assert 'data-testid="source-link"' not in response.content.decode()
        assert 'data-testid="source-record"' in response.content.decode()
    finally:
        sources._RESOLVERS.clear()
        sources._RESOLVERS.update(before)


def test_generic_resolver_scopes_by_for_user_and_leaks_no_label(leader, agency_a, agency_b, staff_b, province):
    # core.organization has no get_absolute_url and no per-user scope: no link and no label.
    link = resolve_source("core.organization", str(agency_a.pk), actor=staff_b)
    assert link is None or (link.url is None and link.label == "")
    assert resolve_source("nosuch.model", "1", actor=staff_b) is None
    assert resolve_source("../../etc", "1", actor=staff_b) is None
    assert resolve_source("feedback.request", "not-a-number", actor=staff_b) is None
    assert resolve_source("", "", actor=staff_b) is None


def test_other_agency_cannot_open_an_escalated_task(client, incidents, incident_resolver, leader, agency_a, staff_b):
    task = services.task_create_from(
        actor=leader,
        source_type="operations.incident",
        source_id=incidents["seen"],
        title="Xử lý điểm ngập",
        lead_agency=agency_a,
        deadline=None,
    )
    client.force_login(staff_b)
    assert client.get(f"/directives/tasks/{task.pk}/").status_code == 404
    assert client.get(f"/directives/{task.directive_id}/").status_code == 404
    assert client.get(f"/api/v1/directives/tasks/{task.pk}").status_code == 404
