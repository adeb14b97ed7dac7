"""The /api/v1/feedback router and the configuration services behind the Django admin."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cityops.core.choices import Role
from cityops.core.models import AuditEvent
from cityops.feedback import services
from cityops.feedback.models import Category, RoutingRule
from cityops.feedback.selectors import routing_suggestion
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def test_api_queue_is_scoped(client, submit, desk_user, staff_a, staff_b, agency_b):
    req = services.request_verify(actor=desk_user, request=submit())
    services.request_assign(actor=desk_user, request=req, agency=agency_b)
    client.force_login(staff_b)
    body = client.get("/api/v1/feedback/requests").json()
    assert body["count"] == 1 and body["items"][0]["tracking_code"] == req.tracking_code
    assert body["items"][0]["category"] == "street-light"
    assert client.get(f"/api/v1/feedback/requests/{req.pk}").status_code == 200
    client.force_login(staff_a)
    assert client.get("/api/v1/feedback/requests").json()["count"] == 0
    response = client.get(f"/api/v1/feedback/requests/{req.pk}")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/feedback/requests", {"page_size": 1000}).status_code == 400


def test_api_needs_authentication(client):
    assert client.get("/api/v1/feedback/requests").status_code == 401


def test_category_save_is_audited_and_checked(desk_user, staff_a, agency_a, province):
    category = Category(code="flooding", name_vi="Ngập u\u0301ng", kind="problem", domain="environment")
    with pytest.raises(PermissionDenied):
        services.category_save(actor=staff_a, category=category)
    saved = services.category_save(actor=desk_user, category=category)
    assert saved.name_vi == "Ngập úng"
    assert AuditEvent.objects.filter(verb="feedback.category.saved", target_id=str(saved.pk)).exists()
    bad = Category(code="bad", name_vi="x", attributes=[{"code": "a", "datatype": "singlevaluelist"}])
    with pytest.raises(ValidationError):
        services.category_save(actor=desk_user, category=bad)
    both = Category(code="both", name_vi="x", deadline_days=1, deadline_hours=4)
    with pytest.raises(ValidationError):
        services.category_save(actor=desk_user, category=both)


@pytest.mark.parametrize(
    "attributes",
    [
        "not a list",
        [{"datatype": "string"}],
        [{"code": "a", "datatype": "colour"}],
        [{"code": "a", "datatype": "string"}, {"code": "a", "datatype": "string"}],
        [{"code": "a", "datatype": "string", "values": [{"key": "x", "name": "x"}]}],
        [{"code": "a", "datatype": "string", "variable": False, "required": True}],
        [{"code": "a", "datatype": "string", "order": 0}],
    ],
)
def test_bad_attribute_definitions(desk_user, attributes):
    with pytest.raises(ValidationError):
        services.category_save(actor=desk_user, category=Category(code="c", name_vi="c", attributes=attributes))


def test_routing_rule_by_area_beats_the_category_default(
    desk_user, submit, simple_category, province, agency_a, agency_b
):
    ward = OrganizationFactory(name="Phường Kinh Bắc", code="kinh-bac", kind="ward", parent=province)
    services.routing_rule_save(
        actor=desk_user, rule=RoutingRule(category=simple_category, area=province, agency=agency_a)
    )
    req = submit(area=ward)
    assert routing_suggestion(req) == agency_a  # the rule for the province covers its wards
    assert routing_suggestion(submit()) == agency_b  # no area: the category's default


def test_admin_pages_load(client, django_user_model, simple_category, submit):
    admin = django_user_model.objects.create_superuser("root", "root@example.vn", "Secret-pass-123")
    client.force_login(admin)
    submit()
    for url in ("/admin/feedback/category/", "/admin/feedback/routingrule/", "/admin/feedback/request/"):
        assert client.get(url).status_code == 200
    assert Role.IOC_OPERATOR in services.CONFIG_ROLES


def test_response_templates_offered_by_category(client, submit, desk_user, staff_a, simple_category, category):
    from cityops.feedback.models import ResponseTemplate

    generic = services.response_template_save(
        actor=desk_user, template=ResponseTemplate(name="Tiếp nhận", text="Đã tiếp nhận <phản ánh>.")
    )
    mine = services.response_template_save(
        actor=desk_user, template=ResponseTemplate(name="Đèn", text="Đã thay bóng.", category=simple_category)
    )
    other = services.response_template_save(
        actor=desk_user, template=ResponseTemplate(name="Đường", text="Đã vá.", category=category)
    )
    with pytest.raises(PermissionDenied):
        services.response_template_save(actor=staff_a, template=ResponseTemplate(name="x", text="y"))
    with pytest.raises(ValidationError):
        services.response_template_save(actor=desk_user, template=ResponseTemplate(name="x", text="y" * 4001))
    req = submit()
    client.force_login(desk_user)
    page = client.get(f"/feedback/staff/{req.pk}/").content.decode()
    assert generic.name in page and mine.name in page and other.name not in page
    assert 'data-text="Đã tiếp nhận &lt;phản ánh&gt;."' in page and "feedback/staff.js" in page
    assert client.get("/admin/feedback/responsetemplate/").status_code in {200, 302}


def test_seed_categories_is_idempotent_and_open311_valid(client, agency_a, capsys):
    from django.core.management import call_command

    call_command("feedback_seed_categories")
    call_command("feedback_seed_categories")
    assert "categories created: 0" in capsys.readouterr().out
    assert Category.objects.count() == 11
    body = client.get("/open311/v2/services.json").json()
    assert len(body) == 11 and {s["service_code"] for s in body} >= {"road-damage", "idea", "business"}
    assert client.get("/open311/v2/services/road-damage.json").json()["attributes"][0]["code"] == "size"
