"""Notifications (in-app and email, by preference), the inbox page and API, and announcements."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cityops.core.choices import AuditVerbs, Role
from cityops.core.models import Announcement, AuditEvent, Notification, NotificationPreference
from cityops.core.services.notifications import (
    announcement_publish,
    notification_kinds,
    notification_mark_read,
    notification_preference_set,
    notify,
    register_kind,
    sanitize_announcement_html,
)
from cityops.core.tasks import send_notification_emails
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://ioc.example.gov.vn"


@pytest.fixture
def alice(db):
    return UserFactory(username="alice", email="alice@example.gov.vn")


@pytest.fixture
def bob(db):
    return UserFactory(username="bob", email="bob@example.gov.vn")


def send(recipients, capture, **kwargs):
    """Notify and run what was scheduled for after the commit (the email task)."""
    values = {"kind": "system", "title": "Hệ thống bảo trì", "body": "Tối nay 22:00", "url": "/notifications/"}
    values.update(kwargs)
    with capture(execute=True):
        return notify(recipients=recipients, **values)


# --- notify -------------------------------------------------------------------------------------------------


def test_notify_creates_rows_and_emails_by_default(alice, bob, django_capture_on_commit_callbacks):
    rows = send([alice, bob, alice], django_capture_on_commit_callbacks)
    assert sorted(n.recipient.username for n in rows) == ["alice", "bob"]  # duplicates dropped
    assert Notification.objects.count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.gov.vn", "bob@example.gov.vn"]
    message = mail.outbox[0]
    assert message.subject == "[CityOps] Hệ thống bảo trì"
    assert "Tối nay 22:00" in message.body
    assert "https://ioc.example.gov.vn/notifications/" in message.body
    assert message.content_subtype == "plain" and not getattr(message, "alternatives", None)
    assert all(n.emailed_at is not None for n in Notification.objects.all())


def test_preferences_are_respected(alice, bob, django_capture_on_commit_callbacks):
    carol = UserFactory(username="carol", email="")
    dave = UserFactory(username="dave", email="dave@example.gov.vn")
    NotificationPreference.objects.create(user=alice, kind="alert", in_app=True, email=False)
    NotificationPreference.objects.create(user=bob, kind="alert", in_app=False, email=False)
    NotificationPreference.objects.create(user=dave, kind="alert", in_app=False, email=True)
    NotificationPreference.objects.create(user=bob, kind="system", in_app=True, email=True)  # another kind

    rows = send([alice, bob, carol, dave], django_capture_on_commit_callbacks, kind="alert", title="Ngập úng")
    assert sorted(n.recipient.username for n in rows) == ["alice", "carol"]
    assert not Notification.objects.filter(recipient__in=[bob, dave]).exists()
    # alice: email off; bob: everything off; carol: no address; dave: email only.
    assert [m.to for m in mail.outbox] == [["dave@example.gov.vn"]]


def test_inactive_people_and_service_accounts_are_skipped(alice, django_capture_on_commit_callbacks):
    gone = UserFactory(is_active=False)
    robot = UserFactory(is_service_account=True)
    rows = send([alice, gone, robot], django_capture_on_commit_callbacks)
    assert [n.recipient for n in rows] == [alice]


def test_email_is_sent_once_even_if_the_task_runs_twice(alice, django_capture_on_commit_callbacks):
    rows = send([alice], django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    assert send_notification_emails.call(notification_ids=[rows[0].pk]) == 0
    send_notification_emails.enqueue(notification_ids=[rows[0].pk])
    assert len(mail.outbox) == 1


def test_failed_send_releases_the_claim_for_a_retry(alice, monkeypatch):
    NotificationPreference.objects.create(user=alice, kind="system", in_app=True, email=True)
    row = notify(recipients=[alice], kind="system", title="x")[0]  # on_commit not run: nothing sent yet

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    with pytest.raises(RuntimeError):
        send_notification_emails.call(notification_ids=[row.pk])
    row.refresh_from_db()
    assert row.emailed_at is None
    monkeypatch.undo()
    assert send_notification_emails.call(notification_ids=[row.pk]) == 1
    assert len(mail.outbox) == 1


def test_no_email_when_the_transaction_rolls_back(alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                notify(recipients=[alice], kind="system", title="x")
                raise RuntimeError("the action failed")
    assert mail.outbox == []
    assert not Notification.objects.exists()


@pytest.fixture
def database_queue(settings):
    """Tasks queued as rows of this database, as in production (tests otherwise run them at once)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_with_the_database_queue_the_email_task_is_written_with_the_notification(alice, database_queue):
    from django_tasks_db.models import DBTaskResult

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            notify(recipients=[alice], kind="system", title="rolled back")
            assert DBTaskResult.objects.count() == 1  # queued inside the transaction, not after it
            raise RuntimeError("the action failed")
    assert not DBTaskResult.objects.exists() and not Notification.objects.exists()
    with transaction.atomic():
        [row] = notify(recipients=[alice], kind="system", title="kept")
    [task] = DBTaskResult.objects.all()
    assert task.task_path.endswith("send_notification_emails")
    assert task.args_kwargs["kwargs"] == {"notification_ids": [row.pk]}
    assert mail.outbox == []  # the worker sends it, not the request


def test_html_in_title_and_body_is_sent_as_plain_text(alice, django_capture_on_commit_callbacks):
    send([alice], django_capture_on_commit_callbacks, title=f"Báo cáo {XSS}", body=XSS)
    message = mail.outbox[0]
    assert XSS in message.body  # verbatim text in a text/plain email: nothing to execute
    assert message.content_subtype == "plain"


def test_subject_cannot_carry_extra_headers(alice, django_capture_on_commit_callbacks):
    send([alice], django_capture_on_commit_callbacks, title="Hi\r\nBcc: victim@example.com")
    assert mail.outbox[0].subject == "[CityOps] Hi Bcc: victim@example.com"
    assert mail.outbox[0].bcc == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "no-such-kind"}, "kind"),
        ({"title": "   "}, "title"),
        ({"url": "https://evil.example.com/"}, "url"),
        ({"url": "//evil.example.com/"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "/\\evil.example.com"}, "url"),
        ({"url": "/a b"}, "url"),
        ({"url": "/" + "a" * 600}, "url"),
    ],
)
def test_bad_notifications_are_refused(alice, values, field):
    arguments = {"recipients": [alice], "kind": "system", "title": "Tiêu đề", **values}
    with pytest.raises(ValidationError) as excinfo:
        notify(**arguments)
    assert field in excinfo.value.message_dict
    assert not Notification.objects.exists()


def test_long_titles_are_shortened_not_refused(alice):
    row = notify(recipients=[alice], kind="system", title="Đ" * 400)[0]
    assert len(row.title) == 255 and row.title.endswith("…")


def test_kind_registry_is_open_to_other_apps(alice):
    assert {"system", "announcement", "task", "feedback", "alert", "document"} <= set(notification_kinds())
    register_kind("test.custom", "Custom")
    assert notify(recipients=[alice], kind="test.custom", title="x")[0].kind == "test.custom"
    with pytest.raises(ValueError):
        register_kind("x" * 65, "Too long")


# --- Marking read -----------------------------------------------------------------------------------------


def test_mark_read_touches_only_own_notifications(alice, bob):
    mine = notify(recipients=[alice], kind="system", title="a")[0]
    theirs = notify(recipients=[bob], kind="system", title="b")[0]
    assert notification_mark_read(user=alice, notification_ids=[mine.pk, theirs.pk]) == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    assert notification_mark_read(user=alice, all=True) == 0
    assert notification_mark_read(user=bob, all=True) == 1


@pytest.mark.parametrize(
    "ids", [["1"], "1,2", [1.5], [True], [0], [-3], [2**64], list(range(1, 1002)), [], None, {"id": 1}]
)
def test_mark_read_refuses_bad_ids(alice, ids):
    with pytest.raises(ValidationError):
        notification_mark_read(user=alice, notification_ids=ids)


def test_mark_read_needs_a_signed_in_person():
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        notification_mark_read(user=AnonymousUser(), all=True)


# --- Preferences ------------------------------------------------------------------------------------------


def test_preference_set_is_audited_only_on_change(alice):
    notification_preference_set(user=alice, kind="task", in_app=True, email=False)
    notification_preference_set(user=alice, kind="task", in_app=True, email=False)
    pref = NotificationPreference.objects.get(user=alice, kind="task")
    assert (pref.in_app, pref.email) == (True, False)
    events = AuditEvent.objects.filter(verb=AuditVerbs.NOTIFICATION_PREFERENCE_UPDATED)
    assert events.count() == 1
    assert events.get().data == {"kind": "task", "old": {"in_app": True, "email": True}, "new": pref_dict(pref)}


def pref_dict(pref):
    return {"in_app": pref.in_app, "email": pref.email}


@pytest.mark.parametrize(("kind", "in_app", "email"), [("nope", True, True), ("task", "yes", True), ("task", 1, 0)])
def test_preference_set_refuses_bad_input(alice, kind, in_app, email):
    with pytest.raises(ValidationError):
        notification_preference_set(user=alice, kind=kind, in_app=in_app, email=email)


def test_preferences_page_saves_choices(client, alice):
    client.force_login(alice)
    page = client.get(reverse("core:notification_preferences"))
    assert page.status_code == 200
    assert "task__email" in page.content.decode()
    data = {f"{kind}__in_app": "on" for kind in notification_kinds()}
    data.pop("alert__in_app")  # alerts: not in the app, not by email
    response = client.post(reverse("core:notification_preferences"), data)
    assert response.status_code == 302
    alert = NotificationPreference.objects.get(user=alice, kind="alert")
    assert (alert.in_app, alert.email) == (False, False)
    assert NotificationPreference.objects.get(user=alice, kind="task").email is False


# --- Inbox page -------------------------------------------------------------------------------------------


def test_inbox_shows_own_notifications_unread_first_escaped(client, alice, bob):
    old = notify(recipients=[alice], kind="system", title="Cũ, chưa đọc")[0]
    read = notify(recipients=[alice], kind="system", title="Mới, đã đọc")[0]
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    notify(recipients=[alice], kind="alert", title=XSS, body=XSS)
    notify(recipients=[bob], kind="system", title="Thư của Bob")
    client.force_login(alice)
    html = client.get(reverse("core:notifications")).content.decode()
    assert "Thư của Bob" not in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert html.index("&lt;script&gt;") < html.index(old.title) < html.index("Mới, đã đọc")


def test_inbox_paginates_and_filters_unread(client, alice):
    for i in range(25):
        notify(recipients=[alice], kind="system", title=f"Số {i:02d}")
    client.force_login(alice)
    first = client.get(reverse("core:notifications")).content.decode()
    second = client.get(reverse("core:notifications") + "?page=2").content.decode()
    assert first.count('data-testid="notification"') == 20
    assert second.count('data-testid="notification"') == 5
    assert client.get(reverse("core:notifications") + "?page=abc").status_code == 200
    notification_mark_read(user=alice, all=True)
    unread = client.get(reverse("core:notifications") + "?unread=1").content.decode()
    assert 'data-testid="notification"' not in unread


def test_inbox_needs_sign_in(client):
    response = client.get(reverse("core:notifications"))
    assert response.status_code == 302 and reverse("core:login") in response["Location"]


def test_mark_read_from_the_page(client, alice, bob):
    mine = notify(recipients=[alice], kind="system", title="a")[0]
    theirs = notify(recipients=[bob], kind="system", title="b")[0]
    client.force_login(alice)
    url = reverse("core:notifications_read")
    response = client.post(url, {"id": [mine.pk, theirs.pk]})
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    # htmx: the changed item comes back; someone else's id gives nothing away.
    other = notify(recipients=[alice], kind="system", title="c")[0]
    partial = client.post(url, {"id": other.pk}, headers={"HX-Request": "true"})
    assert partial.status_code == 200 and f'id="notification-{other.pk}"' in partial.content.decode()
    assert "Mark as read" not in partial.content.decode()
    foreign = client.post(url, {"id": theirs.pk}, headers={"HX-Request": "true"})
    assert foreign.status_code == 200 and foreign.content == b""
    everything = client.post(url, {"all": "1"}, headers={"HX-Request": "true"})
    assert 'id="notification-list"' in everything.content.decode()


@pytest.mark.parametrize("data", [{"id": "abc"}, {"id": ""}, {}, {"id": [str(i) for i in range(1, 1002)]}])
def test_mark_read_page_rejects_bad_input(client, alice, data):
    client.force_login(alice)
    assert client.post(reverse("core:notifications_read"), data).status_code == 400


def test_mark_read_page_refuses_get(client, alice):
    client.force_login(alice)
    assert client.get(reverse("core:notifications_read")).status_code == 405


def test_unread_badge_counts_own_unread(client, alice, bob):
    notify(recipients=[alice, bob], kind="system", title="a")
    notify(recipients=[bob], kind="system", title="b")
    client.force_login(alice)
    assert client.get(reverse("core:notifications")).context["unread_notifications"] == 1


# --- API ----------------------------------------------------------------------------------------------------


def test_api_lists_only_own_notifications(client, alice, bob):
    for i in range(3):
        notify(recipients=[alice], kind="system", title=f"A{i}")
    notify(recipients=[bob], kind="system", title="B")
    read = Notification.objects.filter(recipient=alice).order_by("id").first()
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    client.force_login(alice)
    body = client.get("/api/v1/notifications").json()
    assert body["count"] == 3
    assert [item["title"] for item in body["items"]][-1] == "A0"  # read one last
    assert {item["title"] for item in body["items"]} == {"A0", "A1", "A2"}
    unread = client.get("/api/v1/notifications?unread=true").json()
    assert unread["count"] == 2 and all(item["read_at"] is None for item in unread["items"])
    page = client.get("/api/v1/notifications?page_size=2&page=2").json()
    assert page["pages"] == 2 and len(page["items"]) == 1
    assert client.get("/api/v1/notifications?page_size=100000").status_code == 400
    assert client.get("/api/v1/notifications?unread=maybe").status_code == 400


def test_api_mark_read(client, alice, bob):
    mine = notify(recipients=[alice], kind="system", title="a")[0]
    theirs = notify(recipients=[bob], kind="system", title="b")[0]
    client.force_login(alice)
    response = client.post("/api/v1/notifications/read", {"ids": [mine.pk, theirs.pk]}, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"updated": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.force_login(bob)
    assert client.post("/api/v1/notifications/read", {"all": True}, content_type="application/json").json() == {
        "updated": 1
    }


@pytest.mark.parametrize(
    "payload",
    [
        {"ids": ["1"]},
        {"ids": ["abc"]},
        {"ids": "1"},
        {"ids": [True]},
        {"ids": [0]},
        {"ids": [2**70]},
        {"ids": list(range(1, 1002))},
        {},
        {"ids": []},
    ],
)
def test_api_mark_read_rejects_bad_ids(client, alice, payload):
    notify(recipients=[alice], kind="system", title="a")
    client.force_login(alice)
    response = client.post("/api/v1/notifications/read", payload, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "validation_error"
    assert Notification.objects.get().read_at is None


def test_api_needs_authentication(client):
    assert client.get("/api/v1/notifications").status_code == 401
    assert client.post("/api/v1/notifications/read", {"all": True}, content_type="application/json").status_code == 401


# --- Announcements ------------------------------------------------------------------------------------------


def test_sanitiser_keeps_formatting_and_drops_scripts():
    dirty = (
        '<p onclick="x()">Xin <strong>chào</strong> <a href="javascript:alert(1)">bad</a> '
        '<a href="https://bacninh.gov.vn">ok</a></p><script>alert(1)</script><style>p{}</style>'
        '<iframe src="https://evil"></iframe><img src=x onerror=alert(1)><ul><li>một</li></ul>'
    )
    clean = sanitize_announcement_html(dirty)
    assert "<strong>chào</strong>" in clean and "<ul><li>một</li></ul>" in clean
    assert 'href="https://bacninh.gov.vn"' in clean and 'rel="noopener noreferrer nofollow"' in clean
    for bad in ("onclick", "javascript:", "<script", "<style", "<iframe", "<img", "onerror"):
        assert bad not in clean


@pytest.fixture
def unit_a(agency_a):
    return OrganizationFactory(parent=agency_a, kind="unit", name="Phòng Quy hoạch")


def test_agency_head_publishes_and_staff_of_the_subtree_are_told(
    agency_a, agency_b, unit_a, make_member, django_capture_on_commit_callbacks
):
    head = make_member(agency_a, Role.AGENCY_HEAD)
    staff_a = make_member(agency_a, Role.SPECIALIST)
    staff_unit = make_member(unit_a, Role.CLERK)
    staff_b = make_member(agency_b, Role.SPECIALIST)
    citizen = make_member(agency_a, Role.CITIZEN)
    with django_capture_on_commit_callbacks(execute=True):
        announcement = announcement_publish(
            actor=head, organization=agency_a, title="  Lịch  họp  ", body=f"<p>Họp lúc 8h</p>{XSS}", is_public=False
        )
    assert announcement.title == "Lịch họp"
    assert announcement.body == "<p>Họp lúc 8h</p>"
    assert announcement.published_at is not None and announcement.created_by == head
    told = set(Notification.objects.filter(kind="announcement").values_list("recipient_id", flat=True))
    assert told == {staff_a.pk, staff_unit.pk}
    assert head.pk not in told and staff_b.pk not in told and citizen.pk not in told
    note = Notification.objects.filter(kind="announcement").first()
    assert note.body == "Họp lúc 8h" and note.url.endswith(f"#announcement-{announcement.pk}")
    assert {m.to[0] for m in mail.outbox} == {staff_a.email, staff_unit.email}
    assert AuditEvent.objects.filter(verb="core.announcement.published", target_id=str(announcement.pk)).exists()


def test_published_announcement_is_found_by_search_at_once(agency_a, agency_b, make_member):
    from cityops.core import search

    head = make_member(agency_a, Role.AGENCY_HEAD)
    staff_a = make_member(agency_a, Role.SPECIALIST)
    staff_b = make_member(agency_b, Role.SPECIALIST)
    announcement_publish(
        actor=head, organization=agency_a, title="Kế hoạch phòng chống lụt bão", body="<p>Nội dung</p>",
        is_public=False,
    )  # fmt: skip
    assert [hit.title for hit in search.search(staff_a, "ke hoach lut bao")] == ["Kế hoạch phòng chống lụt bão"]
    assert search.search(staff_b, "ke hoach lut bao") == []


def test_only_heads_and_administrators_publish_and_only_in_their_subtree(agency_a, agency_b, make_member):
    head_a = make_member(agency_a, Role.AGENCY_HEAD)
    specialist = make_member(agency_a, Role.SPECIALIST)
    admin = make_member(agency_b, Role.ADMINISTRATOR)
    values = {"title": "T", "body": "<p>B</p>", "is_public": True}
    with pytest.raises(PermissionDenied):
        announcement_publish(actor=specialist, organization=agency_a, **values)
    with pytest.raises(PermissionDenied):
        announcement_publish(actor=head_a, organization=agency_b, **values)
    assert announcement_publish(actor=admin, organization=agency_b, **values).organization == agency_b
    assert Announcement.objects.count() == 1


@pytest.mark.parametrize(
    ("title", "body", "field"), [("", "<p>x</p>", "title"), ("T", "<script>only()</script>", "body"), ("T", "", "body")]
)
def test_announcement_needs_title_and_real_text(agency_a, make_member, title, body, field):
    head = make_member(agency_a, Role.AGENCY_HEAD)
    with pytest.raises(ValidationError) as excinfo:
        announcement_publish(actor=head, organization=agency_a, title=title, body=body, is_public=False)
    assert field in excinfo.value.message_dict
    assert not Announcement.objects.exists()


def test_announcements_page_shows_what_each_person_may_read(client, province, agency_a, agency_b, unit_a, make_member):
    head_a = make_member(agency_a, Role.AGENCY_HEAD)
    head_p = make_member(province, Role.ADMINISTRATOR)
    announcement_publish(actor=head_a, organization=agency_a, title="Nội bộ Sở XD", body="<p>a</p>", is_public=False)
    announcement_publish(actor=head_a, organization=agency_a, title="Công khai Sở XD", body="<p>b</p>", is_public=True)
    announcement_publish(actor=head_p, organization=province, title="Nội bộ Tỉnh", body="<p>c</p>", is_public=False)

    def titles(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        html = client.get(reverse("core:announcements")).content.decode()
        return {t for t in ("Nội bộ Sở XD", "Công khai Sở XD", "Nội bộ Tỉnh") if t in html}

    assert titles(None) == {"Công khai Sở XD"}
    assert titles(make_member(agency_b, Role.SPECIALIST)) == {"Công khai Sở XD", "Nội bộ Tỉnh"}
    assert titles(make_member(unit_a, Role.CLERK)) == {"Nội bộ Sở XD", "Công khai Sở XD", "Nội bộ Tỉnh"}
    assert titles(make_member(province, Role.LEADER)) == {"Nội bộ Sở XD", "Công khai Sở XD", "Nội bộ Tỉnh"}
    assert titles(make_member(agency_a, Role.CITIZEN)) == {"Công khai Sở XD"}


def test_announcement_body_from_elsewhere_is_cleaned_when_shown(client, agency_a):
    Announcement.objects.create(
        organization=agency_a, title="x", body=f"<p>ok</p>{XSS}", is_public=True, published_at=timezone.now()
    )
    html = client.get(reverse("core:announcements")).content.decode()
    assert "<p>ok</p>" in html and "<script>alert" not in html and "onerror" not in html


def test_announcement_form_for_heads_only(client, agency_a, agency_b, make_member):
    head = make_member(agency_a, Role.AGENCY_HEAD)
    specialist = make_member(agency_a, Role.SPECIALIST)
    client.force_login(specialist)
    assert 'data-testid="announcement-form"' not in client.get(reverse("core:announcements")).content.decode()
    data = {"organization": agency_a.pk, "title": "Thông báo", "body": "<p>Nội dung</p>", "is_public": "on"}
    assert client.post(reverse("core:announcements"), data).status_code == 403
    client.force_login(head)
    page = client.get(reverse("core:announcements")).content.decode()
    assert 'data-testid="announcement-form"' in page
    assert client.post(reverse("core:announcements"), {**data, "organization": agency_b.pk}).status_code == 200
    assert not Announcement.objects.exists()  # agency B is not a choice for this head
    response = client.post(reverse("core:announcements"), data)
    assert response.status_code == 302
    created = Announcement.objects.get()
    assert (created.title, created.is_public, created.organization) == ("Thông báo", True, agency_a)
    invalid = client.post(reverse("core:announcements"), {**data, "body": "<script>x()</script>"})
    assert invalid.status_code == 200 and "body" in invalid.context["form"].errors
