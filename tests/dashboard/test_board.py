"""Each person's board, the administrator's default board per role, and refusal of unknown widget keys."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cityops.core.choices import Role
from cityops.core.models import AuditEvent
from cityops.dashboard import selectors, services
from cityops.dashboard.models import Board, RoleBoard

pytestmark = pytest.mark.django_db


def widget_order(body: str) -> list[str]:
    import re

    return re.findall(r'data-testid="widget-([a-z_]+)"', body)


def test_person_arranges_their_board(client, world):
    client.force_login(world.leader)
    url = reverse("dashboard:board")
    assert client.post(url, {"action": "remove", "key": "headlines"}).status_code == 302
    assert client.post(url, {"action": "up", "key": "feedback_queue"}).status_code == 302
    keys, customised = selectors.board_for(world.leader)
    assert customised and "headlines" not in keys
    assert keys.index("feedback_queue") < keys.index("feed")
    assert client.post(url, {"action": "add", "key": "headlines"}).status_code == 302
    assert selectors.board_for(world.leader)[0][-1] == "headlines"
    assert AuditEvent.objects.filter(verb="dashboard.board.saved", actor=world.leader).count() == 3
    body = client.get(reverse("dashboard:index")).content.decode()
    assert "widget-headlines" in body


@pytest.mark.parametrize(
    "keys",
    [["map", "nope"], ["<script>alert(1)</script>"], ["map", "map"], ["../../etc/passwd"], [""], ["map"] * 30],
)
def test_unknown_or_hostile_widget_keys_are_refused(world, keys):
    services.board_save(actor=world.leader, widgets=["map"])
    with pytest.raises(ValidationError):
        services.board_save(actor=world.leader, widgets=keys)
    assert Board.objects.get(user=world.leader).widgets == ["map"]


def test_board_form_refuses_unknown_key_with_400_and_keeps_the_board(client, world):
    client.force_login(world.leader)
    url = reverse("dashboard:board")
    response = client.post(url, {"action": "add", "key": "<img src=x onerror=alert(1)>"})
    assert response.status_code == 400
    assert "<img src=x" not in response.content.decode()
    assert client.post(url, {"action": "explode", "key": "map"}).status_code == 400
    assert client.post(url, {"action": "save", "widgets": ["map", "feed", "zzz"]}).status_code == 400
    assert not Board.objects.filter(user=world.leader, customised=True).exists()


def test_board_rejects_non_lists_and_citizens(world):
    with pytest.raises(ValidationError):
        services.board_save(actor=world.leader, widgets="map")
    with pytest.raises(PermissionDenied):
        services.board_save(actor=world.citizen, widgets=["map"])


def test_administrator_sets_the_default_board_of_a_role(client, world, make_member):
    client.force_login(world.admin)
    url = reverse("dashboard:board") + "?role=leader"
    response = client.post(url, {"role": "leader", "action": "remove", "key": "map"})
    assert response.status_code == 302
    assert "map" not in RoleBoard.objects.get(role=Role.LEADER).widgets
    other_leader = make_member(world.province, Role.LEADER)
    client.force_login(other_leader)
    assert "map" not in widget_order(client.get(reverse("dashboard:index")).content.decode())
    # A person who arranged their own board keeps it.
    services.board_save(actor=world.leader, widgets=["map", "feed"])
    client.force_login(world.leader)
    assert widget_order(client.get(reverse("dashboard:index")).content.decode()) == ["map", "feed"]
    # Back to the role's board on request.
    client.post(reverse("dashboard:board"), {"action": "reset"})
    assert "map" not in widget_order(client.get(reverse("dashboard:index")).content.decode())


def test_only_administrators_set_role_boards(client, world):
    client.force_login(world.leader)
    assert client.get(reverse("dashboard:board") + "?role=leader").status_code == 403
    assert (
        client.post(reverse("dashboard:board"), {"role": "leader", "action": "remove", "key": "map"}).status_code == 403
    )
    with pytest.raises(PermissionDenied):
        services.role_board_save(actor=world.leader, role=Role.LEADER, widgets=["map"])
    with pytest.raises(ValidationError):
        services.role_board_save(actor=world.admin, role=Role.CITIZEN, widgets=["map"])
    with pytest.raises(ValidationError):
        services.role_board_save(actor=world.admin, role="boss", widgets=["map"])
    assert not RoleBoard.objects.exists()


def test_indicator_targets_in_the_admin_are_audited(client, world):
    from django.contrib.auth import get_user_model

    from cityops.dashboard.models import IndicatorTarget
    from cityops.datahub.models import IndicatorDefinition

    superuser = get_user_model().objects.create_superuser(username="root", password="Secret-pass-123")
    client.force_login(superuser)
    indicator = IndicatorDefinition.objects.get(code="env-01")
    response = client.post(
        reverse("admin:dashboard_indicatortarget_add"),
        {"indicator": indicator.pk, "target": "25", "headline": "on", "sort_order": "1"},
    )
    assert response.status_code == 302
    assert IndicatorTarget.objects.get(indicator=indicator).target == 25
    assert AuditEvent.objects.filter(verb="dashboard.indicator_target.set").count() == 1
    assert client.get(reverse("admin:dashboard_areaboundary_changelist")).status_code == 200
