"""The directives API router, mounted under /api/v1/directives by ``cityops.api``.

``GET /tasks`` and ``GET /tasks/{id}`` read through the same selectors as the pages (so an agency sees only
what its list would show, with the computed ``deadline_state``); ``POST /tasks/{id}/progress`` reports progress.
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
