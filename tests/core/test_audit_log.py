"""The audit log page: who may review what, filters, pagination, CSV export; never a way to change history."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from cityops.core import audit
from cityops.core.choices import Role
from cityops.core.exports import csv_cell
from cityops.core.models import AuditEvent
from cityops.core.selectors.audit import AuditFilters, audit_event_list, can_review_audit
from cityops.core.services.audit_log import AUDIT_EXPORTED
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

VN = ZoneInfo("Asia/Ho_Chi_Minh")
URL = "/audit/"
EXPORT = "/audit/export.csv"


def event(verb, *, org=None, actor=None, target_type="", target_id="", target_repr="", data=None, label=""):
    """Append one event directly (tests only; the product writes through ``audit.record``)."""
    return AuditEvent.objects.create(
        verb=verb, organization=org, actor=actor, actor_label=label or (str(actor) if actor else ""),
        target_type=target_type, target_id=target_id, target_repr=target_repr, data=data or {},
    )  # fmt: skip


def event_at(verb, at, **kwargs):
    """``at`` is set on insert (auto_now_add) and rows cannot be updated, so the clock is set instead."""
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=at):
        return event(verb, **kwargs)


@pytest.fixture
def unit_a(agency_a):
    return OrganizationFactory(name="Phòng Thanh tra", code="pthanhtra", kind="unit", parent=agency_a)


@pytest.fixture
def people(province, agency_a, agency_b, make_member):
    return {
        "admin": make_member(province, Role.ADMINISTRATOR, full_name="Quản Trị Tỉnh"),
        "admin_a": make_member(agency_a, Role.ADMINISTRATOR, full_name="Quản Trị Sở"),
        "head_a": make_member(agency_a, Role.AGENCY_HEAD, full_name="Giám Đốc Sở XD"),
        "inspector_a": make_member(agency_a, Role.INSPECTOR, full_name="Thanh Tra Viên"),
        "specialist_a": make_member(agency_a, Role.SPECIALIST, full_name="Chuyên Viên A"),
        "leader": make_member(province, Role.LEADER, full_name="Chủ Tịch"),
        "citizen": make_member(agency_a, Role.CITIZEN, full_name="Công Dân"),
        "staff_b": make_member(agency_b, Role.SPECIALIST, full_name="Đỗ Văn Bình"),
    }


@pytest.fixture
def events(people, province, agency_a, agency_b, unit_a):
    return {
        "a": event("core.organization.updated", org=agency_a, actor=people["head_a"], target_repr="Sở Xây dựng"),
        "unit": event("docs.document.registered", org=unit_a, actor=people["specialist_a"]),
        "b": event("core.organization.updated", org=agency_b, actor=people["staff_b"], target_repr="Sở Y tế"),
        "b_login": event("core.auth.login", actor=people["staff_b"]),
        "a_login": event("core.auth.login", actor=people["specialist_a"]),
        "anon_fail": event("core.auth.login_failed", label="hacker", data={"reason": "invalid_credentials"}),
        "prov": event("core.calendar.day_set", org=province, actor=people["admin"]),
    }


def ids(qs):
    return set(qs.values_list("pk", flat=True))


# --- Who may review what ---------------------------------------------------------------------------------


def test_who_may_review(people):
    for name in ("admin", "admin_a", "head_a", "inspector_a"):
        assert can_review_audit(people[name]), name
    for name in ("specialist_a", "leader", "citizen", "staff_b"):
        assert not can_review_audit(people[name]), name
    assert can_review_audit(UserFactory(is_superuser=True))


def test_province_administrator_sees_everything(people, events):
    seen = ids(audit_event_list(actor=people["admin"]))
    assert {e.pk for e in events.values()} <= seen


@pytest.mark.parametrize("name", ["admin_a", "head_a", "inspector_a"])
def test_agency_reviewers_see_only_their_subtree(people, events, name):
    seen = ids(audit_event_list(actor=people[name]))
    assert events["a"].pk in seen and events["unit"].pk in seen and events["a_login"].pk in seen
    assert events["b"].pk not in seen
    assert events["b_login"].pk not in seen
    assert events["anon_fail"].pk not in seen
    assert events["prov"].pk not in seen


@pytest.mark.parametrize("name", ["specialist_a", "leader", "citizen"])
def test_others_get_403_and_nothing(client, people, events, name):
    assert audit_event_list(actor=people[name]).count() == 0
    client.force_login(people[name])
    assert client.get(URL).status_code == 403
    assert client.get(EXPORT).status_code == 403


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("core:login") in response["Location"]
    assert client.get(EXPORT).status_code == 302


def test_counts_on_the_page_are_scoped(client, people, events):
    client.force_login(people["head_a"])
    body = client.get(URL).content.decode()
    expected = audit_event_list(actor=people["head_a"]).count()
    assert body.count('data-testid="audit-row"') == min(expected, 50)
    assert "Sở Y tế" not in body
    assert "Đỗ Văn Bình" not in body


def test_filtering_by_an_organisation_outside_reach_is_refused(client, people, events, agency_b):
    client.force_login(people["head_a"])
    response = client.get(URL, {"organization": agency_b.code})
    body = response.content.decode()
    assert 'data-testid="audit-filter-error"' in body
    assert 'data-testid="audit-row"' not in body


# --- Filters ---------------------------------------------------------------------------------------------


def test_filter_by_actor_ignores_accents_and_case(people, events):
    admin = people["admin"]
    for text in ("do van binh", "ĐỖ VĂN", "binh", people["staff_b"].username):
        seen = ids(audit_event_list(actor=admin, filters=AuditFilters(actor=text)))
        assert events["b"].pk in seen and events["b_login"].pk in seen, text
        assert events["a"].pk not in seen
    seen = ids(audit_event_list(actor=admin, filters=AuditFilters(actor="HACKER")))
    assert events["anon_fail"].pk in seen


def test_filter_by_verb_prefix(people, events):
    admin = people["admin"]
    seen = ids(audit_event_list(actor=admin, filters=AuditFilters(verb="core.auth")))
    assert seen >= {events["b_login"].pk, events["a_login"].pk, events["anon_fail"].pk}
    assert all(v.startswith("core.auth") for v in AuditEvent.objects.filter(pk__in=seen).values_list("verb", flat=True))
    seen = ids(audit_event_list(actor=admin, filters=AuditFilters(verb="core.auth.login_failed")))
    assert seen == {events["anon_fail"].pk}


def test_filter_by_organisation_with_and_without_subtree(people, events, agency_a):
    admin = people["admin"]
    sub = ids(audit_event_list(actor=admin, filters=AuditFilters(organization=agency_a)))
    assert events["a"].pk in sub and events["unit"].pk in sub and events["b"].pk not in sub
    only = ids(audit_event_list(actor=admin, filters=AuditFilters(organization=agency_a, include_subtree=False)))
    assert events["a"].pk in only and events["unit"].pk not in only


def test_filter_by_target(people, events, agency_a):
    admin = people["admin"]
    target = event("core.user.updated", org=agency_a, target_type="core.user", target_id="42", target_repr="x")
    seen = ids(audit_event_list(actor=admin, filters=AuditFilters(target_type="core.user", target_id="42")))
    assert seen == {target.pk}


def test_filter_by_local_dates(client, people, agency_a):
    # 23:30 in Hà Nội on 1/3 is 16:30 UTC on 1/3; 00:30 in Hà Nội on 2/3 is 17:30 UTC on 1/3.
    late = event_at("test.late", dt.datetime(2026, 3, 1, 23, 30, tzinfo=VN), org=agency_a)
    early = event_at("test.early", dt.datetime(2026, 3, 2, 0, 30, tzinfo=VN), org=agency_a)
    admin = people["admin"]
    on_first = ids(audit_event_list(actor=admin, filters=AuditFilters(date_from=dt.date(2026, 3, 1),
                                                                      date_to=dt.date(2026, 3, 1))))  # fmt: skip
    assert on_first == {late.pk}
    on_second = ids(audit_event_list(actor=admin, filters=AuditFilters(date_from=dt.date(2026, 3, 2),
                                                                       date_to=dt.date(2026, 3, 2))))  # fmt: skip
    assert on_second == {early.pk}
    client.force_login(admin)
    body = client.get(URL, {"date_from": "01/03/2026", "date_to": "2026-03-01"}).content.decode()
    assert f'data-id="{late.pk}"' in body and f'data-id="{early.pk}"' not in body


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-13-45"},
        {"date_to": "not-a-date"},
        {"date_from": "0001-01-01", "date_to": "9999-12-31"},
        {"date_from": "2026-05-01", "date_to": "2026-04-01"},
        {"verb": "core.auth'; DROP TABLE core_auditevent; --"},
        {"verb": "x" * 101},
        {"target_type": "<script>"},
        {"organization": "no-such-org"},
        {"actor": "a" * 101},
    ],
)
def test_bad_filters_give_a_clear_error_not_a_500(client, people, events, params):
    client.force_login(people["admin"])
    response = client.get(URL, params)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="audit-filter-error"' in body
    assert 'data-testid="audit-row"' not in body
    assert client.get(EXPORT, params).status_code == 400


def test_huge_but_valid_range_is_fine(client, people, events):
    client.force_login(people["admin"])
    response = client.get(URL, {"date_from": "2000-01-01", "date_to": "2100-12-31"})
    assert response.status_code == 200
    assert 'data-testid="audit-row"' in response.content.decode()


def test_hostile_actor_and_wildcards_are_literal(people, events):
    admin = people["admin"]
    for text in ("%", "_", "'; DROP TABLE core_auditevent; --", "<script>"):
        qs = audit_event_list(actor=admin, filters=AuditFilters(actor=text))
        assert qs.count() == 0, text
    assert AuditEvent.objects.filter(pk=events["a"].pk).exists()


# --- Page ------------------------------------------------------------------------------------------------


def test_xss_in_target_repr_and_data_is_escaped(client, people, agency_a):
    event(
        "test.xss", org=agency_a, target_repr='<script>alert("x")</script>',
        data={"name": "<img src=x onerror=alert(1)>"}, label="<b>bold</b>",
    )  # fmt: skip
    client.force_login(people["admin"])
    body = client.get(URL, {"verb": "test.xss"}).content.decode()
    assert "<script>alert" not in body and "&lt;script&gt;" in body
    assert "<img src=x" not in body
    assert "<b>bold</b>" not in body


def test_pagination(client, people, agency_a):
    for i in range(120):
        event("test.page", org=agency_a, target_repr=f"row {i}")
    client.force_login(people["admin"])
    first = client.get(URL, {"verb": "test.page"}).content.decode()
    assert first.count('data-testid="audit-row"') == 50
    assert "120" in first
    third = client.get(URL, {"verb": "test.page", "page": "3"}).content.decode()
    assert third.count('data-testid="audit-row"') == 20
    assert "verb=test.page&amp;page=2" in third
    for bad in ("0", "-1", "999", "abc", "1e9"):
        assert client.get(URL, {"verb": "test.page", "page": bad}).status_code == 200


def test_page_query_count_is_constant(client, people, agency_a, django_assert_max_num_queries):
    for i in range(60):
        event("test.q", org=agency_a, actor=people["head_a"], target_repr=f"r{i}")
    client.force_login(people["admin"])
    client.get(URL)
    with django_assert_max_num_queries(14):
        assert client.get(URL, {"verb": "test.q"}).status_code == 200


def test_no_way_to_edit_or_delete(client, people, events):
    client.force_login(people["admin"])
    before = AuditEvent.objects.count()
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(URL)
        assert response.status_code == 405, method
        assert getattr(client, method)(EXPORT).status_code == 405
    body = client.get(URL).content.decode()
    main = body[body.index('id="main"') :]
    assert 'method="post"' not in main.lower()
    assert AuditEvent.objects.count() == before


# --- CSV export ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,expected",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Sở Xây dựng", "Sở Xây dựng"),
        ("", ""),
        (None, ""),
    ],
)
def test_csv_cell(value, expected):
    assert csv_cell(value) == expected


def read_csv(response):
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def test_export_is_filtered_scoped_and_injection_safe(client, people, agency_a, agency_b):
    event("test.csv", org=agency_a, target_repr="=cmd|' /C calc'!A0", label="@evil", data={"x": "=1+1"})
    event("test.csv", org=agency_b, target_repr="Sở Y tế bí mật")
    client.force_login(people["head_a"])
    response = client.get(EXPORT, {"verb": "test.csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert rows[0][0] == "time" and len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["target"] == "'=cmd|' /C calc'!A0"
    assert row["actor"] == "'@evil"
    assert row["organization"] == "Sở Xây dựng"
    assert row["time"].endswith("+07:00")
    assert "Sở Y tế bí mật" not in "".join(",".join(r) for r in rows)


def test_export_is_itself_audited(client, people, agency_a):
    client.force_login(people["admin"])
    response = client.get(EXPORT, {"verb": "core.auth", "date_from": "2026-01-01"})
    b"".join(response.streaming_content)
    recorded = AuditEvent.objects.filter(verb=AUDIT_EXPORTED).get()
    assert recorded.actor == people["admin"]
    assert recorded.data["filters"]["verb"] == "core.auth"
    assert recorded.data["filters"]["date_from"] == "2026-01-01"


def test_export_link_keeps_filters(client, people, events):
    client.force_login(people["admin"])
    body = client.get(URL, {"verb": "core.auth"}).content.decode()
    assert f"{EXPORT}?verb=core.auth" in body


def test_audit_record_helper_still_works(agency_a):
    row = audit.record(verb="test.helper", organization=agency_a)
    assert AuditEvent.objects.filter(pk=row.pk).exists()
