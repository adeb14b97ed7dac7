"""Global search: accents and case ignored, permission-scoped (totals too), hostile input harmless."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cityops.core import search
from cityops.core.choices import Role
from cityops.core.models import Announcement, SearchEntry
from cityops.core.services.organizations import user_create
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

SEARCH_URL = "/search/"


def announce(org, title, *, public=False, published=True, body="Nội dung thông báo"):
    item = Announcement.objects.create(
        organization=org,
        title=title,
        body=body,
        is_public=public,
        published_at=timezone.now() - dt.timedelta(minutes=1) if published else None,
    )
    search.index(item)
    return item


@pytest.fixture
def make_member(make_member):
    """People created by factories bypass the services, so index them as the services would."""

    def make(organization, role, **fields):
        user = make_member(organization, role, **fields)
        search.index(user)
        return user

    return make


@pytest.fixture
def staff_a(agency_a, make_member):
    return make_member(agency_a, Role.SPECIALIST, full_name="Trần Thị Bình", job_title="Chuyên viên")


@pytest.fixture
def staff_b(agency_b, make_member):
    return make_member(agency_b, Role.SPECIALIST, full_name="Lê Văn Cường")


def hits(user, query, **kwargs):
    return search.search(user, query, **kwargs)


def titles(user, query, **kwargs):
    return {hit.title for hit in hits(user, query, **kwargs)}


def test_urls_resolve():
    assert reverse("core:search") == SEARCH_URL


# --- Accents and case ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["so xay dung", "Sở Xây dựng", "SO XAY DUNG", "sở xây", "xay", unicodedata.normalize("NFD", "Sở Xây dựng")],
)
def test_organisation_found_without_accents_or_case(staff_a, agency_a, query):
    assert agency_a.name in titles(staff_a, query)


def test_duong_finds_duong_with_stroke(staff_a, province):
    OrganizationFactory(
        name="Phường Đông Ngàn", code="dong-ngan", kind="ward", parent=province, address="Đường Lý Thái Tổ"
    )
    assert "Phường Đông Ngàn" in titles(staff_a, "duong ly thai to")
    assert "Phường Đông Ngàn" in titles(staff_a, "DONG NGAN")


def test_van_ban_finds_van_ban(staff_a, agency_a):
    announce(agency_a, "Hướng dẫn soạn thảo văn bản điện tử")
    assert "Hướng dẫn soạn thảo văn bản điện tử" in titles(staff_a, "VAN BAN")


def test_nfd_stored_text_is_found_with_nfc_query(staff_a, agency_a):
    title = unicodedata.normalize("NFD", "Thông báo lịch tiếp công dân")
    announce(agency_a, title)
    assert any(fold_eq(t, "Thông báo lịch tiếp công dân") for t in titles(staff_a, "tiếp công dân"))


def fold_eq(a, b):
    return unicodedata.normalize("NFC", a) == unicodedata.normalize("NFC", b)


def test_all_words_must_match(staff_a, agency_a, agency_b):
    found = titles(staff_a, "so y te")
    assert agency_b.name in found
    assert agency_a.name not in found


def test_people_by_name_username_title_email(staff_a, staff_b):
    assert "Lê Văn Cường" in titles(staff_a, "le van cuong")
    assert "Lê Văn Cường" in titles(staff_a, staff_b.username)
    assert "Trần Thị Bình" in titles(staff_b, "chuyen vien")
    assert "Trần Thị Bình" in titles(staff_b, staff_a.email.split("@")[0])


# --- Permissions -----------------------------------------------------------------------------------------


def test_private_announcement_of_agency_b_never_shown_to_agency_a(staff_a, staff_b, agency_a, agency_b):
    announce(agency_b, "Kế hoạch nội bộ kiểm tra an toàn thực phẩm")
    announce(agency_a, "Kế hoạch nội bộ kiểm tra công trình")
    seen_by_a = titles(staff_a, "ke hoach noi bo kiem tra")
    assert seen_by_a == {"Kế hoạch nội bộ kiểm tra công trình"}
    assert titles(staff_b, "ke hoach noi bo kiem tra") == {"Kế hoạch nội bộ kiểm tra an toàn thực phẩm"}
    groups = search.search_grouped(staff_a, "ke hoach noi bo")
    counts = {g.object_type: g.total for g in groups}
    assert counts == {"core.announcement": 1}


def test_counts_on_the_page_exclude_hidden_records(client, staff_a, agency_a, agency_b):
    for i in range(12):
        announce(agency_b, f"Thông báo nội bộ số {i}")
    announce(agency_a, "Thông báo nội bộ của Sở Xây dựng")
    client.force_login(staff_a)
    response = client.get(SEARCH_URL, {"q": "thong bao noi bo"})
    body = response.content.decode()
    assert body.count('data-testid="search-result"') == 1
    assert 'data-testid="search-group-count">1<' in body
    assert "số 1" not in body


def test_public_announcements_reach_everyone_signed_in(agency_a, agency_b, staff_b, make_member):
    citizen = make_member(agency_a, Role.CITIZEN)
    announce(agency_a, "Thông báo công khai lịch cắt nước", public=True)
    announce(agency_a, "Thông báo nội bộ lịch cắt nước")
    assert titles(citizen, "lich cat nuoc") == {"Thông báo công khai lịch cắt nước"}
    assert titles(staff_b, "lich cat nuoc") == {"Thông báo công khai lịch cắt nước"}


def test_unpublished_and_future_announcements_hidden(staff_a, agency_a):
    announce(agency_a, "Bản nháp thông báo", published=False)
    future = Announcement.objects.create(
        organization=agency_a, title="Thông báo hẹn giờ", body="x", published_at=timezone.now() + dt.timedelta(days=1)
    )
    search.index(future)
    assert titles(staff_a, "thong bao") == set()
    assert titles(staff_a, "ban nhap") == set()


def test_province_announcement_reaches_agency_staff_and_unit_staff(province, agency_a, make_member):
    unit = OrganizationFactory(parent=agency_a, kind="unit", name="Phòng Quản lý nhà")
    unit_staff = make_member(unit, Role.SPECIALIST)
    announce(province, "Thông báo của UBND tỉnh về lịch trực")
    announce(agency_a, "Thông báo của Sở về lịch trực")
    assert titles(unit_staff, "lich truc") == {
        "Thông báo của UBND tỉnh về lịch trực",
        "Thông báo của Sở về lịch trực",
    }


def test_provincial_leader_reaches_agency_announcements(province, agency_b, make_member):
    leader = make_member(province, Role.LEADER)
    announce(agency_b, "Báo cáo nội bộ Sở Y tế")
    assert titles(leader, "bao cao noi bo") == {"Báo cáo nội bộ Sở Y tế"}


def test_citizens_and_service_accounts_never_listed(staff_a, agency_a, make_member):
    make_member(agency_a, Role.CITIZEN, full_name="Phạm Công Dân")
    bot = make_member(agency_a, Role.INTEGRATOR, full_name="Tài khoản tích hợp")
    bot.is_service_account = True
    bot.save()
    service_staff = make_member(agency_a, Role.SPECIALIST, full_name="Máy chủ đồng bộ")
    service_staff.is_service_account = True
    service_staff.save()
    search.reindex(["core.user"])
    assert titles(staff_a, "pham cong dan") == set()
    assert titles(staff_a, "tai khoan tich hop") == set()
    assert titles(staff_a, "may chu dong bo") == set()


def test_citizens_cannot_find_people(agency_a, staff_a, make_member):
    citizen = make_member(agency_a, Role.CITIZEN)
    assert titles(citizen, "tran thi binh") == set()
    assert agency_a.name in titles(citizen, "so xay dung")  # organisations are public directory data


def test_inactive_people_and_organisations_hidden(staff_a, agency_a, province, make_member):
    gone = make_member(agency_a, Role.SPECIALIST, full_name="Đỗ Đã Nghỉ")
    gone.is_active = False
    gone.save()
    search.index(gone)
    closed = OrganizationFactory(name="Phòng Đã Giải Thể", parent=province, is_active=False)
    search.index(closed)
    assert titles(staff_a, "do da nghi") == set()
    assert titles(staff_a, "giai the") == set()


def test_anonymous_finds_nothing(agency_a):
    from django.contrib.auth.models import AnonymousUser

    assert hits(AnonymousUser(), "so xay dung") == []


def test_page_requires_login(client):
    response = client.get(SEARCH_URL, {"q": "so"})
    assert response.status_code == 302
    assert reverse("core:login") in response["Location"]


def test_object_types_filter(staff_a, agency_a):
    announce(agency_a, "Sở Xây dựng thông báo")
    types = {hit.object_type for hit in hits(staff_a, "xay dung", object_types=["core.announcement"])}
    assert types == {"core.announcement"}


# --- Hostile and odd input -------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["%", "_", "%%", "\\", "'", "'; DROP TABLE core_searchentry; --", "%' OR 1=1 --"])
def test_wildcards_and_sql_are_harmless(staff_a, agency_a, query):
    result = hits(staff_a, query)
    assert all("xay" not in h.title.lower() for h in result) or result == []
    assert SearchEntry.objects.filter(object_id=str(agency_a.pk)).exists()


def test_like_wildcards_are_escaped(staff_a, agency_a, province):
    OrganizationFactory(name="Trung tâm 100% số", code="tt-100", parent=province)
    OrganizationFactory(name="Trung tâm a_b", code="tt-ab", parent=province)
    # "100%" folds to the word "100"; "%" alone is punctuation. An underscore is literal, not "any character".
    assert titles(staff_a, "a_b") == {"Trung tâm a_b"}
    assert titles(staff_a, "x_y") == set()
    assert "Trung tâm 100% số" in titles(staff_a, "100%")


def test_hostile_markup_is_escaped_on_the_page(client, staff_a, agency_a):
    announce(agency_a, '<script>alert("x")</script> Thông báo', body="<img src=x onerror=alert(1)>")
    client.force_login(staff_a)
    response = client.get(SEARCH_URL, {"q": "<script>alert(1)</script> thong bao"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in body
    assert "&lt;script&gt;" in body
    assert "onerror=alert" not in body or "&lt;img" in body


def test_empty_query_shows_hint(client, staff_a):
    client.force_login(staff_a)
    for params in ({}, {"q": ""}, {"q": "   "}):
        response = client.get(SEARCH_URL, params)
        assert response.status_code == 200
        assert 'data-testid="search-hint"' in response.content.decode()


def test_punctuation_only_query_shows_hint(client, staff_a):
    client.force_login(staff_a)
    response = client.get(SEARCH_URL, {"q": "%%% ???"})
    assert response.status_code == 200
    assert 'data-testid="search-hint"' in response.content.decode()


def test_too_long_query_gets_a_clear_message(client, staff_a):
    client.force_login(staff_a)
    response = client.get(SEARCH_URL, {"q": "a" * 201})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="search-error"' in body
    assert "200" in body
    assert 'data-testid="search-result"' not in body
    with pytest.raises(search.SearchQueryTooLong):
        search.search(staff_a, "a" * 201)


def test_exactly_max_length_is_accepted(staff_a):
    assert search.search(staff_a, "a" * 200) == []


def test_page_groups_results_and_links_to_records(client, staff_a, agency_a):
    announce(agency_a, "Sở Xây dựng họp giao ban")
    client.force_login(staff_a)
    response = client.get(SEARCH_URL, {"q": "xay dung"})
    body = response.content.decode()
    assert body.count('data-testid="search-group"') == 2
    assert f'href="{reverse("core:directory_org", kwargs={"code": agency_a.code})}"' in body


def test_null_byte_and_control_characters(client, staff_a):
    client.force_login(staff_a)
    response = client.get(SEARCH_URL, {"q": "so\x00 xay\x1f"})
    assert response.status_code == 200


# --- Index maintenance -----------------------------------------------------------------------------------


def test_services_keep_the_index_current(staff_a, province):
    person = user_create(actor=None, username="hoa.nguyen", full_name="Nguyễn Thị Hoa", organization=province,
                         role=Role.CLERK)  # fmt: skip
    assert "Nguyễn Thị Hoa" in titles(staff_a, "nguyen thi hoa")
    search.unindex(person)
    assert titles(staff_a, "nguyen thi hoa") == set()


def test_reindex_command_rebuilds_everything(staff_a, agency_a, capsys):
    announce(agency_a, "Thông báo tái lập chỉ mục")
    SearchEntry.objects.all().delete()
    assert titles(staff_a, "tai lap chi muc") == set()
    call_command("reindex")
    assert "Thông báo tái lập chỉ mục" in titles(staff_a, "tai lap chi muc")
    assert agency_a.name in titles(staff_a, "so xay dung")
    out = capsys.readouterr().out
    assert "core.announcement" in out


def test_reindex_command_one_type_and_unknown_type(staff_a, agency_a):
    from django.core.management.base import CommandError

    call_command("reindex", "core.organization")
    with pytest.raises(CommandError):
        call_command("reindex", "nope.nothing")


def test_reindex_is_idempotent(staff_a):
    first = search.reindex()
    second = search.reindex()
    assert first == second == SearchEntry.objects.count()


def test_index_of_unregistered_model_is_a_no_op(agency_a):
    from cityops.core.models import CalendarDay

    day = CalendarDay.objects.create(date=dt.date(2026, 1, 2), kind="day_off", name="x")
    search.index(day)
    assert not SearchEntry.objects.filter(object_type="core.calendarday").exists()


# --- API -------------------------------------------------------------------------------------------------


def test_api_search_returns_scoped_hits(client, staff_a, agency_a, agency_b):
    announce(agency_b, "Kế hoạch bí mật của Sở Y tế")
    announce(agency_a, "Kế hoạch công tác của Sở Xây dựng")
    client.force_login(staff_a)
    response = client.get("/api/v1/search", {"q": "ke hoach"})
    assert response.status_code == 200
    data = response.json()
    assert [item["title"] for item in data["items"]] == ["Kế hoạch công tác của Sở Xây dựng"]
    assert data["count"] == 1
    assert [(g["type"], g["count"]) for g in data["groups"]] == [("core.announcement", 1)]
    item = data["items"][0]
    assert set(item) >= {"type", "id", "title", "summary", "url", "label"}


def test_api_search_types_filter(client, staff_a, agency_a):
    announce(agency_a, "Sở Xây dựng thông báo")
    client.force_login(staff_a)
    data = client.get("/api/v1/search", {"q": "xay dung", "types": "core.organization"}).json()
    assert {item["type"] for item in data["items"]} == {"core.organization"}
    data = client.get("/api/v1/search", {"q": "xay dung", "types": "core.organization,core.announcement"}).json()
    assert {item["type"] for item in data["items"]} == {"core.organization", "core.announcement"}


@pytest.mark.parametrize(
    "params",
    [{"q": "a" * 201}, {"q": "so", "types": "core.nothing"}, {"q": "so", "limit": "0"}, {"q": "so", "limit": "9999"}],
)
def test_api_search_bad_input_is_400(client, staff_a, params):
    client.force_login(staff_a)
    response = client.get("/api/v1/search", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_api_search_empty_query_gives_no_hits(client, staff_a):
    client.force_login(staff_a)
    for q in ("", "  ", "%_"):
        data = client.get("/api/v1/search", {"q": q}).json()
        assert data["items"] == [] and data["count"] == 0


def test_api_search_requires_authentication(client):
    response = client.get("/api/v1/search", {"q": "so"})
    assert response.status_code == 401


def test_api_search_never_lists_users_to_citizens(client, agency_a, staff_a, make_member):
    citizen = make_member(agency_a, Role.CITIZEN)
    client.force_login(citizen)
    data = client.get("/api/v1/search", {"q": "tran thi binh"}).json()
    assert data["items"] == []


def test_users_without_membership_not_listed(staff_a):
    loner = UserFactory(full_name="Người Không Thuộc Đơn Vị")
    search.index(loner)
    assert titles(staff_a, "nguoi khong thuoc") == set()
