"""Every write of monitoring and incidents: rules, alerts, incidents and their checklist, subscriptions, messages.

People's actions take ``actor`` first and check the policy; the evaluator's actions (opening, repeating and
resolving alerts) are the system's and are recorded with no actor. Each change is audited and published to the
live feed inside its own transaction; notifications and outbound messages go out after the commit.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cityops.core import audit
from cityops.core.choices import Role
from cityops.core.models import Membership, Organization, User
from cityops.core.permissions import policy_for, user_has_role
from cityops.core.queueing import enqueue_with_transaction
from cityops.core.services import live
from cityops.core.services.notifications import notify
from cityops.core.text import nfc
from cityops.datahub.models import Entity, IndicatorDefinition
from cityops.datahub.smartmodels import UNITS, known_attribute
from cityops.feedback.models import Category
from cityops.operations.choices import (
    OPEN_ALERT_STATUSES,
    SEVERITY_RANK,
    AlertStatus,
    AuditVerbs,
    IncidentEventKind,
    IncidentStatus,
    Operator,
    RuleKind,
    RuleSource,
    Severity,
)
from cityops.operations.models import (
    Alert,
    AlertSubscription,
    Incident,
    IncidentEvent,
    IncidentStep,
    IncidentType,
    MonitoringRule,
    OutboundMessage,
)
from cityops.operations.permissions import ACT_ROLES, RULE_MANAGERS, desk_reaches

__all__ = [
    "MAX_NOTE",
    "RULE_FIELDS",
    "alert_acknowledge",
    "alert_open",
    "alert_repeat",
    "alert_resolve",
    "alert_touch",
    "incident_assign",
    "incident_close",
    "incident_create",
    "incident_escalate",
    "incident_note",
    "incident_step_set",
    "incident_update",
    "observations_ingested",
    "rule_build",
    "rule_create",
    "rule_delete",
    "rule_set_enabled",
    "rule_update",
    "subscription_create",
    "subscription_delete",
]

MAX_NOTE = 5000
MAX_NAME = 200
MAX_WINDOW_MINUTES = 7 * 24 * 60
MAX_FOR_MINUTES = 24 * 60
MAX_ABS_BOUND = 1e12
ALERT_KIND = "alert"  # the core's notification kind "Alerts and incidents"
RULE_FIELDS = (
    "name", "description", "kind", "source", "severity", "is_enabled", "area", "entity_type", "entity", "attribute",
    "indicator", "category", "operator", "bound", "clear_bound", "window_minutes", "radius_m", "for_minutes",
)  # fmt: skip


# --- helpers ------------------------------------------------------------------------------------------------


def _can_act_in(actor: Any, organization: Organization, roles: frozenset[str]) -> bool:
    """A role reaching ``organization``, or the province-wide IOC desk."""
    if user_has_role(actor, roles, organization):
        return True
    return user_has_role(actor, {Role.IOC_OPERATOR}) and desk_reaches(actor, organization)


def _require(actor: Any, action: str, obj: Any) -> None:
    if not policy_for(type(obj)).can(actor, action, obj):
        raise PermissionDenied(_("You may not do this."))


def _text(value: Any, *, field: str, limit: int, required: bool = False) -> str:
    text = nfc(str(value or "")).strip()
    if required and not text:
        raise ValidationError({field: _("This field is required.")})
    if len(text) > limit:
        raise ValidationError({field: _("At most %(n)d characters.") % {"n": limit}})
    return text


def _number(value: Any, *, field: str, required: bool = False) -> float | None:
    """A finite number from a number or its text; anything else (expressions, NaN, ∞) is refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError({field: _("Enter a number.")})
        return None
    if isinstance(value, bool):
        raise ValidationError({field: _("Enter a number.")})
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip().replace(",", "."))
        except ValueError:
            raise ValidationError({field: _("Enter a number.")}) from None
    else:
        raise ValidationError({field: _("Enter a number.")})
    if not math.isfinite(number) or abs(number) > MAX_ABS_BOUND:
        raise ValidationError({field: _("Enter a finite number between -10¹² and 10¹².")})
    return number


def _whole(value: Any, *, field: str, low: int, high: int, required: bool = False) -> int | None:
    number = _number(value, field=field, required=required)
    if number is None:
        return None
    if number != int(number) or not low <= number <= high:
        raise ValidationError({field: _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}})
    return int(number)


def _lookup(model: Any, value: Any, *, field: str, by: str = "pk") -> Any:
    if value in (None, ""):
        return None
    if isinstance(value, model):
        return value
    try:
        return model._default_manager.get(**{by: value})
    except (model.DoesNotExist, ValueError, TypeError):
        raise ValidationError({field: _("Choose a valid option.")}) from None


def _publish_alert(alert: Alert) -> None:
    live.publish(
        kind="operations.alert", organization=alert.organization, title=alert.title, url=alert.get_absolute_url(),
        data={"id": alert.pk, "severity": alert.severity, "status": alert.status, "lat": alert.latitude,
              "long": alert.longitude, "value": alert.value, "occurrences": alert.occurrences},
    )  # fmt: skip


def _publish_incident(incident: Incident, title: str) -> None:
    live.publish(
        kind="operations.incident", organization=incident.organization, title=title,
        url=incident.get_absolute_url(),
        data={"id": incident.pk, "severity": incident.severity, "status": incident.status,
              "lat": incident.latitude, "long": incident.longitude},
    )  # fmt: skip


# --- rules --------------------------------------------------------------------------------------------------


def _clean_area(actor: Any, organization: Organization, area: Organization | None) -> Organization:
    if area is None:
        return organization
    if area.is_within(organization) or (actor is not None and _can_act_in(actor, area, RULE_MANAGERS)):
        return area
    raise ValidationError({"area": _("The area must be your organisation or a unit below it.")})


def rule_build(*, actor: Any, organization: Organization, data: dict[str, Any], rule: MonitoringRule | None = None):
    """A validated (unsaved) rule from form or API data; every refusal names its field and reason.

    Used by create, update and the preview, so a rule that can be previewed is exactly one that can be saved.
    """
    rule = rule or MonitoringRule(organization=organization)
    errors: dict[str, list[str]] = {}

    def check(field: str, fn: Any) -> Any:
        try:
            return fn()
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
            return None

    rule.name = check("name", lambda: _text(data.get("name"), field="name", limit=MAX_NAME, required=True)) or ""
    rule.description = check("description", lambda: _text(data.get("description"), field="description", limit=2000))
    rule.description = rule.description or ""
    kind = data.get("kind") or ""
    if kind not in RuleKind.values:
        errors["kind"] = [_("Choose a kind of rule.")]
    rule.kind = kind
    severity = data.get("severity") or Severity.WARNING
    if severity not in Severity.values:
        errors["severity"] = [_("Choose a severity.")]
    rule.severity = severity
    rule.is_enabled = bool(data.get("is_enabled", True))
    source = data.get("source") or RuleSource.OBSERVATION
    if source not in RuleSource.values:
        errors["source"] = [_("Choose a source.")]
    rule.source = source if kind == RuleKind.THRESHOLD else RuleSource.OBSERVATION
    area = check("area", lambda: _lookup(Organization, data.get("area"), field="area"))
    rule.area = check("area", lambda: _clean_area(actor, organization, area)) or organization
    entity_type = _text(data.get("entity_type"), field="entity_type", limit=100)
    attribute = _text(data.get("attribute"), field="attribute", limit=100)
    entity = check("entity", lambda: _lookup(Entity, data.get("entity"), field="entity"))
    indicator = check("indicator", lambda: _lookup(IndicatorDefinition, data.get("indicator"), field="indicator"))
    category = check("category", lambda: _lookup(Category, data.get("category"), field="category"))
    operator = data.get("operator") or ""
    bound = check("bound", lambda: _number(data.get("bound"), field="bound"))
    clear_bound = check("clear_bound", lambda: _number(data.get("clear_bound"), field="clear_bound"))
    window = check(
        "window_minutes",
        lambda: _whole(data.get("window_minutes"), field="window_minutes", low=1, high=MAX_WINDOW_MINUTES),
    )
    radius = check("radius_m", lambda: _whole(data.get("radius_m"), field="radius_m", low=10, high=10_000))
    for_minutes = check(
        "for_minutes", lambda: _whole(data.get("for_minutes") or 0, field="for_minutes", low=0, high=MAX_FOR_MINUTES)
    )
    for_minutes = for_minutes or 0

    uses_sensor = kind in {RuleKind.RATE, RuleKind.NO_DATA} or (
        kind == RuleKind.THRESHOLD and rule.source == RuleSource.OBSERVATION
    )
    if uses_sensor:
        if entity_type not in UNITS:
            errors["entity_type"] = [_("Choose a known sensor type.")]
        elif attribute and not known_attribute(entity_type, attribute):
            errors["attribute"] = [
                _("“%(attribute)s” is not an attribute of %(type)s.") % {"attribute": attribute, "type": entity_type}
            ]
        elif not attribute and kind != RuleKind.NO_DATA:
            errors["attribute"] = [_("Choose the attribute to watch.")]
        if entity is not None and "entity_type" not in errors:
            if entity.type != entity_type:
                errors["entity"] = [_("This sensor is not of the chosen type.")]
            elif rule.area is not None and not entity.organization.is_within(rule.area):
                errors["entity"] = [_("This sensor is outside the rule's area.")]
    else:
        entity_type, attribute, entity = "", "", None
    if kind == RuleKind.THRESHOLD and rule.source == RuleSource.INDICATOR and indicator is None:
        errors.setdefault("indicator", [_("Choose the indicator to watch.")])
    if not (kind == RuleKind.THRESHOLD and rule.source == RuleSource.INDICATOR):
        indicator = None
    if kind == RuleKind.REPORT_CLUSTER:
        operator = Operator.GTE
        if category is None:
            errors.setdefault("category", [_("Choose the report category.")])
        if radius is None and "radius_m" not in errors:
            errors["radius_m"] = [_("Give the radius in metres.")]
        if bound is not None and (bound != int(bound) or not 2 <= bound <= 10_000):
            errors.setdefault("bound", [_("The number of reports is a whole number from 2 to 10000.")])
        if clear_bound is None and "clear_bound" not in errors:
            errors["clear_bound"] = [_("Give the number of reports at or under which the alert resolves.")]
        elif clear_bound is not None and (clear_bound != int(clear_bound) or clear_bound < 0):
            errors.setdefault("clear_bound", [_("Enter a whole number of reports, 0 or more.")])
        if for_minutes:
            errors.setdefault("for_minutes", [_("Report clusters use the window instead of a minimum duration.")])
    else:
        category, radius = None, None
    if kind in {RuleKind.RATE, RuleKind.NO_DATA, RuleKind.REPORT_CLUSTER}:
        if window is None and "window_minutes" not in errors:
            errors["window_minutes"] = [_("Give the window in minutes.")]
    else:
        window = None
    if kind == RuleKind.NO_DATA:
        operator, bound, clear_bound, for_minutes = "", None, None, 0
    elif kind in RuleKind.values:
        if operator not in Operator.values:
            errors.setdefault("operator", [_("Choose a comparison.")])
        if bound is None and "bound" not in errors:
            errors["bound"] = [_("Give the trigger bound.")]
        if operator in Operator.values and bound is not None and clear_bound is not None:
            upward = operator in {Operator.GT, Operator.GTE}
            if (upward and clear_bound >= bound) or (not upward and clear_bound <= bound):
                errors.setdefault(
                    "clear_bound",
                    [
                        _("The clear bound must be below the trigger bound.")
                        if upward
                        else _("The clear bound must be above the trigger bound.")
                    ],
                )
        if (
            clear_bound is None
            and not for_minutes
            and kind != RuleKind.REPORT_CLUSTER
            and not errors.get("clear_bound")
        ):
            errors.setdefault(
                "clear_bound", [_("Give a clear bound or a minimum duration, so the alert does not flap.")]
            )
    rule.entity_type, rule.attribute, rule.entity = entity_type, attribute, entity
    rule.indicator, rule.category, rule.operator = indicator, category, operator
    rule.bound, rule.clear_bound, rule.window_minutes = bound, clear_bound, window
    rule.radius_m, rule.for_minutes = radius, for_minutes
    if errors:
        raise ValidationError(errors)
    rule.full_clean(exclude=["organization", "created_by"])
    return rule


def _rule_snapshot(rule: MonitoringRule) -> dict[str, Any]:
    return audit.snapshot(rule, [f if f not in {"area", "entity", "indicator", "category"} else f"{f}_id"
                                 for f in RULE_FIELDS])  # fmt: skip


def rule_create(*, actor: Any, organization: Organization, data: dict[str, Any]) -> MonitoringRule:
    """A new rule of ``organization``; IOC operators, agency heads and administrators reaching it may."""
    if not _can_act_in(actor, organization, RULE_MANAGERS):
        raise PermissionDenied(_("You may not manage rules for this organisation."))
    rule = rule_build(actor=actor, organization=organization, data=data)
    rule.created_by = actor if getattr(actor, "is_authenticated", False) else None
    with transaction.atomic():
        rule.save()
        audit.record(verb=AuditVerbs.RULE_CREATED, actor=actor, target=rule, data={"new": _rule_snapshot(rule)})
    return rule


def rule_update(*, actor: Any, rule: MonitoringRule, data: dict[str, Any]) -> MonitoringRule:
    """Change a rule; its series restart from scratch so the new bounds apply to what comes next."""
    with transaction.atomic():
        rule = MonitoringRule.objects.select_for_update().get(pk=rule.pk)
        _require(actor, "change", rule)
        old = _rule_snapshot(rule)
        merged = {**{f: getattr(rule, f) for f in RULE_FIELDS}, **data}
        rule = rule_build(actor=actor, organization=rule.organization, data=merged, rule=rule)
        rule.save()
        rule.states.update(pending_since=None, clear_since=None)
        audit.record(
            verb=AuditVerbs.RULE_UPDATED, actor=actor, target=rule, data={"old": old, "new": _rule_snapshot(rule)}
        )
    return rule


def rule_set_enabled(*, actor: Any, rule: MonitoringRule, enabled: bool) -> MonitoringRule:
    """Turn a rule off (its open alerts stay until handled) or back on."""
    with transaction.atomic():
        rule = MonitoringRule.objects.select_for_update().get(pk=rule.pk)
        _require(actor, "change", rule)
        if rule.is_enabled != enabled:
            rule.is_enabled = enabled
            rule.save(update_fields=["is_enabled", "updated_at"])
            audit.record(
                verb=AuditVerbs.RULE_UPDATED, actor=actor, target=rule,
                data={"old": {"is_enabled": not enabled}, "new": {"is_enabled": enabled}},
            )  # fmt: skip
    return rule


def rule_delete(*, actor: Any, rule: MonitoringRule) -> None:
    """Delete a rule that never raised an alert; one with alerts is kept for the record (disable it instead)."""
    with transaction.atomic():
        rule = MonitoringRule.objects.select_for_update().get(pk=rule.pk)
        _require(actor, "change", rule)
        if rule.alerts.exists():
            raise ValidationError({"rule": _("This rule has raised alerts; disable it instead of deleting it.")})
        audit.record(verb=AuditVerbs.RULE_DELETED, actor=actor, target=rule, data={"old": _rule_snapshot(rule)})
        rule.delete()


# --- alerts (the evaluator's side) ----------------------------------------------------------------------------


def alert_open(
    *,
    rule: MonitoringRule,
    series_key: str,
    title: str,
    at: dt.datetime,
    value: float | None,
    since: dt.datetime | None = None,
    entity: Entity | None = None,
    area: Organization | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Alert:
    """Open the alert of one series (the caller made sure none is open); audited, published, notified."""
    alert = Alert(
        organization=rule.organization, rule=rule, series_key=series_key, entity=entity, area=area,
        severity=rule.severity, status=AlertStatus.FIRING, title=title[:255], value=value, peak_value=value,
        occurrences=1, first_seen_at=since or at, last_seen_at=at, latitude=latitude, longitude=longitude,
    )  # fmt: skip
    with transaction.atomic():
        alert.save()
        audit.record(
            verb=AuditVerbs.ALERT_OPENED, target=alert, actor_label="cityops",
            data={"rule": rule.pk, "series": series_key, "value": value, "severity": alert.severity},
        )  # fmt: skip
        _publish_alert(alert)
        _notify_subscribers(alert)
    return alert


def _worse(rule: MonitoringRule, a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return b if a is None else a
    return max(a, b) if (rule.upward or rule.kind == RuleKind.REPORT_CLUSTER) else min(a, b)


def alert_repeat(
    *, alert: Alert, at: dt.datetime, value: float | None, count: int = 1, worst: float | None = None
) -> None:
    """More breaches of an open alert: counted on the one row, never a new alert (a sensor flood stays one).

    ``worst`` is the worst value among the repeats counted (the last value when not given).
    """
    peak = _worse(alert.rule, alert.peak_value, worst if worst is not None else value)
    Alert.objects.filter(pk=alert.pk).update(
        occurrences=F("occurrences") + count, last_seen_at=at, value=value, peak_value=peak, updated_at=timezone.now()
    )
    alert.peak_value = peak


def alert_touch(*, alert: Alert, at: dt.datetime, value: float | None) -> None:
    """The condition still holds (no new breach counted): keep the last value and time current."""
    Alert.objects.filter(pk=alert.pk).update(
        last_seen_at=at, value=value, peak_value=_worse(alert.rule, alert.peak_value, value), updated_at=timezone.now()
    )


def alert_resolve(*, alert: Alert, at: dt.datetime, value: float | None) -> Alert:
    """The clear condition held: the alert resolves by itself (an incident made from it carries on)."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update().get(pk=alert.pk)
        if alert.status == AlertStatus.RESOLVED:
            return alert
        old = alert.status
        alert.status, alert.resolved_at, alert.value = AlertStatus.RESOLVED, at, value
        alert.save(update_fields=["status", "resolved_at", "value", "updated_at"])
        audit.record(
            verb=AuditVerbs.ALERT_RESOLVED, target=alert, actor_label="cityops",
            data={"old": {"status": old}, "new": {"status": alert.status}, "value": value},
        )  # fmt: skip
        _publish_alert(alert)
    return alert


def alert_acknowledge(*, actor: Any, alert: Alert) -> Alert:
    """An operator has seen a firing alert and takes it on."""
    with transaction.atomic():
        alert = Alert.objects.select_for_update(of=("self",)).select_related("organization", "rule").get(pk=alert.pk)
        _require(actor, "act", alert)
        if alert.status != AlertStatus.FIRING:
            raise ValidationError({"status": _("Only a firing alert can be acknowledged.")})
        alert.status, alert.acknowledged_at, alert.acknowledged_by = AlertStatus.ACKNOWLEDGED, timezone.now(), actor
        alert.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "updated_at"])
        audit.record(
            verb=AuditVerbs.ALERT_ACKNOWLEDGED, actor=actor, target=alert,
            data={"old": {"status": AlertStatus.FIRING}, "new": {"status": alert.status}},
        )  # fmt: skip
        _publish_alert(alert)
    return alert


# --- notifications ------------------------------------------------------------------------------------------


def _alert_recipients(alert: Alert) -> list[tuple[User, bool]]:
    """(person, by SMS) for every subscription matching the alert's area and severity, who may see the alert."""
    paths = [alert.organization.path] + ([alert.area.path] if alert.area_id and alert.area else [])
    rank = SEVERITY_RANK[alert.severity]
    wanted: dict[int, tuple[User, bool]] = {}
    subscriptions = AlertSubscription.objects.select_related("organization", "user").filter(
        organization__is_active=True
    )
    for sub in subscriptions:
        if SEVERITY_RANK.get(sub.min_severity, 9) > rank:
            continue
        if not any(path.startswith(sub.organization.path) for path in paths):
            continue
        if sub.user_id:
            people = [sub.user] if sub.user and sub.user.is_active else []
        else:
            people = list(
                User.objects.filter(
                    is_active=True,
                    pk__in=Membership.objects.filter(role=sub.role, organization=sub.organization).values("user_id"),
                )
            )
        for person in people:
            _old, old_sms = wanted.get(person.pk, (person, False))
            wanted[person.pk] = (person, old_sms or sub.by_sms)
    policy = policy_for(Alert)
    return [(person, sms) for person, sms in wanted.values() if policy.can(person, "view", alert)]


def _notify_subscribers(alert: Alert) -> None:
    recipients = _alert_recipients(alert)
    if not recipients:
        return
    title = _("%(severity)s alert: %(title)s") % {"severity": alert.get_severity_display(), "title": alert.title}
    notify(
        recipients=[person for person, _sms in recipients], kind=ALERT_KIND, title=title,
        body=alert.rule.description, url=alert.get_absolute_url(), organization=alert.organization,
    )  # fmt: skip
    messages = [
        OutboundMessage(recipient=person, address=person.phone, text=title[:480], alert=alert)
        for person, sms in recipients
        if sms and person.phone
    ]
    if messages:
        created = OutboundMessage.objects.bulk_create(messages)
        ids = [m.pk for m in created]

        def enqueue() -> None:
            from cityops.operations.tasks import send_outbound

            send_outbound.enqueue(message_ids=ids)

        transaction.on_commit(enqueue)


def outbound_send(*, message_ids: Sequence[int]) -> int:
    """Hand pending messages to the configured gateway; each is sent at most once (claimed before sending)."""
    from cityops.operations.gateways import get_gateway

    gateway = get_gateway()
    name = f"{type(gateway).__module__}.{type(gateway).__qualname__}"
    done = 0
    for message in OutboundMessage.objects.filter(pk__in=list(message_ids), status=OutboundMessage.Status.PENDING):
        claimed = OutboundMessage.objects.filter(pk=message.pk, status=OutboundMessage.Status.PENDING).update(
            status=OutboundMessage.Status.SENT, gateway=name[:200], sent_at=timezone.now()
        )
        if not claimed:
            continue
        try:
            gateway.send(message.address, message.text)
        except Exception as exc:  # noqa: BLE001 -- any provider failure is recorded on the message
            OutboundMessage.objects.filter(pk=message.pk).update(
                status=OutboundMessage.Status.FAILED, error=str(exc)[:500]
            )
            continue
        if not gateway.delivers:
            OutboundMessage.objects.filter(pk=message.pk).update(status=OutboundMessage.Status.LOGGED)
        done += 1
    return done


# --- subscriptions ------------------------------------------------------------------------------------------


def subscription_create(
    *,
    actor: Any,
    organization: Organization,
    user: User | None = None,
    role: str = "",
    min_severity: str = Severity.WARNING,
    by_sms: bool = False,
) -> AlertSubscription:
    """Subscribe oneself to an area's alerts, or (operators, heads, administrators) everyone of a role there."""
    if not getattr(actor, "is_authenticated", False):
        raise PermissionDenied
    errors: dict[str, str] = {}
    if min_severity not in Severity.values:
        errors["min_severity"] = _("Choose a severity.")
    if role:
        if role not in Role.values or role in {Role.CITIZEN, Role.INTEGRATOR}:
            errors["role"] = _("Choose a staff role.")
        user = None
        if not _can_act_in(actor, organization, ACT_ROLES):
            raise PermissionDenied(_("You may not subscribe others in this organisation."))
    else:
        if user is not None and user.pk != actor.pk:
            raise PermissionDenied(_("You may subscribe only yourself."))
        user = actor
        from cityops.core.permissions import ALL_STAFF_ROLES

        if not _can_act_in(actor, organization, ALL_STAFF_ROLES):
            raise PermissionDenied(_("You may not follow this organisation's alerts."))
    if errors:
        raise ValidationError(errors)
    sub = AlertSubscription(
        organization=organization, user=user, role=role, min_severity=min_severity, by_sms=bool(by_sms),
        created_by=actor,
    )  # fmt: skip
    sub.full_clean()
    with transaction.atomic():
        sub.save()
        audit.record(
            verb=AuditVerbs.SUBSCRIPTION_SAVED, actor=actor, target=sub,
            data={"new": {"user": sub.user_id, "role": role, "min_severity": min_severity, "by_sms": sub.by_sms}},
        )  # fmt: skip
    return sub


def subscription_delete(*, actor: Any, subscription: AlertSubscription) -> None:
    """Stop a subscription: one's own, or a role subscription one may manage."""
    own = subscription.user_id == getattr(actor, "pk", None)
    if not own and not _can_act_in(actor, subscription.organization, ACT_ROLES):
        raise PermissionDenied
    with transaction.atomic():
        audit.record(
            verb=AuditVerbs.SUBSCRIPTION_DELETED, actor=actor, target=subscription,
            data={"old": {"user": subscription.user_id, "role": subscription.role}},
        )  # fmt: skip
        subscription.delete()


# --- incidents ----------------------------------------------------------------------------------------------


def _event(incident: Incident, kind: str, actor: Any, text: str = "") -> None:
    IncidentEvent.objects.create(
        incident=incident, kind=kind, actor=actor if getattr(actor, "is_authenticated", False) else None, text=text
    )


def _lock(incident: Incident) -> Incident:
    return (
        Incident.objects.select_for_update(of=("self",))
        .select_related("organization", "assigned_agency")
        .get(pk=incident.pk)
    )


def _open_only(incident: Incident) -> None:
    if incident.is_closed:
        raise ValidationError({"status": _("This incident is closed.")})


def _check_agency(incident_org: Organization, agency: Organization | None) -> Organization | None:
    if agency is None:
        return None
    root = "/" + incident_org.path.strip("/").split("/")[0] + "/"
    if not agency.is_active or not agency.path.startswith(root):
        raise ValidationError({"assigned_agency": _("Choose an active agency of this province.")})
    return agency


def incident_create(
    *,
    actor: Any,
    organization: Organization,
    incident_type: IncidentType,
    title: str = "",
    severity: str = "",
    description: str = "",
    alerts: Iterable[Alert] = (),
    assigned_agency: Organization | None = None,
    latitude: Any = None,
    longitude: Any = None,
) -> Incident:
    """Open an incident (from one or several alerts, or by hand) with its type's checklist copied onto it.

    Firing alerts it is made from are acknowledged by the same act. An alert already part of an incident is
    refused, so two operators cannot open two incidents for the same alert.
    """
    if not _can_act_in(actor, organization, ACT_ROLES):
        raise PermissionDenied(_("You may not open incidents for this organisation."))
    errors: dict[str, str] = {}
    if not isinstance(incident_type, IncidentType) or not incident_type.is_active:
        errors["incident_type"] = _("Choose an active incident type.")
    if severity and severity not in Severity.values:
        errors["severity"] = _("Choose a severity.")
    try:
        description = _text(description, field="description", limit=MAX_NOTE)
        lat = _number(latitude, field="latitude")
        lon = _number(longitude, field="longitude")
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None
    if (lat is None) != (lon is None) or (lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)):  # type: ignore[operator]
        errors["latitude"] = _("Give a valid latitude and longitude together.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        ids = [a.pk for a in alerts]
        locked = list(Alert.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        policy = policy_for(Alert)
        if len(locked) != len(set(ids)) or any(not policy.can(actor, "act", a) for a in locked):
            raise ValidationError({"alerts": _("One of the alerts does not exist or is not yours to handle.")})
        if any(a.incident_id for a in locked):
            raise ValidationError({"alerts": _("One of the alerts is already part of an incident.")})
        first = locked[0] if locked else None
        title = _text(title, field="title", limit=255) or (first.title if first else "")
        if not title:
            raise ValidationError({"title": _("This field is required.")})
        if not severity:
            ranks = [SEVERITY_RANK[a.severity] for a in locked]
            severity = (
                next(s for s, r in SEVERITY_RANK.items() if r == max(ranks))
                if ranks
                else incident_type.default_severity
            )
        if lat is None and first is not None and first.latitude is not None:
            lat, lon = first.latitude, first.longitude
        incident = Incident(
            organization=organization, title=title, incident_type=incident_type, severity=severity,
            description=description, latitude=lat, longitude=lon, opened_by=actor,
        )  # fmt: skip
        incident.full_clean(exclude=["assigned_agency"])
        incident.save()
        IncidentStep.objects.bulk_create(
            IncidentStep(incident=incident, position=s.position, title=s.title, guidance=s.guidance,
                         is_required=s.is_required)
            for s in incident_type.steps.order_by("position", "id")
        )  # fmt: skip
        _event(incident, IncidentEventKind.CREATED, actor, incident_type.name)
        now = timezone.now()
        for alert in locked:
            alert.incident = incident
            fields = ["incident", "updated_at"]
            if alert.status == AlertStatus.FIRING:
                alert.status, alert.acknowledged_at, alert.acknowledged_by = AlertStatus.ACKNOWLEDGED, now, actor
                fields += ["status", "acknowledged_at", "acknowledged_by"]
                audit.record(
                    verb=AuditVerbs.ALERT_ACKNOWLEDGED, actor=actor, target=alert,
                    data={"old": {"status": AlertStatus.FIRING}, "new": {"status": alert.status}},
                )  # fmt: skip
            alert.save(update_fields=fields)
            _event(incident, IncidentEventKind.ALERT, actor, alert.title)
        audit.record(
            verb=AuditVerbs.INCIDENT_CREATED, actor=actor, target=incident,
            data={"new": {"title": incident.title, "type": incident_type.code, "severity": severity,
                          "alerts": [a.pk for a in locked]}},
        )  # fmt: skip
        _publish_incident(incident, _("New incident: %(title)s") % {"title": incident.title})
        if assigned_agency is not None:
            incident = incident_assign(actor=actor, incident=incident, agency=assigned_agency)
    return incident


def incident_update(*, actor: Any, incident: Incident, data: dict[str, Any]) -> Incident:
    """Correct the title, severity or description of an open incident."""
    with transaction.atomic():
        incident = _lock(incident)
        _require(actor, "act", incident)
        _open_only(incident)
        old = audit.snapshot(incident, ["title", "severity", "description"])
        if "title" in data:
            incident.title = _text(data["title"], field="title", limit=255, required=True)
        if "severity" in data:
            if data["severity"] not in Severity.values:
                raise ValidationError({"severity": _("Choose a severity.")})
            incident.severity = data["severity"]
        if "description" in data:
            incident.description = _text(data["description"], field="description", limit=MAX_NOTE)
        incident.full_clean()
        incident.save()
        audit.record(
            verb=AuditVerbs.INCIDENT_UPDATED, actor=actor, target=incident,
            data={"old": old, "new": audit.snapshot(incident, ["title", "severity", "description"])},
        )  # fmt: skip
    return incident


def incident_assign(*, actor: Any, incident: Incident, agency: Organization) -> Incident:
    """Give the incident to an agency of the province, which then works the checklist; its staff are told."""
    with transaction.atomic():
        incident = _lock(incident)
        _require(actor, "act", incident)
        _open_only(incident)
        agency = _check_agency(incident.organization, agency)  # type: ignore[assignment]
        old = incident.assigned_agency_id
        incident.assigned_agency, incident.assigned_at = agency, timezone.now()
        incident.status = IncidentStatus.ASSIGNED
        incident.save(update_fields=["assigned_agency", "assigned_at", "status", "updated_at"])
        _event(incident, IncidentEventKind.ASSIGNED, actor, agency.name)
        audit.record(
            verb=AuditVerbs.INCIDENT_ASSIGNED, actor=actor, target=incident,
            data={"old": {"assigned_agency": old}, "new": {"assigned_agency": agency.pk}},
        )  # fmt: skip
        _publish_incident(incident, _("Incident assigned to %(agency)s: %(title)s")
                          % {"agency": agency.name, "title": incident.title})  # fmt: skip
        staff = User.objects.filter(
            is_active=True,
            pk__in=Membership.objects.filter(organization=agency, role__in=[Role.AGENCY_HEAD, Role.SPECIALIST]).values(
                "user_id"
            ),
        )
        notify(
            recipients=staff, kind=ALERT_KIND, title=_("Incident assigned to your agency: %(title)s")
            % {"title": incident.title}, url=incident.get_absolute_url(), organization=agency,
        )  # fmt: skip
    return incident


def incident_step_set(*, actor: Any, incident: Incident, step_id: int, done: bool, note: str = "") -> IncidentStep:
    """Check a step of the procedure (who and when are recorded), or reopen it; an optional note goes with it."""
    with transaction.atomic():
        incident = _lock(incident)
        _require(actor, "work", incident)
        _open_only(incident)
        step = IncidentStep.objects.select_for_update().filter(incident=incident, pk=step_id).first()
        if step is None:
            raise ValidationError({"step": _("No such step in this incident.")})
        note = _text(note, field="note", limit=1000)
        if done == step.is_done:
            raise ValidationError({"step": _("This step is already in that state.")})
        if done:
            step.done_at, step.done_by, step.note = timezone.now(), actor, note
        else:
            step.done_at, step.done_by, step.note = None, None, note
        step.save(update_fields=["done_at", "done_by", "note"])
        kind = IncidentEventKind.STEP if done else IncidentEventKind.STEP_REOPENED
        _event(incident, kind, actor, f"{step.position}. {step.title}" + (f" — {note}" if note else ""))
        audit.record(
            verb=AuditVerbs.INCIDENT_STEP if done else AuditVerbs.INCIDENT_STEP_REOPENED, actor=actor,
            target=incident, data={"step": step.pk, "position": step.position, "title": step.title, "note": note},
        )  # fmt: skip
        Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())
        _publish_incident(incident, _("Step %(n)s of %(title)s: %(step)s")
                          % {"n": step.position, "title": incident.title, "step": step.title})  # fmt: skip
    return step


def incident_note(*, actor: Any, incident: Incident, text: str) -> IncidentEvent:
    """Add a note to the incident's timeline."""
    with transaction.atomic():
        incident = _lock(incident)
        _require(actor, "work", incident)
        text = _text(text, field="text", limit=MAX_NOTE, required=True)
        event = IncidentEvent.objects.create(incident=incident, kind=IncidentEventKind.NOTE, actor=actor, text=text)
        audit.record(verb=AuditVerbs.INCIDENT_NOTE, actor=actor, target=incident, data={"note": event.pk})
        Incident.objects.filter(pk=incident.pk).update(updated_at=timezone.now())
    return event


def incident_close(*, actor: Any, incident: Incident, summary: str, open_steps_reason: str = "") -> Incident:
    """Close with a summary; refused while required steps are open unless the closer says why."""
    with transaction.atomic():
        incident = _lock(incident)
        _require(actor, "act", incident)
        _open_only(incident)
        summary = _text(summary, field="summary", limit=MAX_NOTE, required=True)
        reason = _text(open_steps_reason, field="open_steps_reason", limit=MAX_NOTE)
        open_required = list(incident.steps.filter(is_required=True, done_at__isnull=True).order_by("position"))
        if open_required and not reason:
            names = ", ".join(f"{s.position}. {s.title}" for s in open_required)
            raise ValidationError(
                {"open_steps_reason": _("Required steps are still open (%(steps)s): say why you close anyway.")
                 % {"steps": names}}
            )  # fmt: skip
        old = incident.status
        incident.status, incident.summary, incident.closed_at, incident.closed_by = (
            IncidentStatus.CLOSED, summary, timezone.now(), actor,
        )  # fmt: skip
        incident.open_steps_reason = reason if open_required else ""
        incident.save(update_fields=["status", "summary", "open_steps_reason", "closed_at", "closed_by", "updated_at"])
        _event(incident, IncidentEventKind.CLOSED, actor, summary)
        audit.record(
            verb=AuditVerbs.INCIDENT_CLOSED, actor=actor, target=incident,
            data={"old": {"status": old}, "new": {"status": incident.status}, "summary": summary,
                  "open_required_steps": [s.pk for s in open_required], "reason": incident.open_steps_reason},
        )  # fmt: skip
        _publish_incident(incident, _("Incident closed: %(title)s") % {"title": incident.title})
    return incident


def incident_escalate(
    *, actor: Any, incident: Incident, lead_agency: Organization | None = None, deadline: dt.date | None = None
) -> Any:
    """Make the incident a task of the directives module in one step; the task and the incident link each other."""
    from cityops.directives.services import task_create_from

    with transaction.atomic():
        incident = _lock(incident)
        _require(actor, "act", incident)
        _open_only(incident)
        agency = lead_agency or incident.assigned_agency
        if agency is None:
            raise ValidationError({"lead_agency": _("Assign the incident or choose the lead agency first.")})
        steps = "\n".join(f"{s.position}. {s.title}" for s in incident.steps.filter(done_at__isnull=True))
        content = incident.description + (("\n\n" + _("Open steps:") + "\n" + steps) if steps else "")
        task = task_create_from(
            actor=actor, source_type="operations.incident", source_id=incident.pk,
            title=_("Handle incident: %(title)s") % {"title": incident.title}, lead_agency=agency,
            deadline=deadline, content=content.strip(),
        )  # fmt: skip
        if incident.task_id != task.pk:
            incident.task_id = task.pk
            incident.save(update_fields=["task_id", "updated_at"])
            _event(incident, IncidentEventKind.ESCALATED, actor, task.title)
            audit.record(
                verb=AuditVerbs.INCIDENT_ESCALATED, actor=actor, target=incident,
                data={"task": task.pk, "lead_agency": agency.pk},
            )  # fmt: skip
            _publish_incident(incident, _("Incident escalated to a task: %(title)s") % {"title": incident.title})
    return task


# --- the ingest hook ------------------------------------------------------------------------------------------


def observations_ingested(*, entity_ids: Iterable[int], start: dt.datetime, end: dt.datetime) -> bool:
    """Called by the data hub when a batch of observations is written: queue their evaluation with it.

    The batch itself only pays for one indexed EXISTS query and, when some rule may care, one queued job; the
    worker evaluates, so ingest stays fast. Returns whether a job was queued.
    """
    kinds = [RuleKind.THRESHOLD, RuleKind.RATE, RuleKind.NO_DATA]
    if not MonitoringRule.objects.filter(is_enabled=True, kind__in=kinds).exists():
        return False
    ids = sorted(set(entity_ids))

    def enqueue() -> None:
        from cityops.operations.tasks import evaluate_observations

        evaluate_observations.enqueue(entity_ids=ids, start=start.isoformat(), end=end.isoformat())

    enqueue_with_transaction(enqueue)  # with the observations' transaction: no evaluation is lost or extra
    return True


def open_alerts_for(rule: MonitoringRule) -> dict[str, Alert]:
    """The open alert of each series of a rule (for the evaluator)."""
    rows = Alert.objects.filter(rule=rule, status__in=OPEN_ALERT_STATUSES).select_related("rule")
    return {a.series_key: a for a in rows}
