"""The directory (component 17): tree, organisation page, staff lists and person pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cityops.core.choices import Role
from cityops.core.permissions import NotFoundOrForbidden
from cityops.core.selectors.organizations import (
    organization_get,
    organization_tree,
    people_of,
    person_get,
)
from cityops.core.services.organizations import membership_grant
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(province, agency_a, agency_b):
    """A province with two agencies, a unit, a former district with a commune, and a ward."""
    unit = OrganizationFactory(name="Phòng Quản lý xây dựng", code="qlxd", kind="unit", parent=agency_a)
    district = OrganizationFactory(name="Huyện Tiên Du (cũ)", code="tien-du", kind="district", parent=province)
    commune = OrganizationFactory(
        name="Xã Phật Tích", code="phat-tich", kind="commune", parent=district, admin_unit_code="09433"
    )
    ward = OrganizationFactory(
        name="Phường Đông Ngàn", code="dong-ngan", kind="ward", parent=province,
        admin_unit_code="09370", edxml_code="000.00.31.H04", phone="0222 3831 234",
        email="dongngan@bacninh.gov.vn", address="Số 1 Đường Lý Thái Tổ",
    )  # fmt: skip
    closed = OrganizationFactory(
        name="Sở Đã Sáp Nhập", code="closed", kind="department", parent=province, is_active=False
    )
    return {"unit": unit, "district": district, "commune": commune, "ward": ward, "closed": closed}


@pytest.fixture
def viewer(agency_a, make_member):
    return make_member(agency_a, Role.SPECIALIST, full_name="Người Xem")


def codes(nodes):
    out = []
    for node in nodes:
        out.append(node.org.code)
        out.extend(codes(node.children))
    return out


def test_urls():
    assert reverse("core:directory") == "/directory/"
    assert reverse("core:directory_org", kwargs={"code": "so-y-te"}) == "/directory/org/so-y-te/"
    assert reverse("core:directory_person", kwargs={"pk": 5}) == "/directory/person/5/"


# --- Tree ------------------------------------------------------------------------------------------------


def test_tree_nests_units_and_hides_inactive(viewer, province, tree):
    roots = organization_tree(actor=viewer)
    assert [r.org.code for r in roots] == ["province"]
    children = [c.org.code for c in roots[0].children]
    # Agencies first, then the former district, then wards and communes.
    assert children == ["so-xay-dung", "so-y-te", "tien-du", "dong-ngan"]
    assert "closed" not in codes(roots)
    district = roots[0].children[2]
    assert [c.org.code for c in district.children] == ["phat-tich"]


def test_tree_filter_is_accent_insensitive_and_keeps_ancestors(viewer, tree):
    roots = organization_tree(actor=viewer, q="phat tich")
    assert codes(roots) == ["province", "tien-du", "phat-tich"]
    assert roots[0].matched is False
    assert roots[0].children[0].children[0].matched is True
    assert codes(organization_tree(actor=viewer, q="PHƯỜNG ĐÔNG")) == ["province", "dong-ngan"]
    assert codes(organization_tree(actor=viewer, q="09433")) == ["province", "tien-du", "phat-tich"]
    assert organization_tree(actor=viewer, q="khong co gi") == []


def test_tree_is_one_query(viewer, tree, django_assert_max_num_queries):
    viewer._cityops_memberships = None  # memberships are not needed for the tree
    with django_assert_max_num_queries(1):
        organization_tree(actor=viewer)


def test_anonymous_sees_no_tree(tree):
    from django.contrib.auth.models import AnonymousUser

    assert organization_tree(actor=AnonymousUser()) == []


def test_directory_page(client, viewer, tree):
    client.force_login(viewer)
    response = client.get("/directory/")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-testid="directory-org"') == 7
    assert "Sở Đã Sáp Nhập" not in body
    response = client.get("/directory/", {"q": "dong ngan"})
    body = response.content.decode()
    assert 'data-code="dong-ngan"' in body and 'data-code="so-y-te"' not in body


@pytest.mark.parametrize("q", ["<script>alert(1)</script>", "_", "'; DROP TABLE core_organization; --", "x" * 5000])
def test_directory_filter_hostile_input(client, viewer, tree, q):
    client.force_login(viewer)
    response = client.get("/directory/", {"q": q})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)" not in body
    assert 'data-testid="directory-empty"' in body


def test_directory_filter_of_punctuation_only_shows_everything(client, viewer, tree):
    client.force_login(viewer)
    body = client.get("/directory/", {"q": "%"}).content.decode()
    assert body.count('data-testid="directory-org"') == 7


def test_directory_page_query_count_does_not_grow_with_the_tree(client, viewer, province):
    client.force_login(viewer)
    _queries(client, "/directory/")
    few = _queries(client, "/directory/")
    for i in range(30):
        OrganizationFactory(name=f"Xã {i}", kind="commune", parent=province)
    assert _queries(client, "/directory/") == few


def test_directory_requires_login(client):
    response = client.get("/directory/")
    assert response.status_code == 302


# --- Organisation page -----------------------------------------------------------------------------------


def test_organization_get_by_code_and_id(viewer, tree):
    ward = tree["ward"]
    assert organization_get(actor=viewer, code="dong-ngan") == ward
    assert organization_get(actor=viewer, organization_id=ward.pk) == ward
    for bad in ({"code": "closed"}, {"code": "nope"}, {"organization_id": "x"}, {"organization_id": 10**30}, {}):
        with pytest.raises(NotFoundOrForbidden):
            organization_get(actor=viewer, **bad)


def test_organisation_page_details_children_and_staff(client, viewer, agency_a, tree, make_member):
    head = make_member(agency_a, Role.AGENCY_HEAD, full_name="Giám Đốc Sở")
    membership_grant(actor=None, user=head, organization=agency_a, role=Role.LEADER, title="Giám đốc")
    make_member(agency_a, Role.CITIZEN, full_name="Công Dân Bí Mật", phone="0900000000")
    bot = make_member(agency_a, Role.INTEGRATOR, full_name="Máy Tích Hợp")
    bot.is_service_account = True
    bot.save()
    client.force_login(viewer)
    response = client.get(f"/directory/org/{agency_a.code}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Phòng Quản lý xây dựng" in body
    assert "Giám Đốc Sở" in body and "Giám đốc" in body
    assert "Người Xem" in body
    assert "Công Dân Bí Mật" not in body and "0900000000" not in body
    assert "Máy Tích Hợp" not in body


def test_organisation_page_codes_and_contact(client, viewer, tree):
    client.force_login(viewer)
    body = client.get("/directory/org/dong-ngan/").content.decode()
    assert 'data-testid="org-admin-unit-code">09370<' in body
    assert 'data-testid="org-edxml-code">000.00.31.H04<' in body
    assert "dongngan@bacninh.gov.vn" in body and "0222 3831 234" in body


def test_inactive_or_missing_organisation_is_404(client, viewer, tree):
    client.force_login(viewer)
    assert client.get("/directory/org/closed/").status_code == 404
    assert client.get("/directory/org/nope/").status_code == 404
    assert client.get("/directory/org/%3Cscript%3E/").status_code == 404


def test_citizens_see_organisations_but_no_people(client, agency_a, viewer, make_member):
    citizen = make_member(agency_a, Role.CITIZEN)
    client.force_login(citizen)
    response = client.get(f"/directory/org/{agency_a.code}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Người Xem" not in body
    assert 'data-testid="org-people"' not in body
    assert client.get(f"/directory/person/{viewer.pk}/").status_code == 404
    assert people_of(actor=citizen, organization=agency_a) == []


def test_people_of_is_constant_queries(viewer, agency_a, make_member, django_assert_max_num_queries):
    for i in range(15):
        make_member(agency_a, Role.SPECIALIST, full_name=f"Chuyên viên {i}")
    with django_assert_max_num_queries(2):
        rows = people_of(actor=viewer, organization=agency_a)
        names = [m.user.display_name for m in rows]
    assert len(names) == 16


def _queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_organisation_page_query_count_is_constant(client, viewer, agency_a, make_member):
    client.force_login(viewer)
    url = f"/directory/org/{agency_a.code}/"
    _queries(client, url)  # warm the session
    few = _queries(client, url)
    for i in range(15):
        make_member(agency_a, Role.SPECIALIST, full_name=f"Chuyên viên {i}")
        OrganizationFactory(parent=agency_a, kind="unit")
    many = _queries(client, url)
    assert many == few
    assert many <= 12  # session, user, two-factor and menu checks included


def test_xss_in_organisation_name_escaped(client, viewer, province):
    OrganizationFactory(name='<img src=x onerror="alert(1)">', code="xss", parent=province)
    client.force_login(viewer)
    for url in ("/directory/", "/directory/org/xss/"):
        body = client.get(url).content.decode()
        assert "<img src=x" not in body
        assert "&lt;img" in body


# --- Person page -----------------------------------------------------------------------------------------


def test_person_page(client, viewer, agency_a, agency_b, make_member):
    person = make_member(agency_b, Role.CLERK, full_name="Đặng Thu Hà", job_title="Văn thư", phone="0222 111")
    membership_grant(actor=None, user=person, organization=agency_a, role=Role.SPECIALIST, title="Kiêm nhiệm")
    membership_grant(actor=None, user=person, organization=agency_a, role=Role.CITIZEN)
    client.force_login(viewer)
    response = client.get(f"/directory/person/{person.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Đặng Thu Hà" in body and "Văn thư" in body and "Kiêm nhiệm" in body
    assert agency_a.name in body and agency_b.name in body
    positions = body[body.index('data-testid="person-positions"') :]
    assert positions.count("<tr>") == 3  # header + two staff positions; the citizen role is not listed


def test_person_get_hides_citizens_service_accounts_and_disabled(viewer, agency_a, make_member):
    citizen = make_member(agency_a, Role.CITIZEN)
    bot = make_member(agency_a, Role.SPECIALIST)
    bot.is_service_account = True
    bot.save()
    gone = make_member(agency_a, Role.SPECIALIST)
    gone.is_active = False
    gone.save()
    for user_id in (citizen.pk, bot.pk, gone.pk, 999_999, "abc", 10**30):
        with pytest.raises(NotFoundOrForbidden):
            person_get(actor=viewer, user_id=user_id)


def test_person_page_query_count(viewer, agency_a, make_member, django_assert_max_num_queries):
    person = make_member(agency_a, Role.SPECIALIST)
    for _ in range(5):
        org = OrganizationFactory(kind="unit", parent=agency_a)
        membership_grant(actor=None, user=person, organization=org, role=Role.SPECIALIST)
    viewer._cityops_memberships = None
    from cityops.core.permissions import forget_memberships

    forget_memberships(viewer)
    with django_assert_max_num_queries(3):
        found = person_get(actor=viewer, user_id=person.pk)
        orgs = [m.organization.name for m in found.directory_memberships]
    assert len(orgs) == 6


def test_missing_person_is_404(client, viewer):
    client.force_login(viewer)
    assert client.get("/directory/person/999999/").status_code == 404
