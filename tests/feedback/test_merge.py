"""Merging reports: photos and reporters move to the original, followers hear of progress, undo, isolation."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from cityops.core.choices import Role
from cityops.core.models import Attachment, AuditEvent, Notification
from cityops.feedback import services
from cityops.feedback.choices import FollowChannel, FollowSource, Status
from cityops.feedback.models import Follower, Merge, Request
from tests.factories import OrganizationFactory
from tests.feedback.conftest import png_bytes
from tests.feedback.test_open311 import validate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def client():
    """Pages in English, so the messages checked below are the source strings whatever the catalogue says."""
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def photo(name="p.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def files_of(req):
    return set(
        Attachment.objects.filter(target_type="feedback.request", target_id=str(req.pk)).values_list("pk", flat=True)
    )


@pytest.fixture
def pair(submit, desk_user, citizen):
    original = services.request_verify(actor=desk_user, request=submit(description="Đèn hỏng cả dãy phố"))
    other = submit(actor=citizen, description="Đèn đường không sáng", photos=[photo("a.png"), photo("b.png")])
    return original, other


def test_merge_moves_photos_and_reporter_and_closes(pair, desk_user, citizen):
    original, other = pair
    moved = files_of(other)
    assert len(moved) == 2
    merged = services.request_merge(actor=desk_user, request=other, original=original, note="Cùng một dãy đèn")
    assert merged.status == Status.MERGED and not merged.is_open and merged.duplicate_of == original
    assert original.tracking_code in merged.status_notes
    assert files_of(other) == set() and files_of(original) == moved
    (follower,) = Follower.objects.filter(request=original)
    assert (follower.user, follower.channel, follower.source) == (citizen, FollowChannel.ACCOUNT, FollowSource.MERGED)
    assert follower.merged_from == merged
    assert Request.objects.get(pk=original.pk).joined_count == 1
    event = AuditEvent.objects.get(verb="feedback.request.merged")
    assert event.actor == desk_user and event.data["new"]["original"] == original.pk
    assert sorted(event.data["attachments"]) == sorted(moved)


def test_anonymous_reporter_with_email_follows_by_email(submit, desk_user):
    original = services.request_verify(actor=desk_user, request=submit())
    other = submit(contact_email="dan@example.vn")
    services.request_merge(actor=desk_user, request=other, original=original)
    (follower,) = Follower.objects.filter(request=original)
    assert follower.channel == FollowChannel.EMAIL and follower.email == "dan@example.vn"


def test_merged_tracking_page_redirects_to_the_original(client, pair, desk_user):
    original, other = pair
    services.request_merge(actor=desk_user, request=other, original=original)
    response = client.get(reverse("feedback:track", args=[other.tracking_code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:track", args=[original.tracking_code])
    page = client.get(response["Location"]).content.decode()
    assert "merged into" in page and original.tracking_code in page


def test_followers_hear_of_the_originals_progress(
    pair, desk_user, staff_b, agency_b, citizen, make_member, province, django_capture_on_commit_callbacks
):
    original, other = pair
    joiner = make_member(province, Role.CITIZEN, username="joiner", email="joiner@example.vn")
    with django_capture_on_commit_callbacks(execute=True):
        services.request_merge(actor=desk_user, request=other, original=original)
        services.request_join(actor=joiner, request=original)
        services.request_join(actor=None, request=original, email="neighbour@example.vn")
    assert Request.objects.get(pk=original.pk).joined_count == 3
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        req = services.request_assign(actor=desk_user, request=original, agency=agency_b, note="Chuyển Sở Y tế")
        req = services.request_accept(actor=staff_b, request=req)  # internal: nobody is told
        req = services.request_progress(actor=staff_b, request=req, note="Đang thay bóng")
        req = services.request_resolve(actor=staff_b, request=req, answer="Đã thay 14 bóng đèn")
        services.request_publish(actor=desk_user, request=req)
    for person in (citizen, joiner):
        titles = list(
            Notification.objects.filter(recipient=person, kind="feedback.followed").values_list("title", flat=True)
        )
        assert len(titles) == 3, titles  # assigned, in progress, published
        assert any("Answer published" in t for t in titles)
    merged_link = Notification.objects.filter(recipient=citizen, kind="feedback.followed").first().url
    assert merged_link == reverse("feedback:track", args=[other.tracking_code])
    assert Notification.objects.filter(recipient=joiner, kind="feedback.followed").first().url == reverse(
        "feedback:index"
    )
    to_neighbour = [m for m in mail.outbox if m.to == ["neighbour@example.vn"]]
    assert len(to_neighbour) == 3 and "Đã thay 14 bóng đèn" in to_neighbour[-1].body
    assert original.tracking_code not in " ".join(m.body for m in to_neighbour)


def test_undo_restores_everything(pair, desk_user, citizen, client):
    original, other = pair
    moved = files_of(other)
    other = services.request_verify(actor=desk_user, request=other)
    services.request_join(actor=None, request=other, email="early@example.vn")
    services.request_merge(actor=desk_user, request=other, original=original)
    assert Follower.objects.filter(request=original).count() == 2
    restored = services.request_merge_undo(actor=desk_user, request=other, note="Nhầm: hai dãy đèn khác nhau")
    assert restored.status == Status.VERIFIED and restored.is_open and restored.duplicate_of is None
    assert restored.status_notes == "" and restored.closed_at is None
    assert files_of(other) == moved and files_of(original) == set()
    assert list(Follower.objects.filter(request=other).values_list("email", flat=True)) == ["early@example.vn"]
    assert not Follower.objects.filter(request=original).exists()
    assert Request.objects.get(pk=original.pk).joined_count == 0
    assert Request.objects.get(pk=other.pk).joined_count == 1
    assert Merge.objects.get().undone_by == desk_user
    assert AuditEvent.objects.filter(verb="feedback.request.merge_undone", actor=desk_user).count() == 1
    assert client.get(reverse("feedback:track", args=[other.tracking_code])).status_code == 200
    with pytest.raises(ValidationError):
        services.request_merge_undo(actor=desk_user, request=other)


@pytest.mark.parametrize("state", [Status.REJECTED, Status.DUPLICATE, Status.MERGED])
def test_closed_requests_cannot_be_originals(pair, desk_user, state):
    original, other = pair
    Request.objects.filter(pk=original.pk).update(status=state)
    with pytest.raises(ValidationError):
        services.request_merge(actor=desk_user, request=other, original=original)
    assert Request.objects.get(pk=other.pk).status == Status.SUBMITTED and files_of(other)


def test_requests_beyond_the_desk_cannot_be_merged(pair, desk_user, staff_b, agency_b):
    original, other = pair
    with pytest.raises(ValidationError):
        services.request_merge(actor=desk_user, request=other, original=other)
    with pytest.raises(ValidationError):
        services.request_merge(actor=desk_user, request=other, original=None)
    assigned = services.request_assign(actor=desk_user, request=original, agency=agency_b)
    with pytest.raises(ValidationError):
        services.request_merge(actor=desk_user, request=assigned, original=other)
    with pytest.raises(PermissionDenied):
        services.request_merge(actor=staff_b, request=other, original=original)
    assert not Merge.objects.exists()


def test_desk_of_another_province_cannot_merge_across(submit, desk_user, make_member, settings):
    mine = submit()
    other_province = OrganizationFactory(name="Tỉnh Lạng Sơn", code="lang-son", kind="province", parent=None)
    other_desk = make_member(other_province, Role.IOC_OPERATOR, username="desk-ls")
    settings.FEEDBACK_DESK_ORGANIZATION = "lang-son"
    theirs = submit()
    assert theirs.organization == other_province
    with pytest.raises(ValidationError):
        services.request_merge(actor=desk_user, request=mine, original=theirs)
    with pytest.raises(PermissionDenied):
        services.request_merge(actor=other_desk, request=mine, original=theirs)
    with pytest.raises(PermissionDenied):
        services.request_merge_undo(actor=other_desk, request=mine)
    assert not Merge.objects.exists()


def test_staff_page_merge_and_undo(client, pair, desk_user):
    original, other = pair
    client.force_login(desk_user)
    act = reverse("feedback:staff_act", args=[other.pk])
    page = client.get(reverse("feedback:staff_detail", args=[other.pk])).content.decode()
    assert 'data-testid="act-merge"' in page
    for bad in ("", "PANOTACODE", "../../etc", "<script>alert(1)</script>", "P" * 500, other.tracking_code):
        response = client.post(act, {"action": "merge", "original": bad, "text": "x"})
        assert response.status_code == 400 and "<script>alert(1)</script>" not in response.content.decode()
    assert Request.objects.get(pk=other.pk).status == Status.SUBMITTED
    response = client.post(act, {"action": "merge", "original": original.tracking_code.lower(), "text": "<b>x</b>"})
    assert response.status_code == 302 and Request.objects.get(pk=other.pk).status == Status.MERGED
    page = client.get(reverse("feedback:staff_detail", args=[original.pk])).content.decode()
    assert 'data-testid="merged-in"' in page and other.tracking_code in page and 'data-testid="followers"' in page
    page = client.get(reverse("feedback:staff_detail", args=[other.pk])).content.decode()
    assert 'data-testid="act-unmerge"' in page and "&lt;b&gt;x&lt;/b&gt;" in page
    assert client.post(act, {"action": "unmerge"}).status_code == 302
    assert Request.objects.get(pk=other.pk).status == Status.SUBMITTED


def test_agency_staff_neither_merge_nor_see_followers(client, pair, desk_user, staff_a, staff_b, agency_b):
    original, other = pair
    services.request_merge(actor=desk_user, request=other, original=original)
    services.request_join(actor=None, request=original, email="secret-follower@example.vn")
    req = services.request_assign(actor=desk_user, request=original, agency=agency_b)
    client.force_login(desk_user)
    assert "secret-follower@example.vn" in client.get(reverse("feedback:staff_detail", args=[req.pk])).content.decode()
    client.force_login(staff_b)
    page = client.get(reverse("feedback:staff_detail", args=[req.pk])).content.decode()
    assert 'data-testid="followers"' in page and "secret-follower@example.vn" not in page
    response = client.post(reverse("feedback:staff_act", args=[other.pk]), {"action": "unmerge"})
    assert response.status_code == 404  # the merged request stays at the desk: not theirs to see
    client.force_login(staff_a)
    assert client.get(reverse("feedback:staff_detail", args=[req.pk])).status_code == 404
    assert client.post(reverse("feedback:staff_act", args=[req.pk]), {"action": "merge"}).status_code == 404


def test_open311_shows_a_merged_request_closed_pointing_at_the_original(client, pair, desk_user):
    original, other = pair
    services.request_merge(actor=desk_user, request=other, original=original)
    listing = json.loads(client.get(f"/open311/v2/requests/{other.pk}.json").content)
    validate(listing, "requests.json")
    (body,) = listing
    assert body["status"] == "closed"
    assert body["status_notes"] == f"Merged into service request {original.pk}."
    assert original.tracking_code not in json.dumps(body)
    extended_listing = json.loads(client.get(f"/open311/v2/requests/{other.pk}.json?extensions=true").content)
    validate(extended_listing, "requests.json")
    (extended,) = extended_listing
    assert extended["extended_attributes"]["parent_service_request_id"] == str(original.pk)
    assert extended["detailed_status"] == "MERGED"


def test_join_with_a_bad_email_is_refused_whole(client, pair, desk_user):
    original, _other = pair
    response = client.post(
        reverse("feedback:join", args=[original.pk]), {"follow": "1", "contact_email": "<script>@x"}, follow=True
    )
    assert "valid email" in response.content.decode()
    assert Request.objects.get(pk=original.pk).joined_count == 0 and not Follower.objects.exists()
    client.post(reverse("feedback:join", args=[original.pk]), {"follow": "1", "contact_email": "dan@example.vn"})
    assert Follower.objects.get().email == "dan@example.vn"


def test_email_followers_can_stop_following(client, pair, desk_user, django_capture_on_commit_callbacks):
    original, _other = pair
    services.request_join(actor=None, request=original, email="neighbour@example.vn")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.request_note(actor=desk_user, request=original, text="Đã ghi nhận", is_public=False)  # not told
        services.request_reject(actor=desk_user, request=original, reason="Đã được xử lý trước đó")
    (message,) = mail.outbox
    link = next(line.split(": ", 1)[1] for line in message.body.splitlines() if "/feedback/unfollow/" in line)
    path = link.split("://", 1)[-1].split("/", 1)[-1]
    path = "/" + path
    page = client.get(path)
    assert page.status_code == 200 and 'data-testid="unfollow-form"' in page.content.decode()
    assert Follower.objects.filter(email="neighbour@example.vn").exists()  # a GET (mail scanner) removes nothing
    assert client.post(path).status_code == 302
    assert not Follower.objects.filter(email="neighbour@example.vn").exists()
    assert AuditEvent.objects.filter(verb="feedback.request.unfollowed").count() == 1
    assert client.post(path).status_code == 404


@pytest.mark.parametrize("token", ["forged", "1", "<script>alert(1)</script>", "x" * 500, "../../etc/passwd"])
def test_forged_unfollow_links_are_404(client, pair, token):
    original, _other = pair
    services.request_join(actor=None, request=original, email="keep@example.vn")
    assert client.post(f"/feedback/unfollow/{token}/").status_code == 404
    assert Follower.objects.filter(email="keep@example.vn").exists()
