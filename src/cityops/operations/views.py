"""Pages of monitoring and incidents: thin — parse, call a selector or a service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cityops.core.models import Organization
from cityops.core.permissions import NotFoundOrForbidden, staff_required, user_has_role
from cityops.operations import selectors, services
from cityops.operations.choices import AlertStatus, IncidentStatus, RuleKind, Severity
from cityops.operations.evaluation import preview_rule
from cityops.operations.forms import (
    AssignForm,
    CloseForm,
    EscalateForm,
    IncidentForm,
    NoteForm,
    RuleForm,
    SubscriptionForm,
)
from cityops.operations.models import MonitoringRule
from cityops.operations.permissions import ACT_ROLES, RULE_MANAGERS, desk_roots

PAGE_SIZE = 30
MAX_ALERTS_PER_INCIDENT = 100


def _errors_to_form(exc: ValidationError, form: Any) -> None:
    for key, errors in exc.message_dict.items():
        form.add_error(key if key in form.fields else None, errors)


def _can_act(user: Any) -> bool:
    return user_has_role(user, ACT_ROLES)


def _can_manage_rules(user: Any) -> bool:
    return user_has_role(user, RULE_MANAGERS)


def _areas(user: Any) -> Any:
    return selectors.organizations_for(actor=user, purpose="follow").exclude(kind__in=["commune", "ward"])


@staff_required
@require_http_methods(["GET", "HEAD"])
def index(request: HttpRequest) -> HttpResponse:
    """The alert list: what fires now, filtered by severity, status, rule and area."""
    filters = {key: (request.GET.get(key) or "")[:20] for key in ("severity", "status", "rule", "area")}
    if "status" not in request.GET:
        filters["status"] = "open"
    alerts = selectors.alert_list(actor=request.user, filters=filters)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page, "filters": filters, "severities": Severity.choices, "statuses": AlertStatus.choices,
        "rules": selectors.rule_list(actor=request.user), "areas": _areas(request.user),
        "counts": selectors.alert_counts(selectors.alert_list(actor=request.user)), "can_act": _can_act(request.user),
    }  # fmt: skip
    return render(request, "operations/alert_list.html", context)


@staff_required
@require_http_methods(["GET", "HEAD"])
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    alert = selectors.alert_get(actor=request.user, pk=pk)
    can_act = selectors.can(request.user, "act", alert)
    form = IncidentForm(user=request.user, initial={"organization": alert.organization, "title": alert.title,
                                                    "severity": alert.severity})  # fmt: skip
    return render(request, "operations/alert_detail.html", {"alert": alert, "can_act": can_act, "form": form})


@staff_required
@require_POST
def alert_ack(request: HttpRequest, pk: int) -> HttpResponse:
    alert = selectors.alert_get(actor=request.user, pk=pk)
    try:
        services.alert_acknowledge(actor=request.user, alert=alert)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The alert was acknowledged."))
    return redirect("operations:alert", pk=alert.pk)


@staff_required
@require_http_methods(["GET", "HEAD"])
def incident_list(request: HttpRequest) -> HttpResponse:
    filters = {key: (request.GET.get(key) or "")[:200] for key in ("status", "severity", "type", "agency", "q")}
    if "status" not in request.GET:
        filters["status"] = "open"
    incidents = selectors.incident_list(actor=request.user, filters=filters)
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page, "filters": filters, "statuses": IncidentStatus.choices, "severities": Severity.choices,
        "types": selectors.incident_type_list(), "can_act": _can_act(request.user),
    }  # fmt: skip
    return render(request, "operations/incident_list.html", context)


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def incident_create(request: HttpRequest) -> HttpResponse:
    """Open an incident by hand, or from the alerts ticked on the alert list or the alert page."""
    if not _can_act(request.user):
        raise PermissionDenied
    raw_ids = request.POST.getlist("alerts") if request.method == "POST" else request.GET.getlist("alerts")
    ids = [int(x) for x in raw_ids[:MAX_ALERTS_PER_INCIDENT] if x.isdigit()]
    alerts = list(selectors.alert_list(actor=request.user, filters={"status": ""}).filter(pk__in=ids))
    initial: dict[str, Any] = {}
    if alerts:
        initial = {"organization": alerts[0].organization, "title": alerts[0].title, "severity": alerts[0].severity}
    form = IncidentForm(request.POST if "incident_type" in request.POST else None, user=request.user, initial=initial)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.incident_create(
                actor=request.user, organization=data["organization"], incident_type=data["incident_type"],
                title=data["title"], severity=data["severity"], description=data["description"], alerts=alerts,
                assigned_agency=data["assigned_agency"], latitude=data["latitude"], longitude=data["longitude"],
            )  # fmt: skip
        except ValidationError as exc:
            _errors_to_form(exc, form)
        except PermissionDenied:
            form.add_error("organization", _("You may not open incidents for this organisation."))
        else:
            messages.success(request, _("The incident was opened."))
            return redirect("operations:incident", pk=incident.pk)
    return render(request, "operations/incident_form.html", {"form": form, "alerts": alerts})


def _incident_context(request: HttpRequest, incident: Any, **forms: Any) -> dict[str, Any]:
    user = request.user
    can_act = selectors.can(user, "act", incident)
    can_work = selectors.can(user, "work", incident)
    task_url = None
    if incident.task_id:
        from cityops.directives.selectors import tasks_for_source

        if tasks_for_source(actor=user, source_type="operations.incident", source_id=incident.pk).exists():
            from django.urls import reverse

            task_url = reverse("directives:task", kwargs={"pk": incident.task_id})
    steps = list(incident.steps.select_related("done_by").order_by("position", "id"))
    return {
        "incident": incident, "steps": steps, "timeline": selectors.incident_timeline(incident),
        "alerts": incident.alerts.order_by("-last_seen_at"), "can_act": can_act, "can_work": can_work,
        "assign_form": forms.get("assign_form") or AssignForm(user=user),
        "note_form": forms.get("note_form") or NoteForm(),
        "close_form": forms.get("close_form") or CloseForm(),
        "escalate_form": forms.get("escalate_form") or EscalateForm(user=user),
        "open_required": [s for s in steps if s.is_required and not s.is_done], "task_url": task_url,
        "done_count": sum(1 for s in steps if s.is_done),
    }  # fmt: skip


@staff_required
@require_http_methods(["GET", "HEAD"])
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_get(actor=request.user, pk=pk)
    return render(request, "operations/incident_detail.html", _incident_context(request, incident))


ACTIONS = {"assign", "step", "note", "close", "escalate"}


@staff_required
@require_POST
def incident_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One form of the incident page: assign, check a step, add a note, close, escalate to a task."""
    incident = selectors.incident_get(actor=request.user, pk=pk)
    if action not in ACTIONS:
        return redirect("operations:incident", pk=incident.pk)
    forms: dict[str, Any] = {}
    form: Any
    try:
        if action == "assign":
            form = forms["assign_form"] = AssignForm(request.POST, user=request.user)
            if form.is_valid():
                services.incident_assign(actor=request.user, incident=incident, agency=form.cleaned_data["agency"])
                messages.success(request, _("The incident was assigned."))
                return redirect("operations:incident", pk=incident.pk)
        elif action == "step":
            step = request.POST.get("step", "")
            services.incident_step_set(
                actor=request.user, incident=incident, step_id=int(step) if step.isdigit() else 0,
                done=request.POST.get("done") == "1", note=request.POST.get("note", "")[:1000],
            )  # fmt: skip
            return redirect(f"{incident.get_absolute_url()}#steps")
        elif action == "note":
            form = forms["note_form"] = NoteForm(request.POST)
            if form.is_valid():
                services.incident_note(actor=request.user, incident=incident, text=form.cleaned_data["text"])
                return redirect(f"{incident.get_absolute_url()}#timeline")
        elif action == "close":
            form = forms["close_form"] = CloseForm(request.POST)
            if form.is_valid():
                services.incident_close(
                    actor=request.user, incident=incident, summary=form.cleaned_data["summary"],
                    open_steps_reason=form.cleaned_data["open_steps_reason"],
                )  # fmt: skip
                messages.success(request, _("The incident was closed."))
                return redirect("operations:incident", pk=incident.pk)
        elif action == "escalate":
            form = forms["escalate_form"] = EscalateForm(request.POST, user=request.user)
            if form.is_valid():
                task = services.incident_escalate(
                    actor=request.user, incident=incident, lead_agency=form.cleaned_data["lead_agency"],
                    deadline=form.cleaned_data["deadline"],
                )  # fmt: skip
                messages.success(request, _("A task was created: %(title)s") % {"title": task.title})
                return redirect("operations:incident", pk=incident.pk)
    except ValidationError as exc:
        target = next(iter(forms.values()), None)
        if target is not None:
            _errors_to_form(exc, target)
        else:
            messages.error(request, " ".join(exc.messages))
            return redirect("operations:incident", pk=incident.pk)
    except PermissionDenied:
        messages.error(request, _("You may not do this."))
        return redirect("operations:incident", pk=incident.pk)
    context = _incident_context(request, selectors.incident_get(actor=request.user, pk=pk), **forms)
    return render(request, "operations/incident_detail.html", context, status=400)


@staff_required
@require_http_methods(["GET", "HEAD"])
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = selectors.rule_list(actor=request.user, filters={"kind": request.GET.get("kind", "")[:20]})
    return render(
        request, "operations/rule_list.html",
        {"rules": rules, "kinds": RuleKind.choices, "can_manage": _can_manage_rules(request.user)},
    )  # fmt: skip


@staff_required
@require_http_methods(["GET", "HEAD"])
def rule_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rule = selectors.rule_get(actor=request.user, pk=pk)
    preview = preview_rule(rule) if request.GET.get("preview") == "1" else None
    alerts = selectors.alert_list(actor=request.user, filters={"rule": rule.pk, "status": ""})[:20]
    return render(
        request, "operations/rule_detail.html",
        {"rule": rule, "preview": preview, "alerts": alerts, "can_change": selectors.can(request.user, "change", rule)},
    )  # fmt: skip


def _rule_form_page(request: HttpRequest, rule: MonitoringRule | None) -> HttpResponse:
    if rule is None and not _can_manage_rules(request.user):
        raise PermissionDenied
    initial: dict[str, Any] = {}
    if rule is not None:
        initial = {f: getattr(rule, f) for f in services.RULE_FIELDS}
        initial["organization"] = rule.organization
        initial["entity"] = rule.entity.entity_id if rule.entity else None
    elif desk_roots(request.user):
        root = Organization.objects.filter(path__in=list(desk_roots(request.user) or ())).first()
        initial["area"] = root
    form = RuleForm(request.POST or None, user=request.user, initial=initial)
    preview = None
    if request.method == "POST" and form.is_valid():
        organization = rule.organization if rule is not None else form.cleaned_data["organization"]
        try:
            if request.POST.get("preview") == "1":
                candidate = services.rule_build(
                    actor=request.user, organization=organization, data=form.rule_data(),
                    rule=MonitoringRule(organization=organization),
                )  # fmt: skip
                preview = preview_rule(candidate)
            elif rule is None:
                saved = services.rule_create(actor=request.user, organization=organization, data=form.rule_data())
                messages.success(request, _("The rule was saved."))
                return redirect("operations:rule", pk=saved.pk)
            else:
                saved = services.rule_update(actor=request.user, rule=rule, data=form.rule_data())
                messages.success(request, _("The rule was saved."))
                return redirect("operations:rule", pk=saved.pk)
        except ValidationError as exc:
            _errors_to_form(exc, form)
        except PermissionDenied:
            form.add_error("organization", _("You may not manage rules for this organisation."))
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "operations/rule_form.html", {"form": form, "rule": rule, "preview": preview},
                  status=status)  # fmt: skip


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def rule_create(request: HttpRequest) -> HttpResponse:
    return _rule_form_page(request, None)


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = selectors.rule_get(actor=request.user, pk=pk, action="change")
    return _rule_form_page(request, rule)


@staff_required
@require_POST
def rule_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    rule = selectors.rule_get(actor=request.user, pk=pk, action="change")
    services.rule_set_enabled(actor=request.user, rule=rule, enabled=not rule.is_enabled)
    messages.success(request, _("The rule was enabled.") if not rule.is_enabled else _("The rule was disabled."))
    return redirect("operations:rule", pk=rule.pk)


@staff_required
@require_http_methods(["GET", "HEAD"])
def incident_types(request: HttpRequest) -> HttpResponse:
    """The incident types and their standard operating procedures (edited in the administration)."""
    types = selectors.incident_type_list(include_inactive=True)
    can_edit = request.user.is_staff and request.user.has_perm("operations.change_incidenttype")
    return render(request, "operations/incident_types.html", {"types": types, "can_edit": can_edit})


@staff_required
@require_http_methods(["GET", "HEAD", "POST"])
def subscriptions(request: HttpRequest) -> HttpResponse:
    """Who is told about which alerts: one's own subscriptions and the role subscriptions one manages."""
    form = SubscriptionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.subscription_create(
                actor=request.user, organization=data["organization"], role=data["role"],
                min_severity=data["min_severity"], by_sms=data["by_sms"],
            )  # fmt: skip
        except ValidationError as exc:
            _errors_to_form(exc, form)
        except PermissionDenied:
            form.add_error("role", _("You may not subscribe others in this organisation."))
        else:
            messages.success(request, _("The subscription was saved."))
            return redirect("operations:subscriptions")
    rows = selectors.subscription_list(actor=request.user)
    return render(request, "operations/subscriptions.html", {"form": form, "subscriptions": rows},
                  status=400 if form.errors else 200)  # fmt: skip


@staff_required
@require_POST
def subscription_delete(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = selectors.subscription_list(actor=request.user).filter(pk=pk).first()
    if subscription is None:
        raise NotFoundOrForbidden
    services.subscription_delete(actor=request.user, subscription=subscription)
    messages.success(request, _("The subscription was removed."))
    return redirect("operations:subscriptions")
