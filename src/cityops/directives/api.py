"""The directives API router, mounted under /api/v1/directives by ``cityops.api``.

``GET /tasks`` and ``GET /tasks/{id}`` read through the same selectors as the pages (so an agency sees only
what its list would show, with the computed ``deadline_state``). The work on a task (accept, progress,
extension requests, completion) and its direction (confirm, send back, decide an extension, cancel) go through
the same services as the pages, so the same rules apply: a task the caller may not see is 404, an action the
caller may not take on a task they see is 403, a refused change is 400 and nothing is written.
``GET /statistics`` gives the official counts by agency and by assigning leader.
"""

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from cityops.core.api.base import PageNumberPagination, error_responses
from cityops.directives import selectors, services
from cityops.directives.choices import DeadlineState, TaskStatus
from cityops.directives.models import Task

router = Router(tags=["directives"])


class AgencyOut(Schema):
    id: int
    name: str


class TaskOut(Schema):
    id: int
    title: str
    directive_id: int
    directive_title: str
    lead_agency: AgencyOut
    assigner: str
    assigned_at: dt.datetime
    deadline: dt.datetime | None
    original_deadline: dt.datetime | None
    priority: str
    status: str
    deadline_state: str = Field(..., description="Computed: " + ", ".join(DeadlineState.values))
    progress: int
    completed_at: dt.datetime | None
    source_type: str
    source_id: str

    @staticmethod
    def resolve_directive_title(obj: Task) -> str:
        return obj.directive.title

    @staticmethod
    def resolve_lead_agency(obj: Task) -> dict:
        return {"id": obj.organization_id, "name": obj.organization.name}

    @staticmethod
    def resolve_assigner(obj: Task) -> str:
        return str(obj.assigner)

    @staticmethod
    def resolve_deadline_state(obj: Task) -> str:
        return obj.current_deadline_state().value

    @staticmethod
    def resolve_source_type(obj: Task) -> str:
        return obj.directive.source_type

    @staticmethod
    def resolve_source_id(obj: Task) -> str:
        return obj.directive.source_id


class TaskFilters(Schema):
    agency: int | None = Field(None, description="Lead agency id.")
    status: TaskStatus | None = None
    deadline_state: DeadlineState | None = None
    q: str = Field("", max_length=200)


class ProgressIn(Schema):
    percentage: int = Field(..., ge=0, le=100)
    text: str = Field(..., min_length=1, max_length=20_000)


class ProgressOut(Schema):
    id: int
    task_id: int
    percentage: int
    text: str
    created_at: dt.datetime


@router.get("/tasks", response=list[TaskOut], summary="Tasks the caller may see")
@paginate(PageNumberPagination)
def list_tasks(request: HttpRequest, filters: Query[TaskFilters]) -> list[Task]:
    tasks = selectors.task_list(
        actor=request.user, agency=filters.agency, q=filters.q,
        status=filters.status.value if filters.status else None,
        deadline_state=filters.deadline_state.value if filters.deadline_state else None,
    )  # fmt: skip
    return tasks  # type: ignore[return-value]


@router.get("/tasks/{task_id}", response={200: TaskOut, **error_responses(404)}, summary="One task")
def get_task(request: HttpRequest, task_id: int) -> Task:
    return selectors.task_get(actor=request.user, pk=task_id)


@router.post(
    "/tasks/{task_id}/progress",
    response={201: ProgressOut, **error_responses(400, 403, 404)},
    summary="Report progress on a task (lead agency staff)",
)
def report_progress(request: HttpRequest, task_id: int, payload: ProgressIn) -> Status[ProgressOut]:
    task = selectors.task_get(actor=request.user, pk=task_id)
    report = services.task_report_progress(
        actor=request.user, task=task, percentage=payload.percentage, text=payload.text
    )
    out = ProgressOut(
        id=report.pk, task_id=task.pk, percentage=report.percentage, text=report.text, created_at=report.created_at
    )
    return Status(201, out)


class ReasonIn(Schema):
    reason: str = Field(..., min_length=1, max_length=20_000)


class CompletionIn(Schema):
    text: str = Field(..., min_length=1, max_length=20_000)


class ExtensionIn(Schema):
    requested_deadline: dt.date
    reason: str = Field(..., min_length=1, max_length=20_000)


class DecisionIn(Schema):
    approve: bool
    note: str = Field("", max_length=20_000)


class ExtensionOut(Schema):
    id: int
    task_id: int
    previous_deadline: dt.datetime | None
    requested_deadline: dt.datetime
    reason: str
    decision: str
    decision_note: str
    decided_at: dt.datetime | None


def _fresh(request: HttpRequest, task_id: int) -> Task:
    return selectors.task_get(actor=request.user, pk=task_id)


_ACTION = {200: TaskOut, **error_responses(400, 401, 403, 404)}


@router.post("/tasks/{task_id}/accept", response=_ACTION, summary="Accept a task (lead agency staff)")
def accept_task(request: HttpRequest, task_id: int) -> Task:
    services.task_accept(actor=request.user, task=_fresh(request, task_id))
    return _fresh(request, task_id)


@router.post("/tasks/{task_id}/completion", response=_ACTION, summary="Report a task done (lead agency staff)")
def report_completion(request: HttpRequest, task_id: int, payload: CompletionIn) -> Task:
    services.task_report_completion(actor=request.user, task=_fresh(request, task_id), text=payload.text)
    return _fresh(request, task_id)


@router.post("/tasks/{task_id}/confirm", response=_ACTION, summary="Confirm a reported completion (assigner)")
def confirm_task(request: HttpRequest, task_id: int) -> Task:
    services.task_confirm(actor=request.user, task=_fresh(request, task_id))
    return _fresh(request, task_id)


@router.post("/tasks/{task_id}/send-back", response=_ACTION, summary="Send a reported completion back (assigner)")
def send_back_task(request: HttpRequest, task_id: int, payload: ReasonIn) -> Task:
    services.task_send_back(actor=request.user, task=_fresh(request, task_id), reason=payload.reason)
    return _fresh(request, task_id)


@router.post("/tasks/{task_id}/cancel", response=_ACTION, summary="Cancel a task (assigner)")
def cancel_task(request: HttpRequest, task_id: int, payload: ReasonIn) -> Task:
    services.task_cancel(actor=request.user, task=_fresh(request, task_id), reason=payload.reason)
    return _fresh(request, task_id)


@router.post(
    "/tasks/{task_id}/extensions",
    response={201: ExtensionOut, **error_responses(400, 401, 403, 404)},
    summary="Ask for a later deadline (lead agency staff)",
)
def request_extension(request: HttpRequest, task_id: int, payload: ExtensionIn) -> Status[object]:
    extension = services.task_request_extension(
        actor=request.user, task=_fresh(request, task_id), requested_deadline=payload.requested_deadline,
        reason=payload.reason,
    )  # fmt: skip
    return Status(201, extension)


@router.post(
    "/tasks/{task_id}/extensions/{extension_id}/decision",
    response={200: ExtensionOut, **error_responses(400, 401, 403, 404)},
    summary="Approve or refuse a request for more time (assigner)",
)
def decide_extension(request: HttpRequest, task_id: int, extension_id: int, payload: DecisionIn) -> object:
    from django.shortcuts import get_object_or_404

    task = _fresh(request, task_id)
    extension = get_object_or_404(selectors.task_extensions(task=task), pk=extension_id)
    return services.task_decide_extension(
        actor=request.user, extension=extension, approve=payload.approve, note=payload.note
    )


class StatsRowOut(Schema):
    rank: int
    id: int | None
    name: str
    total: int
    done_on_time: int
    done_late: int
    open_in_time: int
    overdue: int
    no_deadline: int
    on_time_rate: float | None


class StatisticsOut(Schema):
    by_agency: list[StatsRowOut]
    by_leader: list[StatsRowOut]


class PeriodIn(Schema):
    start: dt.date | None = Field(None, description="Tasks assigned from this day (local).")
    end: dt.date | None = Field(None, description="Tasks assigned up to this day (local).")


def _rows(rows: list[selectors.StatsRow]) -> list[dict[str, object]]:
    return [
        {"rank": rank, "id": r.key, "name": r.label, "total": r.total, "done_on_time": r.done_on_time,
         "done_late": r.done_late, "open_in_time": r.open_in_time, "overdue": r.overdue, "no_deadline": r.no_deadline,
         "on_time_rate": r.on_time_rate}
        for rank, r in enumerate(rows, start=1)
    ]  # fmt: skip


@router.get("/statistics", response={200: StatisticsOut, **error_responses(400, 401)}, summary="Official counts")
def statistics(request: HttpRequest, period: Query[PeriodIn]) -> dict[str, object]:
    """Counts of the tasks the caller may see, by lead agency and by assigning leader, ranked as on the page."""
    by_agency = selectors.statistics_by_agency(actor=request.user, start=period.start, end=period.end)
    by_leader = selectors.statistics_by_assigner(actor=request.user, start=period.start, end=period.end)
    return {"by_agency": _rows(by_agency), "by_leader": _rows(by_leader)}
