"""The permission layer: roles reach their organisation's subtree; missing and forbidden look alike."""

from __future__ import annotations

import pytest

from cityops.core.choices import Role
from cityops.core.models import Attachment, AuditEvent, Organization
from cityops.core.permissions import (
    NotFoundOrForbidden,
    Policy,
    get_for_user,
    org_ids_for_roles,
    user_has_role,
)
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_role_reaches_own_organization_and_everything_below(province, agency_a, agency_b, make_member):
    unit = OrganizationFactory(parent=agency_a, kind="unit")
    head = make_member(agency_a, Role.AGENCY_HEAD)
    ids = set(org_ids_for_roles(head, {Role.AGENCY_HEAD}).values_list("id", flat=True))
    assert ids == {agency_a.id, unit.id}
    assert user_has_role(head, {Role.AGENCY_HEAD}, unit)
    assert not user_has_role(head, {Role.AGENCY_HEAD}, agency_b)
    assert not user_has_role(head, {Role.AGENCY_HEAD}, province)


def test_province_leader_reaches_every_agency(province, agency_a, agency_b, make_member):
    leader = make_member(province, Role.LEADER)
    ids = set(org_ids_for_roles(leader, {Role.LEADER}).values_list("id", flat=True))
    assert {province.id, agency_a.id, agency_b.id} <= ids


def test_role_not_in_policy_grants_nothing(agency_a, make_member):
    citizen = make_member(agency_a, Role.CITIZEN)
    policy = Policy(org_field="pk")
    assert policy.scope(Organization.objects.all(), citizen, "view").count() == 0
    assert not policy.can_in(citizen, "view", agency_a)
    assert not policy.can_in(citizen, "change", agency_a)
    specialist = make_member(agency_a, Role.SPECIALIST)
    assert list(policy.scope(Organization.objects.all(), specialist, "view")) == [agency_a]


def test_missing_and_forbidden_get_the_same_error(agency_a, agency_b, make_member):
    specialist = make_member(agency_a, Role.SPECIALIST)
    other = Attachment.objects.create(
        organization=agency_b, original_name="x.pdf", content_type="application/pdf", size=1, sha256="0" * 64
    )
    with pytest.raises(NotFoundOrForbidden):
        get_for_user(Attachment.objects.all(), specialist, "view", pk=other.pk)
    with pytest.raises(NotFoundOrForbidden):
        get_for_user(Attachment.objects.all(), specialist, "view", pk=999_999)
    with pytest.raises(NotFoundOrForbidden):
        get_for_user(Attachment.objects.all(), specialist, "view", pk="not-a-number")


def test_anonymous_and_inactive_users_see_nothing(agency_a, make_member):
    from django.contrib.auth.models import AnonymousUser

    assert org_ids_for_roles(AnonymousUser(), {Role.LEADER}).count() == 0
    user = make_member(agency_a, Role.LEADER)
    user.is_active = False
    user.save()
    user = type(user).objects.get(pk=user.pk)
    assert org_ids_for_roles(user, {Role.LEADER}).count() == 0


def test_superuser_is_unrestricted(agency_a):
    admin = UserFactory(is_superuser=True)
    assert org_ids_for_roles(admin, {Role.LEADER}) is None


def test_audit_rows_refuse_update_and_delete_even_in_sql(agency_a):
    from django.db import DatabaseError, connection, transaction

    event = AuditEvent.objects.create(verb="test.thing", organization=agency_a)
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    for sql in ("UPDATE core_auditevent SET verb = 'x'", "DELETE FROM core_auditevent"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.get(pk=event.pk).verb == "test.thing"


def test_staff_required_lets_officials_in_and_refuses_citizens(agency_a, make_member, rf):
    from django.contrib.auth.models import AnonymousUser
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse

    from cityops.core.permissions import staff_required

    @staff_required
    def view(request):
        return HttpResponse("ok")

    request = rf.get("/x/")
    request.user = AnonymousUser()
    assert view(request).status_code == 302
    request.user = make_member(agency_a, Role.CITIZEN)
    with pytest.raises(PermissionDenied):
        view(request)
    request.user = make_member(agency_a, Role.CLERK)
    assert view(request).content == b"ok"
