"""Pages of the work calendar: weekly schedules, the printable and public weeks, the item form, import, feeds."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cityops.core.models import Organization, User
from cityops.core.permissions import staff_required
from cityops.schedule import ical, selectors, services
from cityops.schedule.choices import Session
from cityops.schedule.forms import EventForm, FeedForm, ImportForm, RoomForm, SecretaryForm
from cityops.schedule.models import Event, FeedToken

SESSIONS = [(Session.MORNING, Session.MORNING.label), (Session.AFTERNOON, Session.AFTERNOON.label),
            (Session.EVENING, Session.EVENING.label)]  # fmt: skip


def _week_table(events: list[Event], monday: date) -> list[dict[str, Any]]:
    """Days × sessions, as the schedules provinces publish are laid out."""
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        sessions = []
        for value, label in SESSIONS:
            items = [e for e in events if e.day == day and e.session == value]
            if items:
                sessions.append({"value": value, "label": label, "events": items})
        days.append({"date": day, "sessions": sessions})
    return days


def _form_errors(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _week_context(request: HttpRequest, *, leader: User | None = None) -> dict[str, Any]:
    monday = selectors.week_start(request.GET.get("week"))
    organizations = selectors.week_organizations(request.user).order_by("path")
    organization = None
    org_raw = request.GET.get("org")
    if org_raw and org_raw.isdigit():
        organization = organizations.filter(pk=int(org_raw)).first()
    if organization is None and leader is None:
        organization = organizations.order_by("depth", "path").first()
    events = list(selectors.event_list(actor=request.user, start_day=monday, organization=organization, leader=leader))
    iso = monday.isocalendar()
    return {
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "week_value": f"{iso.year}-W{iso.week:02d}",
        "previous_week": _iso(monday - timedelta(days=7)),
        "next_week": _iso(monday + timedelta(days=7)),
        "days": _week_table(events, monday),
        "summary": selectors.week_summary(events),
        "organization": organization,
        "organizations": organizations,
        "leader": leader,
        "leaders": selectors.leader_choices(request.user)[:200],
        "today": timezone.localdate(),
        "public": False,
    }


def _posted_id(request: HttpRequest) -> int:
    """The ``id`` field of a POST as a number; anything else becomes 0, which matches nothing (404)."""
    raw = request.POST.get("id", "")
    return int(raw) if raw.isdigit() and len(raw) < 19 else 0


def _iso(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


@staff_required
@require_GET
def week(request: HttpRequest) -> HttpResponse:
    """The weekly schedule of an organisation's leadership (by default the highest one the person works in)."""
    return render(request, "schedule/week.html", _week_context(request))


@staff_required
@require_GET
def leader_week(request: HttpRequest, pk: int) -> HttpResponse:
    """One leader's week: what they preside and what they are invited to."""
    leader = get_object_or_404(selectors.leader_choices(request.user), pk=pk)
    return render(request, "schedule/week.html", _week_context(request, leader=leader))


@staff_required
@require_GET
def print_week(request: HttpRequest) -> HttpResponse:
    """The same week in the standard table layout, for paper or "save as PDF"."""
    leader = None
    raw = request.GET.get("leader")
    if raw and raw.isdigit():
        leader = selectors.leader_choices(request.user).filter(pk=int(raw)).first()
    return render(request, "schedule/print.html", _week_context(request, leader=leader))


@require_GET
def public_week(request: HttpRequest, code: str) -> HttpResponse:
    """The published schedule an organisation posts on its portal: no sign-in, no drafts, no private items."""
    organization = get_object_or_404(Organization, code=code, is_active=True)
    monday = selectors.week_start(request.GET.get("week"))
    events = list(selectors.public_week(organization=organization, start_day=monday))
    context = {
        "organization": organization,
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "previous_week": _iso(monday - timedelta(days=7)),
        "next_week": _iso(monday + timedelta(days=7)),
        "days": _week_table(events, monday),
        "summary": selectors.week_summary(events),
        "public": True,
        "leader": None,
        "today": timezone.localdate(),
    }
    context["week_value"] = _iso(monday)
    return render(request, "schedule/print.html", context)


@require_GET
def public_week_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The published week as a PDF (landscape table by day and session, with the revision and last change)."""
    from cityops.schedule.pdf import week_pdf

    organization = get_object_or_404(Organization, code=code, is_active=True)
    monday = selectors.week_start(request.GET.get("week"))
    events = list(selectors.public_week(organization=organization, start_day=monday))
    body = week_pdf(
        title=_("Work calendar of the leadership"), organization=organization, monday=monday, events=events,
        summary=selectors.week_summary(events),
    )  # fmt: skip
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="schedule-{organization.code}-{_iso(monday)}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "public, max-age=300"
    return response


@staff_required
@require_GET
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_get(actor=request.user, pk=pk)
    return render(
        request, "schedule/event_detail.html",
        {"event": event, "can_edit": services.can_edit_event(request.user, event)},
    )  # fmt: skip


@staff_required
@require_http_methods(["GET", "POST"])
def event_create(request: HttpRequest) -> HttpResponse:
    form = EventForm(request.POST or None, actor=request.user, initial=_initial(request))
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.event_create(actor=request.user, **form.service_values())
        except PermissionDenied as exc:
            form.add_error("leader", str(exc) or _("You may not add items to this leader's schedule."))
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            if saved.occurrences > 1:
                messages.success(
                    request, _("%(count)d occurrences were saved as drafts.") % {"count": saved.occurrences}
                )
            else:
                messages.success(request, _("The item was saved as a draft."))
            for warning in saved.warnings:
                messages.warning(request, warning)
            return redirect("schedule:event", pk=saved.event.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "schedule/event_form.html", {"form": form, "event": None}, status=status)


def _initial(request: HttpRequest) -> dict[str, Any]:
    initial: dict[str, Any] = {"day": timezone.localdate(), "start_time": "08:00", "end_time": "10:00"}
    leader = request.GET.get("leader")
    if leader and leader.isdigit():
        initial["leader"] = int(leader)
    return initial


@staff_required
@require_http_methods(["GET", "POST"])
def event_edit(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_get(actor=request.user, pk=pk, action="change")
    local_start = timezone.localtime(event.start)
    initial = {
        "day": local_start.date(), "start_time": local_start.time(), "end_time": timezone.localtime(event.end).time(),
        "session": event.session, "content": event.content, "location": event.location, "room": event.room,
        "participants": list(event.participants.all()),
        "participating_agencies": list(event.participating_agencies.all()),
        "preparing_agency": event.preparing_agency, "accompanying_staff": event.accompanying_staff,
        "is_private": event.is_private,
    }  # fmt: skip
    form = EventForm(request.POST or None, actor=request.user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.event_update(actor=request.user, event=event, **form.service_values())
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The item was saved."))
            for warning in saved.warnings:
                messages.warning(request, warning)
            return redirect("schedule:event", pk=event.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "schedule/event_form.html", {"form": form, "event": event}, status=status)


@staff_required
@require_POST
def event_publish(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_get(actor=request.user, pk=pk, action="change")
    try:
        services.event_publish(actor=request.user, event=event, whole_series=request.POST.get("scope") == "series")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The item was published and the participants were invited."))
    return redirect("schedule:event", pk=event.pk)


@staff_required
@require_POST
def event_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_get(actor=request.user, pk=pk, action="change")
    try:
        services.event_cancel(actor=request.user, event=event, following=request.POST.get("scope") == "following")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The item was cancelled."))
    return redirect("schedule:event", pk=event.pk)


@staff_required
@require_http_methods(["GET", "POST"])
def import_ics(request: HttpRequest) -> HttpResponse:
    """Bring a leader's items from another calendar (an ``.ics`` file) in as drafts."""
    form = ImportForm(request.POST or None, request.FILES or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.events_import(
                actor=request.user, organization=form.cleaned_data["organization"],
                leader=form.cleaned_data["leader"], data=form.read_file(),
            )  # fmt: skip
        except PermissionDenied as exc:
            form.add_error("leader", str(exc))
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            messages.success(request, _("%(count)d items were imported as drafts.") % {"count": result.occurrences})
            for warning in result.warnings[:20]:
                messages.warning(request, warning)
            return redirect(f"{reverse('schedule:index')}?org={form.cleaned_data['organization'].pk}")
    status = 400 if request.method == "POST" else 200
    return render(request, "schedule/import.html", {"form": form}, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def feeds(request: HttpRequest) -> HttpResponse:
    """Create and revoke subscription addresses; a new address is shown once, on this answer only."""
    form = FeedForm(request.POST or None, actor=request.user)
    new_url = ""
    status = 200
    if request.method == "POST" and request.POST.get("action") == "revoke":
        token = get_object_or_404(selectors.feed_token_list(actor=request.user), pk=_posted_id(request))
        services.feed_token_revoke(actor=request.user, token=token)
        messages.success(request, _("The feed address no longer works."))
        return redirect("schedule:feeds")
    if request.method == "POST":
        if form.is_valid():
            try:
                _token, raw = services.feed_token_create(actor=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, getattr(exc, "messages", None) or str(exc))
                status = 400
            else:
                new_url = request.build_absolute_uri(reverse("schedule:feed", args=[raw]))
                form = FeedForm(actor=request.user)
        else:
            status = 400
    tokens = selectors.feed_token_list(actor=request.user)
    return render(request, "schedule/feeds.html", {"form": form, "tokens": tokens, "new_url": new_url}, status=status)


@require_GET
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """``/schedule/feeds/<token>.ics``: no sign-in, the token is the secret; unknown and revoked look alike."""
    found: FeedToken | None = selectors.feed_token_resolve(token)
    if found is None:
        raise Http404
    services.feed_token_touch(found)
    body = ical.feed_calendar(selectors.feed_events(found), name=str(found.target), show_private=found.kind == "person")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@staff_required
@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest) -> HttpResponse:
    """Meeting rooms and secretaries: agency heads and administrators; a leader names their own secretaries."""
    room_form = RoomForm(request.POST if request.POST.get("action") == "room" else None, actor=request.user)
    secretary_form = SecretaryForm(
        request.POST if request.POST.get("action") == "secretary" else None, actor=request.user
    )
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "room" and room_form.is_valid():
                services.room_create(actor=request.user, **room_form.cleaned_data)
                messages.success(request, _("The meeting room was added."))
                return redirect("schedule:manage")
            if action == "secretary" and secretary_form.is_valid():
                services.secretary_assign(actor=request.user, **secretary_form.cleaned_data)
                messages.success(request, _("The secretary was named."))
                return redirect("schedule:manage")
            if action == "remove_secretary":
                assignment = get_object_or_404(selectors.secretary_list(actor=request.user), pk=_posted_id(request))
                services.secretary_remove(actor=request.user, assignment=assignment)
                messages.success(request, _("The secretary no longer keeps this calendar."))
                return redirect("schedule:manage")
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("You do not have permission to do this."))
        except ValidationError as exc:
            _form_errors(room_form if action == "room" else secretary_form, exc)
        status = 400
    context = {
        "room_form": room_form,
        "secretary_form": secretary_form,
        "rooms": selectors.room_list(actor=request.user),
        "assignments": selectors.secretary_list(actor=request.user),
    }
    return render(request, "schedule/manage.html", context, status=status)
