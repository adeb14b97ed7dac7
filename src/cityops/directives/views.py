"""Pages of the directives component: thin — parse, call a selector or a service, render."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cityops.core.exports import spreadsheet_cell
from cityops.core.models import Organization
from cityops.core.permissions import require_staff, user_has_role
from cityops.directives import selectors, services
from cityops.directives.choices import DeadlineState, TaskStatus
from cityops.directives.forms import (
    MAX_TASK_ROWS,
    CompletionForm,
    DecisionForm,
    DirectiveForm,
    ExtensionForm,
    PeriodForm,
    ProgressForm,
    ReasonForm,
    task_formset_class,
)
from cityops.directives.models import ExtensionRequest, Task
from cityops.directives.permissions import DIRECTING_ROLES, can_direct_task, can_work_task

PAGE_SIZE = 30


def _staff_only(request: HttpRequest) -> None:
    require_staff(request.user)


def _can_issue(user: Any) -> bool:
    return user_has_role(user, DIRECTING_ROLES)


@login_required
@require_http_methods(["GET", "HEAD"])
def index(request: HttpRequest) -> HttpResponse:
    """Directives the person may see, with the counts of their tasks by deadline state."""
    _staff_only(request)
    page = Paginator(selectors.directive_list(actor=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.deadline_counts(selectors.task_list(actor=request.user))
    return render(
        request,
        "directives/index.html",
        {"page": page, "counts": counts, "states": DeadlineState, "can_issue": _can_issue(request.user)},
    )


def _apply_service_errors(exc: ValidationError, form: Any, task_forms: list[Any]) -> None:
    """Put the service's errors on the form fields they concern (``tasks.<n>.<field>`` for task rows)."""
    for key, errors in exc.message_dict.items():
        if key.startswith("tasks.") and key.count(".") == 2:
            _prefix, index, field = key.split(".")
            target = task_forms[int(index)] if int(index) < len(task_forms) else None
            if target is not None:
                target.add_error(field if field in target.fields else None, errors)
                continue
        form.add_error(key if key in form.fields else None, errors)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def directive_create(request: HttpRequest) -> HttpResponse:
    """Issue a directive with tasks for several agencies in one form."""
    if not _can_issue(request.user):
        raise PermissionDenied
    form = DirectiveForm(request.POST or None, user=request.user)
    rows = _int_or_none(request.GET.get("rows")) or 3
    formset_class = task_formset_class(rows)
    formset = formset_class(request.POST or None, prefix="tasks", form_kwargs={"user": request.user})
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        filled = [f for f in formset.forms if f.has_changed() and f.cleaned_data]
        specs = [
            services.TaskSpec(
                title=f.cleaned_data["title"],
                lead_agency=f.cleaned_data["lead_agency"],
                supporting_agencies=list(f.cleaned_data["supporting_agencies"]),
                deadline=f.cleaned_data["deadline"],
                priority=f.cleaned_data["priority"],
                expected_result=f.cleaned_data["expected_result"],
            )  # fmt: skip
            for f in filled
        ]
        try:
            directive = services.directive_issue(
                actor=request.user, organization=form.cleaned_data["organization"], title=form.cleaned_data["title"],
                content=form.cleaned_data["content"], source_kind=form.cleaned_data["source_kind"],
                domain=form.cleaned_data["domain"], tasks=specs,
            )  # fmt: skip
        except ValidationError as exc:
            _apply_service_errors(exc, form, filled)
        else:
            messages.success(request, _("The directive was issued."))
            return redirect("directives:directive", pk=directive.pk)
    more = min(MAX_TASK_ROWS, max(1, min(rows, MAX_TASK_ROWS)) + 3)
    context = {"form": form, "formset": formset, "more_rows": more if more > rows else None}
    return render(request, "directives/directive_form.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
def directive_detail(request: HttpRequest, pk: int) -> HttpResponse:
    directive = selectors.directive_get(actor=request.user, pk=pk)
    tasks = selectors.task_list(actor=request.user, directive=directive.pk)
    return render(
        request,
        "directives/directive_detail.html",
        {"directive": directive, "tasks": tasks, "source": selectors.source_link(directive, actor=request.user)},
    )


def _visible_agencies(user: Any) -> Any:
    ids = selectors.task_list(actor=user).values("organization_id")
    return Organization.objects.filter(pk__in=ids).order_by("path")


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
@require_http_methods(["GET", "HEAD"])
def task_board(request: HttpRequest) -> HttpResponse:
    """The tasks of an agency (or all the person may see), with their computed deadline states."""
    _staff_only(request)
    agency = _int_or_none(request.GET.get("agency"))
    state = request.GET.get("state") or ""
    status = request.GET.get("status") or ""
    query = (request.GET.get("q") or "")[:200]
    tasks = selectors.task_list(
        actor=request.user, agency=agency, q=query,
        deadline_state=state if state in DeadlineState.values else None,
        status=status if status in TaskStatus.values else None,
    )  # fmt: skip
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    kept = {"agency": agency or "", "state": state, "status": status, "q": query}
    context = {
        "query_prefix": urlencode({k: v for k, v in kept.items() if v}) + "&",
        "page": page, "agencies": _visible_agencies(request.user), "agency": agency, "state": state,
        "status": status, "q": query, "states": DeadlineState.choices, "statuses": TaskStatus.choices,
        "counts": selectors.deadline_counts(selectors.task_list(actor=request.user, agency=agency)),
    }  # fmt: skip
    return render(request, "directives/board.html", context)


def _task_context(request: HttpRequest, task: Task, **forms: Any) -> dict[str, Any]:
    reports = list(selectors.task_progress_reports(task=task))
    files = selectors.report_attachments(actor=request.user, reports=reports)
    for report in reports:
        report.attached = files.get(report.pk, [])  # type: ignore[attr-defined]
    can_work = can_work_task(request.user, task)
    can_direct = can_direct_task(request.user, task)
    context: dict[str, Any] = {
        "task": task,
        "reports": reports,
        "extensions": list(selectors.task_extensions(task=task)),
        "can_work": can_work and task.is_open,
        "can_direct": can_direct and task.is_open,
        "supporting": task.supporting_agencies.order_by("path"),
        "overdue_days": _overdue_days(task),
        "source": selectors.source_link(task.directive, actor=request.user),
        "progress_form": ProgressForm(initial={"percentage": task.progress}, prefix="progress"),
        "completion_form": CompletionForm(prefix="complete"),
        "extension_form": ExtensionForm(prefix="extension"),
        "reason_form": ReasonForm(prefix="send_back"),
        "cancel_form": ReasonForm(prefix="cancel"),
        "decision_form": DecisionForm(),
    }
    context.update(forms)
    return context


def _overdue_days(task: Task) -> int:
    from cityops.directives.deadlines import overdue_working_days

    return overdue_working_days(task.deadline) if task.is_open else 0


@login_required
@require_http_methods(["GET", "HEAD"])
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = selectors.task_get(actor=request.user, pk=pk)
    return render(request, "directives/task_detail.html", _task_context(request, task))


ACTIONS = {"accept", "progress", "complete", "extension", "decide", "confirm", "send_back", "cancel"}


@login_required
@require_POST
def task_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One button or form of the task page; errors come back on the same page, nothing half-done."""
    if action not in ACTIONS:
        raise Http404
    task = selectors.task_get(actor=request.user, pk=pk)
    form: Any = None
    form_name = ""
    try:
        if action == "accept":
            services.task_accept(actor=request.user, task=task)
        elif action == "confirm":
            services.task_confirm(actor=request.user, task=task)
        elif action == "progress":
            form, form_name = ProgressForm(request.POST, prefix="progress"), "progress_form"
            if form.is_valid():
                services.task_report_progress(
                    actor=request.user, task=task, percentage=form.cleaned_data["percentage"],
                    text=form.cleaned_data["text"], files=request.FILES.getlist("files"),
                )  # fmt: skip
        elif action == "complete":
            form, form_name = CompletionForm(request.POST, prefix="complete"), "completion_form"
            if form.is_valid():
                services.task_report_completion(
                    actor=request.user, task=task, text=form.cleaned_data["text"],
                    files=request.FILES.getlist("files"),
                )  # fmt: skip
        elif action == "extension":
            form, form_name = ExtensionForm(request.POST, prefix="extension"), "extension_form"
            if form.is_valid():
                services.task_request_extension(
                    actor=request.user, task=task, requested_deadline=form.cleaned_data["requested_deadline"],
                    reason=form.cleaned_data["reason"],
                )  # fmt: skip
        elif action == "decide":
            form, form_name = DecisionForm(request.POST), "decision_form"
            if form.is_valid():
                extension = ExtensionRequest.objects.filter(task=task, pk=form.cleaned_data["extension"]).first()
                if extension is None:
                    raise Http404
                services.task_decide_extension(
                    actor=request.user, extension=extension, approve=form.cleaned_data["decision"] == "approve",
                    note=form.cleaned_data["note"],
                )  # fmt: skip
        elif action in ("send_back", "cancel"):
            form = ReasonForm(request.POST, prefix=action)
            form_name = "reason_form" if action == "send_back" else "cancel_form"
            if form.is_valid():
                service = services.task_send_back if action == "send_back" else services.task_cancel
                service(actor=request.user, task=task, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        if form is None:
            messages.error(request, " ".join(exc.messages))
            return redirect("directives:task", pk=task.pk)
        for key, errors in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    if form is not None and form.errors:
        task = selectors.task_get(actor=request.user, pk=pk)
        return render(
            request, "directives/task_detail.html", _task_context(request, task, **{form_name: form}), status=400
        )
    messages.success(request, _("Saved."))
    return redirect("directives:task", pk=task.pk)


@login_required
@require_http_methods(["GET", "HEAD"])
def statistics(request: HttpRequest) -> HttpResponse:
    """The official counts by agency and by assigning leader; ``?format=xlsx`` and ``?format=pdf`` download them."""
    _staff_only(request)
    form = PeriodForm(request.GET or None)
    start = end = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    by_agency = selectors.statistics_by_agency(actor=request.user, start=start, end=end)
    by_leader = selectors.statistics_by_assigner(actor=request.user, start=start, end=end)
    if request.GET.get("format") == "xlsx":
        return _xlsx(by_agency, by_leader)
    if request.GET.get("format") == "pdf":
        return _pdf(by_agency, by_leader, start, end)
    if request.GET.get("format") == "print":
        context = {"by_agency": by_agency, "by_leader": by_leader, "start": start, "end": end, "now": timezone.now()}
        return render(request, "directives/statistics_print.html", context)
    return render(request, "directives/statistics.html", {"form": form, "by_agency": by_agency, "by_leader": by_leader})


def _pdf(
    by_agency: list[selectors.StatsRow], by_leader: list[selectors.StatsRow], start: Any, end: Any
) -> HttpResponse:
    """A printable report (A4 landscape) of the same counts, made on the server with the Vietnamese font."""
    from cityops.core.pdf import PdfReport

    if start or end:
        period = _("Tasks assigned from %(start)s to %(end)s") % {
            "start": start.strftime("%d/%m/%Y") if start else "…", "end": end.strftime("%d/%m/%Y") if end else "…",
        }  # fmt: skip
    else:
        period = _("All tasks assigned")
    report = PdfReport(title=_("Report on the implementation of assigned tasks"), subtitle=period, landscape=True)
    report.paragraph(
        _("Counted as in the official reports: tasks due and completed (on time or late) and tasks not completed "
          "(within the deadline or overdue). Cancelled tasks are not counted; deadlines are in working days.")
    )  # fmt: skip
    headers = [
        _("Rank"), _("Name"), _("Total"), _("Done on time"), _("Done late"), _("Not done, within deadline"),
        _("Not done, overdue"), _("No deadline"), _("Done on time (%)"),
    ]  # fmt: skip
    widths = (14, 75, 18, 22, 22, 30, 28, 22, 26)
    for title, rows in [(_("By agency"), by_agency), (_("By leader who assigned"), by_leader)]:
        report.heading(title)
        body = [
            [rank, row.label, row.total, row.done_on_time, row.done_late, row.open_in_time, row.overdue,
             row.no_deadline, "" if row.on_time_rate is None else f"{row.on_time_rate:.1f}"]
            for rank, row in enumerate(rows, start=1)
        ]  # fmt: skip
        if rows:
            total = [sum(getattr(r, name) for r in rows) for name in
                     ("total", "done_on_time", "done_late", "open_in_time", "overdue", "no_deadline")]  # fmt: skip
            body.append(["", _("Total"), *total, ""])
        report.table(headers, body, widths=widths, empty_text=_("No tasks in this period."))
    response = HttpResponse(report.output(), content_type="application/pdf")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="directives-statistics-{stamp}.pdf"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _xlsx(by_agency: list[selectors.StatsRow], by_leader: list[selectors.StatsRow]) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook()
    headers = [
        _("Rank"), _("Name"), _("Total"), _("Done on time"), _("Done late"), _("Not done, within deadline"),
        _("Not done, overdue"), _("No deadline"), _("Done on time (%)"),
    ]  # fmt: skip
    for index, (title, rows) in enumerate([(_("By agency"), by_agency), (_("By leader"), by_leader)]):
        sheet = book.active if index == 0 else book.create_sheet()
        assert sheet is not None
        sheet.title = title[:31]
        sheet.append([str(h) for h in headers])
        for rank, row in enumerate(rows, start=1):
            sheet.append(
                [
                    rank,
                    spreadsheet_cell(row.label),
                    row.total,
                    row.done_on_time,
                    row.done_late,
                    row.open_in_time,
                    row.overdue,
                    row.no_deadline,
                    row.on_time_rate,
                ]  # fmt: skip
            )
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="directives-statistics-{stamp}.xlsx"'
    return response


__all__ = ["directive_create", "directive_detail", "index", "statistics", "task_action", "task_board", "task_detail"]
