"""Who sees what: lead and supporting agencies, the directing organisation, watchers; never another agency."""

from __future__ import annotations

import pytest

from cityops.core.choices import Role
from cityops.core.permissions import NotFoundOrForbidden
from cityops.core.search import search
from cityops.directives import services
from cityops.directives.selectors import directive_get, directive_list, task_get, task_list
from cityops.directives.services import TaskSpec
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_agency_b_cannot_see_agency_a_tasks(issue, agency_a, staff_a, staff_b, head_b):
    (task,) = issue(agency_a, title="Nạo vét kênh")
    assert list(task_list(actor=staff_a)) == [task]
    for outsider in (staff_b, head_b):
        assert list(task_list(actor=outsider)) == []
        assert list(directive_list(actor=outsider)) == []
        with pytest.raises(NotFoundOrForbidden):
            task_get(actor=outsider, pk=task.pk)
        with pytest.raises(NotFoundOrForbidden):
            directive_get(actor=outsider, pk=task.directive_id)
        assert search(outsider, "nao vet kenh") == []
    assert {hit.object_type for hit in search(staff_a, "nao vet kenh")} == {"directives.directive", "directives.task"}


def test_supporting_agency_and_watcher_see_the_task(leader, province, agency_a, agency_b, staff_b, make_member):
    outsider_org = OrganizationFactory(name="Sở Tài chính", code="so-tai-chinh", parent=province)
    watcher = make_member(outsider_org, Role.SPECIALIST)
    directive = services.directive_issue(
        actor=leader, organization=province, title="Phòng dịch",
        tasks=[TaskSpec(title="Phun khử khuẩn", lead_agency=agency_a, supporting_agencies=[agency_b],
                        watchers=[watcher])],
    )  # fmt: skip
    task = directive.tasks.get()
    assert list(task_list(actor=staff_b)) == [task]
    assert list(task_list(actor=watcher)) == [task]
    assert task_get(actor=staff_b, pk=task.pk).pk == task.pk
    assert list(directive_list(actor=staff_b)) == [directive]
    assert list(task_list(actor=staff_b)) == [task]  # no duplicate rows from the joins


def test_directing_organisation_subtree_sees_what_it_directed(issue, agency_a, agency_b, province, make_member):
    issue(agency_a, agency_b)
    office = OrganizationFactory(name="Văn phòng UBND", code="vp-ubnd", parent=province)
    # An inspector of the province reaches every agency anyway; a unit below the province does not.
    inspector = make_member(province, Role.INSPECTOR)
    office_staff = make_member(office, Role.SPECIALIST)
    assert task_list(actor=inspector).count() == 2
    assert task_list(actor=office_staff).count() == 0


def test_citizens_see_nothing(issue, agency_a, make_member):
    issue(agency_a)
    citizen = make_member(agency_a, Role.CITIZEN)
    assert task_list(actor=citizen).count() == 0


def test_filters(issue, agency_a, agency_b, leader):
    task_a, task_b = issue(agency_a, agency_b)
    assert list(task_list(actor=leader, agency=agency_b.pk)) == [task_b]
    assert task_list(actor=leader, deadline_state="no_deadline").count() == 2
    assert list(task_list(actor=leader, q="so y te")) == [task_b]
