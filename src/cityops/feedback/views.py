"""Citizen pages (report, track, rate, reopen: no sign-in needed) and the staff queue and request page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cityops.core import workdays
from cityops.core.downloads import download_response
from cityops.core.exports import csv_cell
from cityops.core.models import Organization
from cityops.core.permissions import NotFoundOrForbidden, require_staff
from cityops.core.services.attachments import attachment_record_download
from cityops.feedback import selectors, services
from cityops.feedback.choices import MERGEABLE_STATUSES, TRANSITIONS, PublicStatus, Status
from cityops.feedback.classify import suggest_category
from cityops.feedback.forms import RateForm, ReopenForm, ReportForm
from cityops.feedback.models import Request, jurisdiction_bbox
from cityops.feedback.permissions import request_policy
from cityops.feedback.services import MAX_PHOTOS

PAGE_SIZE = 25
EMERGENCY_NUMBERS = ("113", "114", "115")


def _map_context() -> dict[str, Any]:
    south, west, north, east = jurisdiction_bbox()
    return {
        "bbox": f"{south},{west},{north},{east}",
        "tile_url": settings.MAP_TILE_URL,
        "max_photos": MAX_PHOTOS,
        "video_max_size": filesizeformat(min(settings.FEEDBACK_VIDEO_MAX_BYTES, settings.ATTACHMENT_MAX_BYTES)),
        "video_max_seconds": settings.FEEDBACK_VIDEO_MAX_SECONDS,
        "emergency_numbers": EMERGENCY_NUMBERS,
    }


def _errors_to_form(form: Any, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    category = form.cleaned_data.get("category") if hasattr(form, "cleaned_data") else None
    labels = {f"attribute[{a['code']}]": a.get("description") or a["code"] for a in getattr(category, "attributes", [])}
    for field, errors in exc.message_dict.items():
        if field in labels:
            for message in errors:
                form.add_error(None, f"{labels[field]}: {message}")
            continue
        target = field if field in form.fields else None
        if field == "lat" and "lat" in form.fields:
            target = "lat"
        for message in errors:
            form.add_error(target, message if target or field == NON_FIELD_ERRORS else f"{field}: {message}")


def _public_filters(request: HttpRequest) -> dict[str, Any]:
    """The public list's filters from the query string, bounded and with unknown values ignored."""
    status = request.GET.get("status", "")[:20]
    return {
        "category": request.GET.get("category", "")[:64],
        "area": request.GET.get("area", "")[:12],
        "status": status if status in PublicStatus.values else "",
        "q": request.GET.get("q", "")[:200],
    }


def _public_qs(request: HttpRequest, selected: dict[str, Any]) -> Any:
    return selectors.public_request_list(
        category=selected["category"], area=_area(request), status=selected["status"], query=selected["q"]
    )


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    """The citizens' front door: report, track, and the reports the desk has let through (filtered, paged)."""
    selected = _public_filters(request)
    page = Paginator(_public_qs(request, selected), PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page.get_page(request.GET.get("page")),
        "categories": selectors.category_list(),
        "areas": selectors.public_areas(),
        "public_statuses": PublicStatus.choices,
        "selected": selected,
        "filter_query": query.urlencode(),
        **_map_context(),
    }
    return render(request, "feedback/index.html", context)


def _area(request: HttpRequest) -> Organization | None:
    raw = request.GET.get("area", "")
    return selectors.public_areas().filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 12 else None


@require_safe
def public_geojson(request: HttpRequest) -> HttpResponse:
    """Public reports with a location, as GeoJSON for the public map (public fields only), same filters as the list."""
    from django.http import JsonResponse

    qs = _public_qs(request, _public_filters(request))
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [float(str(r.long)), float(str(r.lat))]},
            "properties": {
                "category": r.category.name,
                "status": str(r.get_status_display()),
                "closed": timezone.localtime(r.closed_at).strftime("%d/%m/%Y") if r.closed_at else "",
                "description": r.description[:200],
                "answer": r.status_notes[:300] if r.status == Status.PUBLISHED else "",
            },
        }
        for r in qs.filter(lat__isnull=False)[:500]
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


def _field_name(category: Any, code: str) -> str:
    return f"attr-{category.pk}-{code}"


def _answers(request: HttpRequest, category: Any) -> dict[str, list[str]]:
    """The answers to the chosen category's extra questions, as the service expects them."""
    return {
        item["code"]: request.POST.getlist(_field_name(category, item["code"]))[:50]
        for item in category.attributes or []
    }


def _questions(request: HttpRequest) -> list[dict[str, Any]]:
    """Every category's extra questions, with what the citizen already answered (kept on errors)."""
    blocks = []
    for category in selectors.category_list().exclude(attributes=[]):
        items = []
        for item in sorted(category.attributes, key=lambda a: a.get("order") or 10_000):
            name = _field_name(category, item["code"])
            chosen = request.POST.getlist(name) if request.method == "POST" else []
            items.append({**item, "variable": item.get("variable", True), "name": name, "chosen": chosen})
        blocks.append({"category": category, "items": items})
    return blocks


@require_http_methods(["GET", "HEAD", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """The report form; on any error the citizen's text comes back in the form."""
    form = ReportForm(request.POST or None)
    status = 200
    kept: list[Any] = []
    if request.method == "POST":
        photos = request.FILES.getlist("photos")[:50] + request.FILES.getlist("video")[:5]
        kept = _kept_files(request)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    req = services.request_submit(
                        actor=request.user, category=data["category"], description=data["description"],
                        lat=data["lat"], long=data["long"], address=data["address"],
                        is_anonymous=data["is_anonymous"], area=data["area"],
                        contact_name=data["contact_name"], contact_email=data["contact_email"],
                        contact_phone=data["contact_phone"], photos=photos,
                        attributes=_answers(request, data["category"]),
                    )  # fmt: skip
                    services.kept_media_attach(actor=request.user, request=req, attachments=kept)
            except ValidationError as exc:
                _errors_to_form(form, exc)
            except services.SubmissionThrottled as exc:
                form.add_error(None, _("Too many reports from this connection. Please try again later."))
                context = {"form": form, "questions": _questions(request), **_kept_context(kept), **_map_context()}
                response = render(request, "feedback/report.html", context, status=429)
                response["Retry-After"] = str(exc.retry_after)
                return response
            else:
                messages.success(
                    request, _("Thank you. Keep your tracking code: %(code)s") % {"code": req.tracking_code}
                )
                return redirect("feedback:track", code=req.tracking_code)
        status = 400
        kept = _keep_files(request, form, photos, kept)
    context = {"form": form, "questions": _questions(request), **_kept_context(kept), **_map_context()}
    return render(request, "feedback/report.html", context, status=status)


KEPT_SALT = "cityops.feedback.kept"


def _kept_files(request: HttpRequest) -> list[Any]:
    """Files kept from an earlier refused attempt, named by a signed token in the form (an hour at most)."""
    token = request.POST.get("kept", "")
    if not token or len(token) > 1000:
        return []
    try:
        ids = signing.loads(token, salt=KEPT_SALT, max_age=3600)
    except signing.BadSignature:
        return []
    if not isinstance(ids, list):
        return []
    return list(selectors.kept_media([i for i in ids if isinstance(i, int)][: MAX_PHOTOS + 1]))


def _keep_files(request: HttpRequest, form: Any, photos: list[Any], kept: list[Any]) -> list[Any]:
    """After a refusal, keep the photos and video that pass the checks so the citizen need not choose them again."""
    if not photos:
        return kept
    try:
        return kept + services.kept_media_store(
            actor=request.user, files=photos, already=[a.content_type for a in kept]
        )
    except ValidationError as exc:
        shown = " ".join(str(e) for e in form.non_field_errors())
        for message in exc.messages:
            if message not in shown:
                form.add_error(None, message)
        return kept


def _kept_context(kept: list[Any]) -> dict[str, Any]:
    return {"kept": kept, "kept_token": signing.dumps([a.pk for a in kept], salt=KEPT_SALT) if kept else ""}


@require_safe
def track_lookup(request: HttpRequest) -> HttpResponse:
    code = request.GET.get("code", "").strip().upper()[:16]
    if not code:
        return redirect("feedback:index")
    return redirect("feedback:track", code=code)


def _by_code(code: str) -> Request:
    req = selectors.request_get_by_code(code)
    if req is None:
        raise Http404
    return req


def _track_page(request: HttpRequest, req: Request, *, status: int = 200, **forms: Any) -> HttpResponse:
    has_rating = hasattr(req, "rating")
    context = {
        "req": req,
        "history": selectors.request_history(req, include_internal=False),
        "files": selectors.request_attachments(req, public_only=True),
        "can_rate": req.status == Status.PUBLISHED and not has_rating,
        "can_reopen": req.status == Status.PUBLISHED and req.reopen_count < services.MAX_REOPENS,
        "rate_form": forms.get("rate_form") or RateForm(),
        "reopen_form": forms.get("reopen_form") or ReopenForm(),
        **_map_context(),
    }
    return render(request, "feedback/track.html", context, status=status)


@require_safe
def track(request: HttpRequest, code: str) -> HttpResponse:
    """Public progress of one request, for whoever holds its tracking code; a merged one leads to the original."""
    req = _by_code(code)
    if req.status == Status.MERGED and req.duplicate_of is not None:
        messages.info(
            request,
            _("Your request %(code)s was merged into %(original)s, a report of the same problem; follow it here.")
            % {"code": req.tracking_code, "original": req.duplicate_of.tracking_code},
        )
        return redirect("feedback:track", code=req.duplicate_of.tracking_code)
    return _track_page(request, req)


@require_POST
def track_rate(request: HttpRequest, code: str) -> HttpResponse:
    req = _by_code(code)
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            services.request_rate(
                actor=request.user, request=req, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Thank you for rating the answer."))
            return redirect("feedback:track", code=req.tracking_code)
    return _track_page(request, req, status=400, rate_form=form)


@require_POST
def track_reopen(request: HttpRequest, code: str) -> HttpResponse:
    req = _by_code(code)
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.request_reopen(actor=request.user, request=req, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _errors_to_form(form, exc)
        else:
            messages.success(request, _("Your request has been reopened."))
            return redirect("feedback:track", code=req.tracking_code)
    return _track_page(request, req, status=400, reopen_form=form)


# --- Staff ---------------------------------------------------------------------------------------------


def deadline_state(req: Request) -> dict[str, Any]:
    """Countdown in working days (hours on the last day); overdue when the deadline has passed."""
    if req.deadline is None or not req.is_open:
        return {"overdue": False, "label": ""}
    now = timezone.now()
    if req.deadline < now:
        return {"overdue": True, "label": _("Overdue")}
    days = workdays.working_days_between(now, req.deadline)
    if days <= 0:
        hours = max(0, int((req.deadline - now).total_seconds() // 3600))
        return {"overdue": False, "label": _("Due today (%(h)d h)") % {"h": hours}}
    return {"overdue": False, "label": _("%(n)d working day(s) left") % {"n": days}}


@login_required
@require_safe
def staff_queue(request: HttpRequest) -> HttpResponse:
    """The queue of the person's desk or agency, earliest deadline first, overdue highlighted."""
    filters = {"status": request.GET.get("status", "open")[:20], "category": request.GET.get("category", "")[:64]}
    page = Paginator(selectors.request_list(actor=request.user, filters=filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [(req, deadline_state(req)) for req in page]
    context = {"page": page, "rows": rows, "filters": filters, "statuses": Status.choices}
    return render(request, "feedback/staff_queue.html", context)


def _actions_for(user: Any, req: Request) -> list[str]:
    allowed = TRANSITIONS.get(req.status, frozenset())
    desk = request_policy.can(user, "desk", req)
    handle = request_policy.can(user, "handle", req)
    actions = []
    if desk:
        if Status.VERIFIED in allowed:
            actions.append("verify")
        if Status.REJECTED in allowed:
            actions.append("reject")
        if Status.DUPLICATE in allowed:
            actions.append("duplicate")
        if req.status in MERGEABLE_STATUSES:
            actions.append("merge")
        if req.status == Status.MERGED:
            actions.append("unmerge")
        if Status.ASSIGNED in allowed:
            actions.append("assign")
        if req.status == Status.RESOLVED:
            actions += ["publish", "send_back"]
        if req.extension_until is not None:
            actions += ["approve_extension", "refuse_extension"]
    if handle:
        if Status.ACCEPTED in allowed:
            actions += ["accept", "return"]
        if req.status in {Status.ACCEPTED, Status.IN_PROGRESS}:
            actions += ["progress", "resolve", "extend"]
    return actions


def _staff_page(request: HttpRequest, req: Request, *, status: int = 200, error: str = "") -> HttpResponse:
    desk = request_policy.can(request.user, "desk", req)
    context = {
        "req": req,
        "deadline": deadline_state(req),
        "history": selectors.request_history(req, include_internal=True),
        "files": selectors.request_attachments(req, public_only=False),
        "actions": _actions_for(request.user, req),
        "show_reporter": desk or not req.is_anonymous,
        "agencies": selectors.assignable_agencies(actor=request.user) if desk else [],
        "suggested": selectors.routing_suggestion(req) if desk else None,
        "can_classify": desk and req.status in {Status.SUBMITTED, Status.VERIFIED, Status.RETURNED, Status.REOPENED},
        "categories": selectors.category_list(),
        "suggested_category": suggest_category(req.description) if desk and req.status == Status.SUBMITTED else None,
        "candidates": (
            selectors.duplicate_candidates(
                category=req.category,
                lat=req.lat,
                long=req.long,
                text=req.description,
                include_unverified=True,
                exclude_pk=req.pk,
            )  # fmt: skip
            if desk and req.status in {Status.SUBMITTED, Status.VERIFIED} and req.lat is not None
            else []
        ),
        "can_note": request_policy.can(request.user, "change", req),
        "followers": selectors.request_followers(req) if desk else [],
        "followers_count": req.followers.count(),
        "merged_in": selectors.request_merges(req) if desk else [],
        "templates": selectors.response_templates(req),
        "tasks": selectors.request_tasks(actor=request.user, request=req),
        "error": error,
        **_escalation_context(request.user, req),
    }
    return render(request, "feedback/staff_detail.html", context, status=status)


def _escalation_context(user: Any, req: Request) -> dict[str, Any]:
    """The "escalate to a task" form: shown to whoever may give tasks under the directives' rules."""
    from cityops.directives.permissions import directable_organizations

    agencies = list(directable_organizations(user).order_by("path")) if req.is_open else []
    return {
        "escalation_agencies": agencies,
        "escalation_deadline": services.escalation_default_deadline() if agencies else None,
    }


def _parse_date(value: str) -> Any:
    import datetime as dt

    value = (value or "").strip()[:10]
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({"deadline": _("Enter a valid date.")}) from None


@login_required
@require_safe
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _staff_page(request, selectors.request_get(actor=request.user, pk=pk))


def _parse_local(value: str) -> Any:
    """A ``datetime-local`` input (local time) as an aware datetime, or None."""
    import datetime as dt

    try:
        parsed = dt.datetime.fromisoformat(value.strip()[:32])
    except ValueError:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


@login_required
@require_POST
def staff_act(request: HttpRequest, pk: int) -> HttpResponse:
    """One workflow action from the request page; the service checks role and state."""
    req = selectors.request_get(actor=request.user, pk=pk)
    post = request.POST
    action = post.get("action", "")
    text = post.get("text", "")
    photos = request.FILES.getlist("photos")
    user = request.user
    try:
        if action == "verify":
            services.request_verify(actor=user, request=req, note=text)
        elif action == "reject":
            services.request_reject(actor=user, request=req, reason=text)
        elif action == "duplicate":
            original = selectors.request_get_by_code(post.get("original", ""))
            if original is None:
                raise ValidationError({"original": _("Enter the tracking code of the original request.")})
            services.request_mark_duplicate(actor=user, request=req, original=original, note=text)
        elif action == "merge":
            original = selectors.request_get_for_merge(actor=user, code=post.get("original", ""))
            services.request_merge(actor=user, request=req, original=original, note=text)
        elif action == "unmerge":
            services.request_merge_undo(actor=user, request=req, note=text)
        elif action == "assign":
            agency = (
                Organization.objects.filter(pk=post.get("agency") or 0).first()
                if post.get("agency", "").isdigit()
                else None
            )
            ids = [int(v) for v in post.getlist("supporting")[:20] if v.isdigit() and len(v) < 12]
            helpers = list(Organization.objects.filter(pk__in=ids))
            services.request_assign(
                actor=user, request=req, agency=agency, note=text, supporting=helpers  # type: ignore[arg-type]
            )  # fmt: skip
        elif action == "accept":
            services.request_accept(actor=user, request=req, note=text)
        elif action == "return":
            services.request_return(actor=user, request=req, reason=text)
        elif action == "progress":
            services.request_progress(
                actor=user, request=req, note=text, is_public=post.get("public") == "1", photos=photos
            )
        elif action == "resolve":
            services.request_resolve(actor=user, request=req, answer=text, photos=photos)
        elif action == "send_back":
            services.request_send_back(actor=user, request=req, reason=text)
        elif action == "publish":
            services.request_publish(actor=user, request=req, note=text)
        elif action == "extend":
            services.request_extension_ask(
                actor=user, request=req, until=_parse_local(post.get("until", "")), reason=text
            )
        elif action in {"approve_extension", "refuse_extension"}:
            services.request_extension_decide(actor=user, request=req, approve=action == "approve_extension", note=text)
        elif action == "classify":
            category = (
                selectors.category_list().filter(pk=int(post["category"])).first()
                if post.get("category", "").isdigit()
                else None
            )
            services.request_classify(actor=user, request=req, category=category)  # type: ignore[arg-type]
        elif action == "note":
            services.request_note(actor=user, request=req, text=text, is_public=post.get("public") == "1")
        elif action == "escalate":
            lead = post.get("lead_agency", "")
            agency = Organization.objects.filter(pk=int(lead)).first() if lead.isdigit() and len(lead) < 12 else None
            if lead and agency is None:
                raise ValidationError({"lead_agency": _("Choose an active lead agency.")})
            task = services.request_escalate_to_task(
                actor=user, request=req, deadline=_parse_date(post.get("deadline", "")), note=text,
                lead_agency=agency,
            )  # fmt: skip
            messages.success(request, _("Escalated to task #%(id)s.") % {"id": task.pk})
            return redirect(reverse("feedback:staff_detail", args=[req.pk]))
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as exc:
        return _staff_page(request, req, status=400, error=" ".join(exc.messages))
    except PermissionDenied as exc:
        return _staff_page(request, req, status=403, error=str(exc))
    messages.success(request, _("Saved."))
    return redirect(reverse("feedback:staff_detail", args=[req.pk]))


@login_required
@require_safe
def staff_file(request: HttpRequest, pk: int, file_id: int) -> HttpResponseBase:
    """A photo of a request the person may see (agency staff reach the desk's files through the request)."""
    req = selectors.request_get(actor=request.user, pk=pk)
    attachment = selectors.request_attachments(req, public_only=False).filter(pk=file_id).first()
    if attachment is None or not attachment.file:
        raise NotFoundOrForbidden
    response = download_response(attachment)
    attachment_record_download(actor=request.user, attachment=attachment)
    return response


# --- Duplicates, statistics and exports ------------------------------------------------------------------


@require_safe
def duplicates(request: HttpRequest) -> HttpResponse:
    """Similar open reports near the pin, while the citizen is still typing (an HTML fragment)."""
    raw = request.GET.get("category", "")
    category = selectors.category_list().filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 12 else None
    candidates: list[Request] = []
    if category is not None:
        candidates = selectors.duplicate_candidates(
            category=category, lat=request.GET.get("lat", "")[:32], long=request.GET.get("long", "")[:32],
            text=request.GET.get("q", "")[:1000],
        )  # fmt: skip
    return render(request, "feedback/_duplicates.html", {"candidates": candidates})


def _staff_only(user: Any) -> None:
    require_staff(user)


@login_required
@require_safe
def staff_stats(request: HttpRequest) -> HttpResponse:
    """Figures over the requests the person may see: status, category, agency, on time, satisfaction."""
    _staff_only(request.user)
    return render(request, "feedback/staff_stats.html", {"stats": selectors.statistics_cached(actor=request.user)})


@login_required
@require_safe
def staff_export(request: HttpRequest, fmt: str) -> HttpResponseBase:
    """CSV or XLSX of the requests the person may see; audited."""
    import csv
    import io

    from django.http import StreamingHttpResponse

    from cityops.feedback.services import export_audit

    if fmt not in {"csv", "xlsx"}:
        raise Http404
    _staff_only(request.user)
    rows = selectors.export_rows(actor=request.user)
    export_audit(actor=request.user, fmt=fmt)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":

        class Echo:
            def write(self, value: str) -> str:
                return value

        writer = csv.writer(Echo())
        stream = (writer.writerow([csv_cell(c) for c in row]) for row in rows)
        response: HttpResponseBase = StreamingHttpResponse(_with_bom(stream), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="feedback-{stamp}.csv"'
        return response
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("feedback")
    for row in rows:
        sheet.append([csv_cell(c) for c in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="feedback-{stamp}.xlsx"'
    return response


def _with_bom(stream: Any) -> Any:
    """Excel opens UTF-8 CSV correctly only with a byte-order mark."""
    yield "\ufeff"
    yield from stream


@require_POST
def join(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Me too" on a suggested report; once per report per browser session."""
    req = selectors.joinable_request_get(pk)
    joined = [int(v) for v in request.session.get("feedback_joined", []) if isinstance(v, int)][-200:]
    if req.pk in joined:
        messages.info(request, _("You have already joined this report."))
        return redirect("feedback:index")
    email = request.POST.get("contact_email", "")[:254] if request.POST.get("follow") == "1" else ""
    try:
        services.request_join(actor=request.user, request=req, email=email)
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "email" in exc.error_dict:
            messages.error(request, " ".join(exc.message_dict["email"]))
        else:
            messages.error(request, _("This report can no longer be joined."))
        return redirect("feedback:index")
    request.session["feedback_joined"] = [*joined, req.pk]
    if request.user.is_authenticated or email:
        messages.success(
            request, _("Thank you: your voice was added to the existing report; you will hear about its progress.")
        )
    else:
        messages.success(request, _("Thank you: your voice was added to the existing report."))
    return redirect("feedback:index")


@require_http_methods(["GET", "HEAD", "POST"])
def unfollow(request: HttpRequest, token: str) -> HttpResponse:
    """The "stop following" link of a follower's emails: GET asks, POST removes (mail scanners only GET)."""
    follower = services.follower_from_token(token)
    if follower is None:
        raise Http404
    if request.method == "POST":
        services.follower_remove(actor=request.user, follower=follower)
        messages.success(request, _("You will receive no more emails about this report."))
        return redirect("feedback:index")
    return render(request, "feedback/unfollow.html", {"category": follower.request.category})
