"""Managing meeting rooms and secretaries through the page: who may, and bad input."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from cityops.schedule.models import Room, SecretaryAssignment

pytestmark = pytest.mark.django_db


def test_admin_adds_a_room_and_duplicates_are_refused(client, province, province_admin):
    client.force_login(province_admin)
    data = {"action": "room", "organization": province.pk, "name": "Phòng họp <b>A</b>", "capacity": 20}
    assert client.post("/schedule/manage/", data).status_code == 302
    assert Room.objects.get().name == "Phòng họp <b>A</b>"
    body = client.get("/schedule/manage/").content.decode()
    assert "Phòng họp &lt;b&gt;A&lt;/b&gt;" in body
    assert client.post("/schedule/manage/", data).status_code == 400
    assert Room.objects.count() == 1


def test_clerk_cannot_add_rooms(client, province, office_clerk):
    client.force_login(office_clerk)
    response = client.post("/schedule/manage/", {"action": "room", "organization": province.pk, "name": "X"})
    assert response.status_code == 400 and not Room.objects.exists()


def test_leader_names_and_removes_a_secretary(client, province, chairman, office_clerk):
    client.force_login(chairman)
    data = {"action": "secretary", "organization": province.pk, "leader": chairman.pk, "secretary": office_clerk.pk}
    assert client.post("/schedule/manage/", data).status_code == 302
    assignment = SecretaryAssignment.objects.get()
    assert client.post("/schedule/manage/", data).status_code == 400  # already named
    client.post("/schedule/manage/", {"action": "remove_secretary", "id": assignment.pk})
    assert not SecretaryAssignment.objects.exists()


def test_nobody_names_themselves_secretary_of_someone_else(client, province, chairman, clerk_b):
    client.force_login(clerk_b)
    data = {"action": "secretary", "organization": province.pk, "leader": chairman.pk, "secretary": clerk_b.pk}
    assert client.post("/schedule/manage/", data).status_code == 400
    assert not SecretaryAssignment.objects.exists()


def test_django_admin_is_read_only_and_hides_private_content(client, make_event, secretary, django_user_model):
    make_event(actor=secretary, content="Bí mật riêng", is_private=True)
    make_event(content="Công việc chung")
    root = django_user_model.objects.create_superuser("root", "root@example.gov.vn", "Secret-pass-123")
    client.force_login(root)
    body = client.get("/admin/schedule/event/").content.decode()
    assert "Công việc chung" in body and "Bí mật riêng" not in body
    assert client.get("/admin/schedule/event/add/").status_code == 403
    assert client.get("/admin/schedule/feedtoken/").status_code == 200


@pytest.mark.parametrize("bad", ["abc", "-1", "99999999999999999999999", ""])
def test_bad_ids_are_404_not_500(client, chairman, bad):
    client.force_login(chairman)
    assert client.post("/schedule/feeds/", {"action": "revoke", "id": bad}).status_code == 404
    assert client.post("/schedule/manage/", {"action": "remove_secretary", "id": bad}).status_code == 404


def test_view_only_secretary_reads_private_items_but_changes_nothing(client, province, chairman, make_member,
                                                                     make_event, secretary):  # fmt: skip
    from cityops.core.choices import Role
    from cityops.core.permissions import NotFoundOrForbidden
    from cityops.schedule import selectors, services
    from tests.schedule.conftest import at

    reader = make_member(province, Role.SPECIALIST, username="tro.ly", full_name="Trợ Lý Xem")
    client.force_login(chairman)
    data = {"action": "secretary", "organization": province.pk, "leader": chairman.pk, "secretary": reader.pk}
    assert client.post("/schedule/manage/", data).status_code == 302  # the box unticked: view only
    assignment = SecretaryAssignment.objects.get(secretary=reader)
    assert assignment.can_edit is False
    assert 'data-testid="secretary-rights"' in client.get("/schedule/manage/").content.decode()
    private = services.event_publish(
        actor=secretary, event=make_event(actor=secretary, content="Khám sức khỏe", is_private=True)
    )
    assert selectors.event_get(actor=reader, pk=private.pk) == private
    with pytest.raises(NotFoundOrForbidden):
        selectors.event_get(actor=reader, pk=private.pk, action="change")
    with pytest.raises(NotFoundOrForbidden):
        services.event_update(actor=reader, event=private, start=at(0, 8), end=at(0, 9), content="đổi")
    with pytest.raises(NotFoundOrForbidden):
        services.event_cancel(actor=reader, event=private)
    with pytest.raises(PermissionDenied):
        services.event_create(actor=reader, organization=province, leader=chairman, start=at(1, 8), end=at(1, 9),
                              content="x")  # fmt: skip
    # Reading includes the leader's feed (private items too).
    _token, raw = services.feed_token_create(actor=reader, kind="person", person=chairman)
    client.logout()
    assert "Khám sức khỏe" in client.get(f"/schedule/feeds/{raw}.ics").content.decode()
    client.force_login(reader)
    change = {"start": "2026-11-23T08:00:00+07:00", "end": "2026-11-23T09:00:00+07:00", "content": "đổi"}
    assert (
        client.put(f"/api/v1/schedule/events/{private.pk}", change, content_type="application/json").status_code == 404
    )
    assert client.get(f"/schedule/events/{private.pk}/edit/").status_code == 404
    private.refresh_from_db()
    assert private.content == "Khám sức khỏe"
    # An editing secretary keeps full rights.
    assert services.can_edit_event(secretary, private)
