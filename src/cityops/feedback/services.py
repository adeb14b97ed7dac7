"""Every write of the feedback center: intake, the workflow's transitions, notes, reopening and rating.

Each transition is checked against ``choices.TRANSITIONS`` and the actor's role, saved with ``full_clean``
inside one transaction, audited, indexed for search; notifications go out after commit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import secrets
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cityops.core import audit, ratelimit, search
from cityops.core.choices import Role
from cityops.core.models import Membership, Organization, User
from cityops.core.permissions import user_has_role
from cityops.core.services import live
from cityops.core.services.attachments import attachment_create
from cityops.core.services.notifications import notify, register_kind
from cityops.core.text import nfc
from cityops.core.workdays import deadline_for
from cityops.feedback.choices import (
    CLOSED_STATUSES,
    MERGEABLE_STATUSES,
    TRANSITIONS,
    AttributeType,
    AuditVerbs,
    Channel,
    FollowChannel,
    FollowSource,
    Status,
)
from cityops.feedback.models import (
    Category,
    Follower,
    Merge,
    Rating,
    Request,
    RequestUpdate,
    ResponseTemplate,
    RoutingRule,
)
from cityops.feedback.permissions import AGENCY_ROLES, DESK_ROLES, desk_reaches, request_policy

__all__ = [
    "MAX_PHOTOS",
    "SubmissionThrottled",
    "category_save",
    "clean_attribute_answers",
    "deadlines_sweep",
    "desk_organization",
    "export_audit",
    "kept_media_attach",
    "kept_media_cleanup",
    "kept_media_store",
    "request_accept",
    "request_assign",
    "request_classify",
    "request_escalate_to_task",
    "request_extension_ask",
    "request_extension_decide",
    "request_join",
    "request_mark_duplicate",
    "request_merge",
    "request_merge_undo",
    "request_note",
    "request_progress",
    "request_publish",
    "request_rate",
    "request_reject",
    "request_reopen",
    "request_resolve",
    "request_return",
    "request_send_back",
    "request_submit",
    "request_update_from_integrator",
    "request_verify",
    "response_template_save",
    "routing_rule_save",
]

MAX_PHOTOS = 6
MAX_REOPENS = 1
DEFAULT_DEADLINE_DAYS = 5
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud over the phone

register_kind("feedback.assigned", gettext_lazy("Citizen requests assigned to my agency"))
register_kind("feedback.submitted", gettext_lazy("New citizen requests for the desk"))
register_kind("feedback.answered", gettext_lazy("Answers to my requests"))
register_kind("feedback.deadline", gettext_lazy("Citizen requests due soon or overdue"))
register_kind("feedback.followed", gettext_lazy("Progress of citizen reports I follow"))


def desk_organization() -> Organization:
    """The IOC desk that receives every request: ``FEEDBACK_DESK_ORGANIZATION`` (a code) or the root unit."""
    code = settings.FEEDBACK_DESK_ORGANIZATION
    qs = Organization.objects.filter(is_active=True)
    org = qs.filter(code=code).first() if code else None
    org = org or qs.filter(parent__isnull=True).order_by("id").first()
    if org is None:
        raise ValidationError(_("The feedback desk is not configured: no organisation exists."))
    return org


class SubmissionThrottled(Exception):
    """Too many reports from one address (web) or one API key (Open311) in the window; answer 429."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def _flood_counter(actor: Any) -> tuple[str, str, tuple[int, int]] | None:
    """The counter a new report draws on: its API key's account, else the sender's address, else none."""
    from cityops.core.context import current_request_info

    window = int(settings.FEEDBACK_RATE_WINDOW_SECONDS)
    if getattr(actor, "is_service_account", False):
        return "feedback_accepted_key", str(actor.pk), (int(settings.FEEDBACK_RATE_LIMIT_PER_KEY), window)
    info = current_request_info()
    if info is not None and info.ip_address:
        return "feedback_accepted_address", info.ip_address, (int(settings.FEEDBACK_RATE_LIMIT_PER_ADDRESS), window)
    return None


def _check_rate(actor: Any) -> None:
    """Flood control on accepted reports, on the shared rate-limit counters (one cache read, not a count)."""
    counter = _flood_counter(actor)
    if counter is not None:
        try:
            ratelimit.check(*counter)
        except ratelimit.RateLimited as exc:
            raise SubmissionThrottled(exc.retry_after) from exc


def _count_accepted(actor: Any) -> None:
    """Count a report that passed every check; the next one over the cap is refused by ``_check_rate``."""
    counter = _flood_counter(actor)
    if counter is not None:
        with contextlib.suppress(ratelimit.RateLimited):  # this report is in
            ratelimit.hit(*counter)


def _new_code() -> str:
    return "PA" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def _decimal(value: Any, field: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({field: _("Enter a number.")}) from exc
    if not number.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    limit = 90 if field == "lat" else 180
    if abs(number) > limit:
        raise ValidationError({field: _("This coordinate is out of range.")})
    return number.quantize(Decimal("0.000001"))


def _text(value: Any) -> str:
    return nfc(str(value or "")).replace("\r\n", "\n").strip()


def clean_attribute_answers(category: Category, raw: dict[str, list[str]]) -> dict[str, Any]:
    """Check answers to a category's extra questions (Open311 attributes); unknown codes are ignored."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for definition in category.attributes or []:
        code = definition["code"]
        if definition.get("variable", True) is False:
            continue
        values = [_text(v) for v in raw.get(code, []) if _text(v)]
        field = f"attribute[{code}]"
        if not values:
            if definition.get("required"):
                errors[field] = _("This question must be answered.")
            continue
        datatype = definition["datatype"]
        keys = {v["key"] for v in definition.get("values") or []}
        if datatype == AttributeType.MULTI:
            if any(v not in keys for v in values):
                errors[field] = _("Choose from the listed values.")
            else:
                answers[code] = values
            continue
        value = values[0]
        if datatype == AttributeType.SINGLE and value not in keys:
            errors[field] = _("Choose from the listed values.")
        elif datatype == AttributeType.NUMBER:
            try:
                number = Decimal(value)
                if not number.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                errors[field] = _("Enter a number.")
        elif datatype == AttributeType.DATETIME:
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                parsed = None
            if parsed is None or parsed.tzinfo is None:
                errors[field] = _("Enter a date and time with its time zone (ISO 8601).")
        elif len(value) > 1000 or (datatype == AttributeType.STRING and "\n" in value):
            errors[field] = _("This answer is not valid.")
        if field not in errors:
            answers[code] = value
    if errors:
        raise ValidationError(errors)
    return answers


def _compute_deadline(category: Category, start: dt.datetime) -> dt.datetime:
    if category.deadline_hours:
        return deadline_for(start, hours=category.deadline_hours)
    days = category.deadline_days if category.deadline_days is not None else DEFAULT_DEADLINE_DAYS
    return deadline_for(start, days=days)


def _staff(organization: Organization, roles: Iterable[str]) -> list[User]:
    """People holding one of ``roles`` directly in ``organization`` (who should hear about its requests)."""
    user_ids = Membership.objects.filter(organization=organization, role__in=list(roles)).values("user_id")
    return list(User.objects.filter(pk__in=user_ids, is_active=True))


def _desk_staff(desk: Organization) -> list[User]:
    """The IOC operators of the desk's province, wherever in its tree they sit."""
    root = "/" + desk.path.strip("/").split("/")[0] + "/"
    user_ids = Membership.objects.filter(
        organization__path__startswith=root, organization__is_active=True, role__in=list(DESK_ROLES)
    ).values("user_id")
    return list(User.objects.filter(pk__in=user_ids, is_active=True))


def _staff_url(req: Request) -> str:
    return reverse("feedback:staff_detail", args=[req.pk])


def _attach_photos(*, actor: Any, req: Request, target: Any, photos: Iterable[Any], public: bool) -> None:
    """Several photos and at most one video, checked as a batch (``media.check_media``) before any is stored."""
    from cityops.feedback.media import check_media

    for item in check_media(list(photos), max_photos=MAX_PHOTOS):
        try:
            attachment_create(
                actor=actor, organization=req.organization, uploaded_file=item.file, target=target,
                is_public=public, skip_permission_check=True,
            )  # fmt: skip
        except ValidationError as exc:
            messages = exc.message_dict.get("file", exc.messages) if hasattr(exc, "error_dict") else exc.messages
            raise ValidationError({"photos": messages}) from exc


@transaction.atomic
def request_submit(
    *,
    actor: Any,
    category: Category | None,
    description: str,
    lat: Any = None,
    long: Any = None,
    address: str = "",
    address_id: str = "",
    area: Organization | None = None,
    is_anonymous: bool = False,
    contact_name: str = "",
    contact_email: str = "",
    contact_phone: str = "",
    attributes: dict[str, list[str]] | None = None,
    photos: Iterable[Any] = (),
    channel: str = Channel.WEB,
) -> Request:
    """Take in a citizen's report at the IOC desk, with its deadline and photos, or refuse it whole."""
    if category is None or not category.is_active:
        raise ValidationError({"category": _("Choose a category.")})
    desk = desk_organization()
    _check_rate(actor)
    reporter = actor if getattr(actor, "is_authenticated", False) and not actor.is_service_account else None
    now = timezone.now()
    req = Request(
        organization=desk,
        tracking_code=_new_code(),
        category=category,
        description=_text(description),
        lat=_decimal(lat, "lat"),
        long=_decimal(long, "long"),
        address=_text(address),
        address_id=_text(address_id),
        area=area,
        is_anonymous=bool(is_anonymous),
        reporter=reporter,
        contact_name=_text(contact_name),
        contact_email=_text(contact_email),
        contact_phone=_text(contact_phone),
        channel=channel,
        status=Status.SUBMITTED,
        deadline=_compute_deadline(category, now),
    )
    req.attributes = clean_attribute_answers(category, attributes or {})
    if not req.description:
        raise ValidationError({"description": _("Describe the problem.")})
    # The related rows were just read, the tracking code is random and ``Request.clean`` checks what the one
    # table constraint says: asking the database again would cost a query each. A clash of codes (one in 10^15) or a row
    # deleted meanwhile fails the insert instead of passing.
    req.full_clean(
        exclude=["organization", "category", "area", "reporter"], validate_unique=False, validate_constraints=False
    )
    req.save()
    _attach_photos(actor=actor, req=req, target=req, photos=photos, public=False)
    RequestUpdate.objects.create(request=req, author=reporter, organization=desk, new_status=Status.SUBMITTED)
    audit.record(
        verb=AuditVerbs.REQUEST_SUBMITTED, actor=actor, target=req, actor_label="" if reporter else "citizen",
        data={"new": {"category": category.code, "channel": channel, "status": req.status}},
    )  # fmt: skip
    search.index(req)
    live.publish(
        kind="feedback.request", organization=desk, url=_staff_url(req),
        title=f"{category.name_vi}: {req.description[:120]}",
        data={"lat": None if req.lat is None else float(req.lat), "long": None if req.long is None else float(req.long),
              "category": category.code, "status": req.status},
    )  # fmt: skip
    # In the same transaction as the report (a rolled-back report tells nobody); e-mail follows the commit.
    notify(
        recipients=_desk_staff(desk),
        kind="feedback.submitted",
        organization=desk,
        url=_staff_url(req),
        title=_("New citizen request %(code)s") % {"code": req.tracking_code},
    )
    _count_accepted(actor)
    return req


def _check_actor(actor: Any, req: Request, action: str) -> None:
    if not request_policy.can(actor, action, req):
        raise PermissionDenied(_("You may not take this action on this request."))


def _transition(
    *,
    actor: Any,
    req: Request,
    to: str,
    action: str | None,
    note: str = "",
    public: bool = True,
    organization: Organization | None = None,
    photos: Iterable[Any] = (),
    external_id: str = "",
    **changes: Any,
) -> Request:
    """Move ``req`` to ``to`` if the workflow and the actor's role allow it; audited and indexed."""
    with transaction.atomic():
        req = Request.objects.select_for_update().select_related("category").get(pk=req.pk)
        if action is not None:
            _check_actor(actor, req, action)
        if to not in TRANSITIONS.get(req.status, frozenset()):
            raise ValidationError(
                {"status": _("A request in status “%(old)s” cannot become “%(new)s”.")
                 % {"old": Status(req.status).label, "new": Status(to).label}}
            )  # fmt: skip
        old_status: str = req.status
        old = {"status": old_status, "organization": req.organization_id}
        req.status = to
        if organization is not None:
            req.organization = organization
        for name, value in changes.items():
            setattr(req, name, value)
        req.full_clean()
        req.save()
        author = actor if getattr(actor, "is_authenticated", False) else None
        update = RequestUpdate(
            request=req, author=author, organization=req.organization, is_public=public,
            text=_text(note), old_status=old_status, new_status=to, external_id=external_id,
        )  # fmt: skip
        update.full_clean()
        update.save()
        _attach_photos(actor=actor, req=req, target=update, photos=photos, public=public)
        audit.record(
            verb=AuditVerbs.REQUEST_TRANSITION, actor=actor, target=req,
            actor_label="" if author else "citizen",
            data={"old": old, "new": {"status": to, "organization": req.organization_id}, "note": update.text[:500]},
        )  # fmt: skip
        search.index(req)
        if public:
            _tell_followers(req, update)
    return req


def _required(text: str, field: str, message: str) -> str:
    text = _text(text)
    if not text:
        raise ValidationError({field: message})
    return text


def request_verify(*, actor: Any, request: Request, note: str = "") -> Request:
    """Desk: the report is genuine and in scope."""
    return _transition(actor=actor, req=request, to=Status.VERIFIED, action="desk", note=note)


def request_reject(*, actor: Any, request: Request, reason: str) -> Request:
    """Desk: refuse the report; the reason is shown to the citizen."""
    reason = _required(reason, "reason", _("Give the reason shown to the citizen."))
    req = _transition(
        actor=actor, req=request, to=Status.REJECTED, action="desk", note=reason,
        status_notes=reason[:1000], closed_at=timezone.now(), organization=desk_organization(),
    )  # fmt: skip
    _tell_reporter(req, _("Your request %(code)s was not accepted") % {"code": req.tracking_code})
    return req


def request_mark_duplicate(*, actor: Any, request: Request, original: Request, note: str = "") -> Request:
    """Desk: the same problem is already reported; the citizen is pointed at the original."""
    if original.pk == request.pk:
        raise ValidationError({"original": _("A request cannot duplicate itself.")})
    # By its public number, never its tracking code: the code lets its holder rate and reopen the original.
    notes = _text(note) or _("Duplicate of report no. %(id)s.") % {"id": original.pk}
    return _transition(
        actor=actor, req=request, to=Status.DUPLICATE, action="desk", note=notes,
        duplicate_of=original, status_notes=notes[:1000], closed_at=timezone.now(),
    )  # fmt: skip


def request_assign(
    *,
    actor: Any,
    request: Request,
    agency: Organization,
    note: str = "",
    supporting: Iterable[Organization] = (),
) -> Request:
    """Desk: forward the report to the lead agency that will handle it, with supporting agencies if any."""
    if agency is None or not agency.is_active or not desk_reaches(actor, agency):
        raise ValidationError({"agency": _("Choose an agency of this province.")})
    helpers = [org for org in supporting if org.pk != agency.pk]
    if any(not org.is_active or not desk_reaches(actor, org) for org in helpers):
        raise ValidationError({"supporting": _("Choose agencies of this province.")})
    with transaction.atomic():
        req = _transition(actor=actor, req=request, to=Status.ASSIGNED, action="desk", note=note, organization=agency)
        req.supporting_agencies.set(helpers)
        if helpers:
            audit.record(
                verb=AuditVerbs.REQUEST_SUPPORT, actor=actor, target=req,
                data={"new": {"supporting": [org.pk for org in helpers]}},
            )  # fmt: skip
    recipients = _staff(agency, AGENCY_ROLES) + [u for org in helpers for u in _staff(org, AGENCY_ROLES)]
    transaction.on_commit(
        lambda: notify(
            recipients=recipients,
            kind="feedback.assigned",
            organization=agency,
            url=_staff_url(req),
            title=_("Citizen request %(code)s assigned to your agency") % {"code": req.tracking_code},
        )  # fmt: skip
    )
    return req


def request_accept(*, actor: Any, request: Request, note: str = "") -> Request:
    """Agency: take the report on."""
    return _transition(actor=actor, req=request, to=Status.ACCEPTED, action="handle", note=note, public=False)


def request_return(*, actor: Any, request: Request, reason: str) -> Request:
    """Agency: not ours (wrong agency); back to the desk with the reason."""
    reason = _required(reason, "reason", _("Say why the request is returned."))
    return _transition(
        actor=actor, req=request, to=Status.RETURNED, action="handle", note=reason, public=False,
        organization=desk_organization(),
    )  # fmt: skip


def request_progress(
    *, actor: Any, request: Request, note: str, is_public: bool = True, photos: Iterable[Any] = ()
) -> Request:
    """Agency: report progress (optionally with photos)."""
    note = _required(note, "note", _("Describe the progress."))
    return _transition(
        actor=actor, req=request, to=Status.IN_PROGRESS, action="handle", note=note, public=is_public, photos=photos
    )


def request_resolve(*, actor: Any, request: Request, answer: str, photos: Iterable[Any] = ()) -> Request:
    """Agency: submit the result; the desk reviews it before the citizen sees it."""
    answer = _required(answer, "answer", _("Write the answer to the citizen."))
    return _transition(
        actor=actor, req=request, to=Status.RESOLVED, action="handle", note=answer, public=False,
        photos=photos, answer=answer,
    )  # fmt: skip


def request_send_back(*, actor: Any, request: Request, reason: str) -> Request:
    """Desk: the result is not good enough; the agency works on."""
    reason = _required(reason, "reason", _("Say what is missing."))
    return _transition(actor=actor, req=request, to=Status.IN_PROGRESS, action="desk", note=reason, public=False)


def request_publish(*, actor: Any, request: Request, note: str = "") -> Request:
    """Desk: approve the agency's answer and publish it; the request is closed."""
    current = Request.objects.get(pk=request.pk)
    req = _transition(
        actor=actor, req=request, to=Status.PUBLISHED, action="desk", note=_text(note) or current.answer,
        closed_at=timezone.now(), status_notes=current.answer[:1000],
    )  # fmt: skip
    _tell_reporter(req, _("Your request %(code)s has been answered") % {"code": req.tracking_code})
    return req


def _tell_reporter(req: Request, title: str) -> None:
    if req.reporter_id is None:
        return
    reporter = req.reporter
    assert reporter is not None
    transaction.on_commit(
        lambda: notify(
            recipients=[reporter],
            kind="feedback.answered",
            title=title,
            url=reverse("feedback:track", args=[req.tracking_code]),
        )  # fmt: skip
    )


def request_reopen(*, actor: Any, request: Request, reason: str) -> Request:
    """Citizen (holder of the tracking code): the answer was published but the problem is not fixed; once."""
    reason = _required(reason, "reason", _("Say what is still wrong."))
    if request.reopen_count >= MAX_REOPENS:
        raise ValidationError({"reason": _("A request can be reopened only once.")})
    now = timezone.now()
    return _transition(
        actor=actor, req=request, to=Status.REOPENED, action=None, note=reason,
        organization=desk_organization(), closed_at=None, reopen_count=request.reopen_count + 1,
        deadline=_compute_deadline(request.category, now), status_notes="",
    )  # fmt: skip


def request_note(*, actor: Any, request: Request, text: str, is_public: bool = False) -> RequestUpdate:
    """Staff: a note without a status change (internal by default)."""
    _check_actor(actor, request, "change")
    text = _required(text, "text", _("Write the note."))
    with transaction.atomic():
        update = RequestUpdate(
            request=request, author=actor, organization=request.organization, is_public=is_public, text=text
        )
        update.full_clean()
        update.save()
        audit.record(
            verb=AuditVerbs.REQUEST_NOTE, actor=actor, target=request,
            data={"public": is_public, "note": text[:500]},
        )  # fmt: skip
    return update


def request_rate(*, actor: Any, request: Request, score: Any, comment: str = "") -> Rating:
    """Citizen: satisfaction with the published answer, 1–5, once."""
    try:
        score_value = int(score)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"score": _("Choose a rating from 1 to 5.")}) from exc
    with transaction.atomic():
        req = Request.objects.select_for_update().get(pk=request.pk)
        if req.status != Status.PUBLISHED:
            raise ValidationError({"score": _("Only a published answer can be rated.")})
        if Rating.objects.filter(request=req).exists():
            raise ValidationError({"score": _("This answer has already been rated.")})
        rating = Rating(request=req, score=score_value, comment=_text(comment))
        rating.full_clean()
        rating.save()
        audit.record(
            verb=AuditVerbs.REQUEST_RATED, actor=actor, target=req, actor_label="citizen",
            data={"new": {"score": score_value}},
        )  # fmt: skip
    return rating


# --- Configuration: categories and routing rules (IOC desk and administrators) ---------------------------

CONFIG_ROLES = DESK_ROLES | {Role.ADMINISTRATOR}


def _check_config(actor: Any) -> None:
    desk = desk_organization()
    if not (desk_reaches(actor, desk) or user_has_role(actor, {Role.ADMINISTRATOR}, desk)):
        raise PermissionDenied(_("Only the IOC desk or an administrator of the province manages feedback categories."))


def category_save(*, actor: Any, category: Category) -> Category:
    """Create or change a category (an Open311 service); audited with the changed fields."""
    _check_config(actor)
    with transaction.atomic():
        before = audit.snapshot(Category.objects.get(pk=category.pk)) if category.pk else {}
        category.name_vi = _text(category.name_vi)
        category.name_en = _text(category.name_en)
        category.description = _text(category.description)
        category.full_clean()
        category.save()
        after = audit.snapshot(category)
        changed = {k: v for k, v in after.items() if before.get(k) != v and k not in {"updated_at", "created_at"}}
        audit.record(
            verb=AuditVerbs.CATEGORY_SAVED, actor=actor, target=category, organization=desk_organization(),
            data={"old": {k: before.get(k) for k in changed}, "new": changed},
        )  # fmt: skip
    return category


def routing_rule_save(*, actor: Any, rule: RoutingRule) -> RoutingRule:
    """Create or change a routing rule (category × area → agency); audited."""
    _check_config(actor)
    with transaction.atomic():
        rule.full_clean()
        rule.save()
        audit.record(
            verb=AuditVerbs.ROUTING_SAVED, actor=actor, target=rule, organization=desk_organization(),
            data={"new": {"category": rule.category_id, "area": rule.area_id, "agency": rule.agency_id}},
        )  # fmt: skip
    return rule


def export_audit(*, actor: Any, fmt: str) -> None:
    """Who exported the feedback list, and when, is part of the trail."""
    audit.record(verb=AuditVerbs.EXPORTED, actor=actor, organization=desk_organization(), data={"format": fmt})


# --- Deadline extensions, reminders and escalation ---------------------------------------------------------

REMIND_WORKING_HOURS = 8  # remind the agency when less than one working day is left

# Called with each request that has just become overdue (e.g. the directives module turns it into a task).
OVERDUE_HOOKS: list[Any] = []


def request_extension_ask(*, actor: Any, request: Request, until: dt.datetime, reason: str) -> Request:
    """Agency: ask the desk for more time, with a reason (Huế's "reasonable extension")."""
    _check_actor(actor, request, "handle")
    reason = _required(reason, "reason", _("Say why more time is needed."))
    with transaction.atomic():
        req = Request.objects.select_for_update().get(pk=request.pk)
        if not req.is_open or req.status not in {Status.ACCEPTED, Status.IN_PROGRESS}:
            raise ValidationError({"until": _("Only a request being handled can get more time.")})
        if until is None or timezone.is_naive(until) or (req.deadline and until <= req.deadline):
            raise ValidationError({"until": _("The new deadline must be later than the current one.")})
        req.extension_until, req.extension_reason = until, reason[:1000]
        req.full_clean()
        req.save(update_fields=["extension_until", "extension_reason", "updated_at"])
        RequestUpdate.objects.create(
            request=req, author=actor, organization=req.organization, is_public=False,
            text=_("Extension asked until %(when)s: %(reason)s")
            % {"when": timezone.localtime(until).strftime("%d/%m/%Y %H:%M"), "reason": reason},
        )  # fmt: skip
        audit.record(
            verb=AuditVerbs.EXTENSION_ASKED, actor=actor, target=req,
            data={"old": {"deadline": req.deadline}, "new": {"until": until}, "reason": reason[:500]},
        )  # fmt: skip
    return req


def request_extension_decide(*, actor: Any, request: Request, approve: bool, note: str = "") -> Request:
    """Desk: grant or refuse the extension the agency asked for."""
    _check_actor(actor, request, "desk")
    with transaction.atomic():
        req = Request.objects.select_for_update().get(pk=request.pk)
        if req.extension_until is None:
            raise ValidationError({"until": _("No extension has been asked for.")})
        old_deadline = req.deadline
        if approve:
            req.deadline = req.extension_until
            req.reminded_at = req.escalated_at = None
        req.extension_until, req.extension_reason = None, ""
        req.full_clean()
        req.save()
        text = _("Extension granted.") if approve else _("Extension refused.")
        RequestUpdate.objects.create(
            request=req, author=actor, organization=req.organization, is_public=False,
            text=f"{text} {_text(note)}".strip(),
        )  # fmt: skip
        audit.record(
            verb=AuditVerbs.EXTENSION_DECIDED, actor=actor, target=req,
            data={"old": {"deadline": old_deadline}, "new": {"deadline": req.deadline}, "approved": approve},
        )  # fmt: skip
    return req


def _notify_later(recipients: list[User], req: Request, title: str) -> None:
    transaction.on_commit(
        partial(
            notify,
            recipients=recipients,
            kind="feedback.deadline",
            organization=req.organization,
            url=_staff_url(req),
            title=title,
        )  # fmt: skip
    )


def deadlines_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Remind agencies of requests due within a working day; escalate overdue ones (agency head, then desk).

    Idempotent: each request is reminded and escalated at most once per deadline.
    """
    from cityops.core.workdays import add_working_hours

    now = now or timezone.now()
    soon = add_working_hours(now, REMIND_WORKING_HOURS)
    open_qs = Request.objects.exclude(status__in=CLOSED_STATUSES).filter(deadline__isnull=False)
    counts = {"reminded": 0, "escalated": 0}
    for req in open_qs.filter(reminded_at__isnull=True, deadline__gt=now, deadline__lte=soon).select_related(
        "organization"
    ):
        with transaction.atomic():
            if Request.objects.filter(pk=req.pk, reminded_at__isnull=True).update(reminded_at=now) != 1:
                continue
            audit.record(verb=AuditVerbs.REMINDED, target=req, data={"deadline": req.deadline})
            recipients = _staff(req.organization, AGENCY_ROLES)
            _notify_later(recipients, req, _("Request %(code)s is due soon") % {"code": req.tracking_code})
        counts["reminded"] += 1
    for req in open_qs.filter(escalated_at__isnull=True, deadline__lte=now).select_related("organization"):
        with transaction.atomic():
            if Request.objects.filter(pk=req.pk, escalated_at__isnull=True).update(escalated_at=now) != 1:
                continue
            audit.record(verb=AuditVerbs.ESCALATED, target=req, data={"deadline": req.deadline})
            recipients = _staff(req.organization, {Role.AGENCY_HEAD}) + _desk_staff(desk_organization())
            _notify_later(recipients, req, _("Request %(code)s is overdue") % {"code": req.tracking_code})
            for hook in OVERDUE_HOOKS:
                transaction.on_commit(partial(hook, req.pk))
        counts["escalated"] += 1
    return counts


ESCALATION_DEFAULT_WORKING_DAYS = 3
ESCALATION_SOURCE_TYPE = "feedback.request"


def escalation_default_deadline(now: dt.datetime | None = None) -> dt.date:
    """The default deadline of a task made from a request: 3 working days after today (core calendar)."""
    from cityops.core.workdays import add_working_days, local_tz

    today = (now or timezone.now()).astimezone(local_tz()).date()
    day = add_working_days(today, ESCALATION_DEFAULT_WORKING_DAYS)
    assert isinstance(day, dt.date)
    return day


def request_escalate_to_task(
    *,
    actor: Any,
    request: Request,
    deadline: dt.date | None = None,
    note: str = "",
    lead_agency: Organization | None = None,
) -> Any:
    """IOC desk or leader: turn the request into a directives task for ``lead_agency`` (default: its agency now).

    Allowed to whoever sees the request and may give tasks to the lead agency under the directives' own rules
    (``directives.permissions.can_direct``). The task, the ``feedback.request.escalated_to_task`` audit event and an
    internal note with the task link are written in one transaction. While a task made from this request is
    open, calling again returns that task and writes nothing.
    """
    from cityops.directives.permissions import can_direct
    from cityops.directives.selectors import tasks_for_source
    from cityops.directives.services import task_create_from

    note = _text(note)
    if len(note) > 3000:
        raise ValidationError({"note": _("The note is too long (at most 3,000 characters).")})
    if deadline is not None and (not isinstance(deadline, dt.date) or isinstance(deadline, dt.datetime)):
        raise ValidationError({"deadline": _("Enter a valid date.")})
    with transaction.atomic():
        req = Request.objects.select_for_update().select_related("organization", "category").get(pk=request.pk)
        if not request_policy.can(actor, "view", req):
            raise PermissionDenied(_("You may not take this action on this request."))
        lead = lead_agency or req.organization
        if not getattr(actor, "is_authenticated", False) or not can_direct(actor, lead):
            raise PermissionDenied(_("You may not give tasks to “%(agency)s”.") % {"agency": lead.name})
        if not req.is_open:
            raise ValidationError({"request": _("A closed request cannot be turned into a task.")})
        open_before = set(
            tasks_for_source(actor=actor, source_type=ESCALATION_SOURCE_TYPE, source_id=req.pk).values_list(
                "pk", flat=True
            )
        )
        title = _("Citizen request %(code)s: %(category)s") % {"code": req.tracking_code, "category": req.category.name}
        content = "\n\n".join(part for part in (req.description, note) if part)
        task = task_create_from(
            actor=actor, source_type=ESCALATION_SOURCE_TYPE, source_id=req.pk, title=title, lead_agency=lead,
            deadline=deadline if deadline is not None else escalation_default_deadline(), content=content,
        )  # fmt: skip
        if task.pk in open_before:
            return task
        task_url = reverse("directives:task", args=[task.pk])
        text = _("Escalated to task #%(id)s (%(url)s) for %(agency)s.") % {
            "id": task.pk, "url": task_url, "agency": lead.name,
        }  # fmt: skip
        update = RequestUpdate(
            request=req, author=actor, organization=req.organization, is_public=False,
            text=f"{text} {note}".strip(),
        )  # fmt: skip
        update.full_clean()
        update.save()
        audit.record(
            verb=AuditVerbs.ESCALATED_TO_TASK, actor=actor, target=req,
            data={"new": {"task": task.pk, "directive": task.directive_id, "lead_agency": lead.pk,
                          "deadline": task.deadline}, "note": note[:500]},
        )  # fmt: skip
    return task


def request_classify(*, actor: Any, request: Request, category: Category) -> Request:
    """Desk: correct the category before forwarding (these corrections teach the category suggestion)."""
    _check_actor(actor, request, "desk")
    if category is None or not category.is_active:
        raise ValidationError({"category": _("Choose a category.")})
    with transaction.atomic():
        req = Request.objects.select_for_update().get(pk=request.pk)
        if req.status not in {Status.SUBMITTED, Status.VERIFIED, Status.RETURNED, Status.REOPENED}:
            raise ValidationError({"category": _("The category can change only before the request is forwarded.")})
        old = req.category_id
        req.category = category
        req.full_clean(exclude=["attributes"])
        req.save()
        RequestUpdate.objects.create(
            request=req, author=actor, organization=req.organization, is_public=False,
            text=_("Category changed to %(name)s.") % {"name": category.name_vi},
        )  # fmt: skip
        audit.record(
            verb=AuditVerbs.REQUEST_CLASSIFIED, actor=actor, target=req,
            data={"old": {"category": old}, "new": {"category": category.pk}},
        )  # fmt: skip
        search.index(req)
    return req


def response_template_save(*, actor: Any, template: ResponseTemplate) -> ResponseTemplate:
    """Create or change a response template (desk or administrator); audited."""
    _check_config(actor)
    with transaction.atomic():
        template.name, template.text = _text(template.name), _text(template.text)
        template.full_clean()
        template.save()
        audit.record(
            verb=AuditVerbs.TEMPLATE_SAVED, actor=actor, target=template, organization=desk_organization(),
            data={"new": {"name": template.name, "category": template.category_id, "active": template.is_active}},
        )  # fmt: skip
    return template


def request_join(*, actor: Any, request: Request, email: str = "") -> Request:
    """Citizen: "me too" on an open, verified report instead of filing a duplicate; optionally follow it.

    A signed-in citizen follows through their account's notifications; anyone else through ``email`` if given.
    """
    from django.core.validators import validate_email
    from django.db.models import F

    from cityops.feedback.selectors import DUPLICATE_STATUSES

    email = _text(email)
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"email": _("Enter a valid email address to follow the report.")}) from exc
    with transaction.atomic():
        updated = Request.objects.filter(pk=request.pk, status__in=DUPLICATE_STATUSES).update(
            joined_count=F("joined_count") + 1
        )
        if updated != 1:
            raise ValidationError({"request": _("This report can no longer be joined.")})
        follower = _follower_for(
            request=request, source=FollowSource.JOINED,
            user=actor if getattr(actor, "is_authenticated", False) and not actor.is_service_account else None,
            email=email,
        )  # fmt: skip
        audit.record(
            verb=AuditVerbs.REQUEST_JOINED, actor=actor, target=request, actor_label="citizen",
            data={"follows": follower.channel if follower else ""},
        )  # fmt: skip
    return Request.objects.get(pk=request.pk)


# --- Followers, merging ------------------------------------------------------------------------------------


def _follower_for(
    *, request: Request, source: str, user: Any = None, email: str = "", merged_from: Request | None = None
) -> Follower | None:
    """Add a follower reachable through ``user``'s account or ``email``; None when neither is given.

    Someone already following (same account or address) is not added twice.
    """
    if user is not None:
        if request.followers.filter(user=user).exists() or request.reporter_id == user.pk:
            return None
        follower = Follower(request=request, user=user, channel=FollowChannel.ACCOUNT, source=source)
    elif email:
        if request.followers.filter(email__iexact=email).exists():
            return None
        follower = Follower(request=request, email=email, channel=FollowChannel.EMAIL, source=source)
    else:
        return None
    follower.merged_from = merged_from
    follower.full_clean()
    follower.save()
    return follower


def _tell_followers(req: Request, update: RequestUpdate) -> None:
    """After commit, tell the followers of ``req`` about a public change: status and the public note.

    Followers get no tracking code of the report they follow (it lets its holder rate and reopen); a merged
    reporter's link is their own tracking page, which now leads to the original.
    """
    followers = list(req.followers.select_related("user", "merged_from"))
    if not followers:
        return
    status = Status(update.new_status).label if update.new_status else _("New update")
    title = _("Update on a report you follow (%(category)s): %(status)s") % {
        "category": req.category.name_vi, "status": status,
    }  # fmt: skip
    body = update.text[:1000]
    by_account: dict[str, list[User]] = {}
    emails: list[list[str]] = []
    for follower in followers:
        url = (
            reverse("feedback:track", args=[follower.merged_from.tracking_code])
            if follower.merged_from is not None
            else reverse("feedback:index")
        )
        if follower.channel == FollowChannel.ACCOUNT and follower.user is not None:
            by_account.setdefault(url, []).append(follower.user)
        elif follower.email:
            emails.append([follower.email, url, reverse("feedback:unfollow", args=[unfollow_token(follower)])])

    def send() -> None:
        from cityops.feedback.tasks import send_follower_emails

        for url, users in by_account.items():
            notify(recipients=users, kind="feedback.followed", title=title, body=body, url=url)
        if emails:
            send_follower_emails.enqueue(recipients=emails, title=str(title), body=body)

    transaction.on_commit(send)


UNFOLLOW_SALT = "cityops.feedback.unfollow"


def unfollow_token(follower: Follower) -> str:
    """The signed token of the "stop following" link in a follower's emails (it names only the follower row)."""
    from django.core import signing

    return signing.dumps(follower.pk, salt=UNFOLLOW_SALT, compress=True)


def follower_from_token(token: str) -> Follower | None:
    """The follower a "stop following" link names, or None for anything forged, garbled or already gone."""
    from django.core import signing

    if not token or len(token) > 200:
        return None
    try:
        pk = signing.loads(token, salt=UNFOLLOW_SALT)
    except signing.BadSignature:
        return None
    return Follower.objects.filter(pk=pk).select_related("request").first() if isinstance(pk, int) else None


def follower_remove(*, actor: Any, follower: Follower) -> None:
    """Someone asked to hear no more about a report they followed by email; audited."""
    with transaction.atomic():
        audit.record(
            verb=AuditVerbs.UNFOLLOWED, actor=actor, target=follower.request, actor_label="citizen",
            data={"follower": follower.pk, "channel": follower.channel},
        )  # fmt: skip
        follower.delete()


def _merge_target(actor: Any, original: Request | None, request: Request) -> Request:
    if original is None or not request_policy.can(actor, "desk", original):
        raise ValidationError({"original": _("Enter the tracking code of a request of this province.")})
    if original.pk == request.pk:
        raise ValidationError({"original": _("A request cannot be merged into itself.")})
    if original.status in {Status.REJECTED, Status.DUPLICATE, Status.MERGED}:
        raise ValidationError({"original": _("A rejected, duplicate or merged request cannot be the original.")})
    return original


def request_merge(*, actor: Any, request: Request, original: Request | None, note: str = "") -> Request:
    """Desk: fold ``request`` into ``original``: its photos and its reporter (as a follower) move there.

    The merged request is closed and shows "merged into <code>"; its tracking page leads to the original. Its
    followers move too. Everything moved is kept on a ``Merge`` row so ``request_merge_undo`` can reverse it.
    """
    from django.db.models import F

    from cityops.core.models import Attachment

    _check_actor(actor, request, "desk")
    with transaction.atomic():
        locked = {
            r.pk: r
            for r in Request.objects.select_for_update()
            .filter(pk__in=[request.pk, getattr(original, "pk", 0)])
            .order_by("pk")
        }
        req = locked[request.pk]
        target = _merge_target(actor, locked.get(getattr(original, "pk", 0)), req)
        if req.status not in MERGEABLE_STATUSES:
            raise ValidationError({"status": _("Only a request still at the desk can be merged.")})
        previous_status, previous_org = req.status, req.organization
        files = Attachment.objects.filter(target_type="feedback.request", target_id=str(req.pk))
        attachment_ids = list(files.values_list("pk", flat=True))
        moved_followers = list(req.followers.values_list("pk", flat=True))
        notes = _("Merged into %(code)s.") % {"code": target.tracking_code}
        text = f"{notes} {_text(note)}".strip()
        req = _transition(
            actor=actor, req=req, to=Status.MERGED, action="desk", note=text, duplicate_of=target,
            status_notes=notes[:1000], closed_at=timezone.now(),
        )  # fmt: skip
        files.update(target_id=str(target.pk))
        Follower.objects.filter(pk__in=moved_followers).update(request=target)
        created = _follower_for(
            request=target, source=FollowSource.MERGED, user=req.reporter, email=req.contact_email, merged_from=req
        ) if req.reporter_id or req.contact_email else None  # fmt: skip
        Request.objects.filter(pk=target.pk).update(joined_count=F("joined_count") + 1 + req.joined_count)
        merge = Merge.objects.create(
            request=req, original=target, previous_status=previous_status, previous_organization=previous_org,
            attachment_ids=attachment_ids, follower_ids=moved_followers, merged_by=_person(actor),
        )  # fmt: skip
        RequestUpdate.objects.create(
            request=target, author=_person(actor), organization=target.organization, is_public=False,
            text=_("Request %(code)s was merged into this one.") % {"code": req.tracking_code},
        )  # fmt: skip
        audit.record(
            verb=AuditVerbs.MERGED, actor=actor, target=req,
            data={"old": {"status": previous_status}, "new": {"status": Status.MERGED, "original": target.pk},
                  "merge": merge.pk, "attachments": attachment_ids, "followers_moved": moved_followers,
                  "follower_added": created.pk if created else None},
        )  # fmt: skip
        search.index(target)
    _tell_reporter(
        req, _("Your request %(code)s was merged with a report of the same problem") % {"code": req.tracking_code}
    )
    return req


def request_merge_undo(*, actor: Any, request: Request, note: str = "") -> Request:
    """Desk: a merge was wrong; the request gets back its status, photos and followers, and the original loses them."""
    from cityops.core.models import Attachment

    _check_actor(actor, request, "desk")
    with transaction.atomic():
        req = Request.objects.select_for_update().get(pk=request.pk)
        merge = Merge.objects.select_for_update().filter(request=req, undone_at__isnull=True).first()
        if req.status != Status.MERGED or merge is None:
            raise ValidationError({"status": _("This request is not merged.")})
        original = Request.objects.select_for_update().get(pk=merge.original_id)
        old = {"status": req.status, "original": original.pk}
        req.status = merge.previous_status
        req.organization = merge.previous_organization
        req.duplicate_of = None
        req.closed_at = None
        req.status_notes = ""
        req.full_clean()
        req.save()
        Attachment.objects.filter(pk__in=merge.attachment_ids, target_type="feedback.request").update(
            target_id=str(req.pk)
        )
        Follower.objects.filter(merged_from=req, source=FollowSource.MERGED).delete()
        Follower.objects.filter(pk__in=merge.follower_ids).update(request=req)
        original.joined_count = max(0, original.joined_count - 1 - req.joined_count)
        original.save(update_fields=["joined_count", "updated_at"])
        merge.undone_at, merge.undone_by = timezone.now(), _person(actor)
        merge.save(update_fields=["undone_at", "undone_by"])
        text = f"{_('The merge was undone: this report is handled on its own again.')} {_text(note)}".strip()
        update = RequestUpdate.objects.create(
            request=req, author=_person(actor), organization=req.organization, is_public=True, text=text,
            old_status=Status.MERGED, new_status=req.status,
        )  # fmt: skip
        RequestUpdate.objects.create(
            request=original, author=_person(actor), organization=original.organization, is_public=False,
            text=_("Request %(code)s is no longer merged into this one.") % {"code": req.tracking_code},
        )  # fmt: skip
        audit.record(
            verb=AuditVerbs.MERGE_UNDONE, actor=actor, target=req,
            data={"old": old, "new": {"status": req.status}, "merge": merge.pk, "note": _text(note)[:500]},
        )  # fmt: skip
        search.index(req)
        search.index(original)
        _tell_followers(req, update)
    return req


def _person(actor: Any) -> User | None:
    return actor if getattr(actor, "is_authenticated", False) else None


# --- Updates from integrators (Open311 POST servicerequestupdates) ------------------------------------------

# FixMyStreet's extended statuses an agency's own system may send, and the step of our workflow each means.
INTEGRATOR_STATUS: dict[str, str] = {
    "ACTION_SCHEDULED": Status.ACCEPTED, "INVESTIGATING": Status.IN_PROGRESS, "IN_PROGRESS": Status.IN_PROGRESS,
    "FIXED": Status.RESOLVED, "CLOSED": Status.RESOLVED, "NOT_COUNCILS_RESPONSIBILITY": Status.RETURNED,
    "INTERNAL_REFERRAL": Status.RETURNED,
}  # fmt: skip
INTEGRATOR_ROLES = frozenset({Role.INTEGRATOR}) | AGENCY_ROLES | DESK_ROLES


def integrator_reaches(api_key: Any, req: Request) -> bool:
    """An API key reaches requests handled in its organisation's subtree, if its account has a role there."""
    org = req.organization
    return bool(org.path.startswith(api_key.organization.path) and user_has_role(api_key.user, INTEGRATOR_ROLES, org))


def request_update_from_integrator(
    *, actor: Any, api_key: Any, request: Request, status: str = "", description: str = "", update_id: str = ""
) -> tuple[RequestUpdate, bool]:
    """An agency's own system reports progress: a status (FixMyStreet names) and/or a comment; audited.

    Statuses move the request as the agency would (accept, progress, result for the desk's review, return);
    a comment alone is an internal note. The same ``update_id`` posted again returns the first update and
    changes nothing. Returns the update and whether it was created now.
    """
    if not integrator_reaches(api_key, request):
        raise PermissionDenied(_("This key may not update this request."))
    update_id = _text(update_id)
    if len(update_id) > 64 or any(ord(ch) < 32 for ch in update_id):
        raise ValidationError({"update_id": _("update_id is too long or not valid.")})
    code = _text(status).upper().replace(" ", "_")
    if code and code not in INTEGRATOR_STATUS:
        raise ValidationError({"status": _("This status cannot be set by an external system.")})
    description = _text(description)
    if len(description) > 4000:
        raise ValidationError({"description": _("The description is longer than 4,000 characters.")})
    if not code and not description:
        raise ValidationError({"description": _("Send a status or a description.")})
    with transaction.atomic():
        req = Request.objects.select_for_update().select_related("organization").get(pk=request.pk)
        if update_id:
            existing = RequestUpdate.objects.filter(request=req, external_id=update_id).first()
            if existing is not None:
                return existing, False
        target = INTEGRATOR_STATUS.get(code)
        if target == Status.ACCEPTED and req.status != Status.ASSIGNED:
            target = None  # already taken on: the comment is kept as a note
        if target in {Status.IN_PROGRESS, Status.RESOLVED} and req.status == Status.ASSIGNED:
            req = _transition(actor=actor, req=req, to=Status.ACCEPTED, action=None, public=False)
        if target is None:
            update = RequestUpdate(
                request=req, author=None, organization=req.organization, is_public=False, text=description,
                external_id=update_id,
            )  # fmt: skip
            update.full_clean()
            update.save()
        else:
            changes: dict[str, Any] = {}
            public = target == Status.IN_PROGRESS
            organization = None
            if target == Status.RESOLVED:
                changes["answer"] = _required(description, "description", _("Write the answer to the citizen."))
            elif target == Status.RETURNED:
                _required(description, "description", _("Say why the request is returned."))
                organization = desk_organization()
            elif target == Status.IN_PROGRESS:
                _required(description, "description", _("Describe the progress."))
            req = _transition(
                actor=actor, req=req, to=target, action=None, note=description, public=public,
                organization=organization, external_id=update_id, **changes,
            )  # fmt: skip
            update = req.updates.order_by("-id").first()  # type: ignore[assignment]
        audit.record(
            verb=AuditVerbs.UPDATE_RECEIVED, actor=actor, target=req,
            data={"update_id": update_id, "status": code, "new": {"status": req.status}, "key": api_key.prefix},
        )  # fmt: skip
    assert update is not None
    return update, True


# --- Files kept across a refused report form -------------------------------------------------------------

KEPT_TARGET = "feedback.kept"
KEPT_HOURS = 24


def kept_media_store(*, actor: Any, files: Iterable[Any], already: Iterable[str] = ()) -> list[Any]:
    """Keep a citizen's checked photos and video while the form is corrected, so they need not choose them again.

    They are stored unattached (the desk's, private) and marked ``feedback.kept``; ``kept_media_attach`` moves
    them onto the report, ``kept_media_cleanup`` deletes those never used.
    """
    from cityops.core.models import Attachment
    from cityops.feedback.media import check_media

    checked = check_media(list(files), max_photos=MAX_PHOTOS, already=already)
    desk = desk_organization()
    kept = []
    with transaction.atomic():
        for item in checked:
            attachment = attachment_create(
                actor=actor, organization=desk, uploaded_file=item.file, is_public=False, skip_permission_check=True
            )
            Attachment.objects.filter(pk=attachment.pk).update(target_type=KEPT_TARGET)
            kept.append(attachment)
    return kept


def kept_media_attach(*, actor: Any, request: Request, attachments: Iterable[Any]) -> None:
    """Move kept files onto the new report; the limits count them together with the files just sent."""
    from cityops.core.models import Attachment
    from cityops.feedback.media import check_counts

    ids = [a.pk for a in attachments]
    if not ids:
        return
    with transaction.atomic():
        kept = list(Attachment.objects.select_for_update().filter(pk__in=ids, target_type=KEPT_TARGET))
        present = Attachment.objects.filter(target_type="feedback.request", target_id=str(request.pk))
        check_counts(
            [a.content_type for a in kept] + list(present.values_list("content_type", flat=True)),
            max_photos=MAX_PHOTOS,
        )
        Attachment.objects.filter(pk__in=[a.pk for a in kept]).update(
            target_type="feedback.request", target_id=str(request.pk), organization=request.organization
        )
        if kept:
            audit.record(
                verb=AuditVerbs.FILES_ATTACHED, actor=actor, target=request,
                actor_label="" if _person(actor) else "citizen", data={"kept_files": [a.pk for a in kept]},
            )  # fmt: skip


def kept_media_cleanup(*, now: dt.datetime | None = None) -> int:
    """Delete kept files nobody came back for within ``KEPT_HOURS`` (rows and stored bytes)."""
    from cityops.core.models import Attachment

    cutoff = (now or timezone.now()) - dt.timedelta(hours=KEPT_HOURS)
    removed = 0
    for attachment in Attachment.objects.filter(target_type=KEPT_TARGET, created_at__lt=cutoff):
        with transaction.atomic():
            if attachment.file:
                attachment.file.delete(save=False)
            attachment.delete()
        removed += 1
    if removed:
        audit.record(verb=AuditVerbs.KEPT_EXPIRED, organization=desk_organization(), data={"removed": removed})
    return removed
