"""Every read of the directives app, starting from ``for_user`` so nobody sees another agency's tasks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from cityops.core.models import Attachment
from cityops.core.permissions import get_for_user
from cityops.core.text import fold, search_terms
from cityops.directives.choices import DeadlineState, TaskStatus
from cityops.directives.models import Directive, ExtensionRequest, ProgressReport, Task
from cityops.directives.sources import SourceLink, resolve_source

__all__ = [
    "COUNT_STATES",
    "StatsRow",
    "deadline_counts",
    "directive_get",
    "directive_list",
    "report_attachments",
    "source_link",
    "source_url",
    "statistics_by_agency",
    "statistics_by_assigner",
    "task_extensions",
    "task_get",
    "task_list",
    "task_progress_reports",
    "tasks_for_source",
]

COUNT_STATES = [s.value for s in DeadlineState if s != DeadlineState.CANCELLED]


def task_list(
    *,
    actor: Any,
    agency: int | None = None,
    status: str | None = None,
    deadline_state: str | None = None,
    directive: int | None = None,
    assigner: int | None = None,
    q: str = "",
    now: dt.datetime | None = None,
) -> QuerySet[Task]:
    """Tasks the actor may see, each annotated with its computed ``deadline_state``."""
    qs = (
        Task.objects.for_user(actor, "view")
        .with_deadline_state(now=now)
        .select_related("organization", "directive", "assigner")
    )
    if agency:
        qs = qs.filter(organization_id=agency)
    if status:
        qs = qs.filter(status=status)
    if deadline_state:
        qs = qs.filter(deadline_state=deadline_state)
    if directive:
        qs = qs.filter(directive_id=directive)
    if assigner:
        qs = qs.filter(assigner_id=assigner)
    for term in search_terms(q or ""):
        qs = qs.filter(Q(title__icontains=term) | Q(directive__title__icontains=term) | Q(pk__in=_folded_ids(term)))
    # Tasks without a deadline last on both databases (SQLite and PostgreSQL sort NULL differently).
    return qs.order_by(F("deadline").asc(nulls_last=True), "-id")


def _folded_ids(term: str) -> QuerySet:
    from django.db.models import CharField
    from django.db.models.functions import Cast

    from cityops.core.models import SearchEntry

    ids = SearchEntry.objects.filter(object_type="directives.task", text__contains=fold(term)).values("object_id")
    return Task.objects.annotate(_sid=Cast("pk", output_field=CharField())).filter(_sid__in=ids).values("pk")


def task_get(*, actor: Any, pk: Any, now: dt.datetime | None = None) -> Task:
    """One task the actor may see (``NotFoundOrForbidden`` otherwise)."""
    qs = Task.objects.with_deadline_state(now=now).select_related("organization", "directive", "assigner")
    return get_for_user(qs, actor, "view", pk=pk)


def directive_list(*, actor: Any) -> QuerySet[Directive]:
    """Directives the actor may see, with how many of their tasks exist and are done."""
    visible = Task.objects.for_user(actor, "view").values("pk")  # counts never reveal tasks one may not see
    return (
        Directive.objects.for_user(actor, "view")
        .select_related("organization", "leader")
        .annotate(
            task_count=Count("tasks", filter=Q(tasks__in=visible), distinct=True),
            done_count=Count("tasks", filter=Q(tasks__in=visible, tasks__status=TaskStatus.DONE), distinct=True),
        )
        .order_by("-issued_at", "-id")
    )


def directive_get(*, actor: Any, pk: Any) -> Directive:
    return get_for_user(Directive.objects.select_related("organization", "leader"), actor, "view", pk=pk)


def tasks_for_source(*, actor: Any, source_type: str, source_id: Any) -> QuerySet[Task]:
    """Tasks made from another module's record (the link back from a citizen report or an incident)."""
    return task_list(actor=actor).filter(
        directive__source_type=(source_type or "").lower(), directive__source_id=str(source_id)
    )


def task_progress_reports(*, task: Task) -> QuerySet[ProgressReport]:
    """Reports of a task already fetched through ``task_get`` (so already permission-checked)."""
    return task.progress_reports.select_related("author").order_by("-created_at", "-id")


def task_extensions(*, task: Task) -> QuerySet[ExtensionRequest]:
    return task.extension_requests.select_related("requested_by", "decided_by").order_by("-created_at", "-id")


def report_attachments(*, actor: Any, reports: list[ProgressReport]) -> dict[int, list[Attachment]]:
    """Files of each report that the actor may download, keyed by report id (one query)."""
    ids = [str(r.pk) for r in reports]
    rows = Attachment.objects.for_user(actor, "view").filter(target_type="directives.progressreport", target_id__in=ids)
    out: dict[int, list[Attachment]] = {}
    for row in rows.order_by("created_at", "id"):
        out.setdefault(int(row.target_id), []).append(row)
    return out


def source_url(directive: Directive, *, actor: Any = None) -> str | None:
    """A link to the record the directive came from (see ``directives.sources``), when the actor may see it."""
    link = source_link(directive, actor=actor)
    return link.url if link else None


def source_link(directive: Directive, *, actor: Any = None) -> SourceLink | None:
    """The source record's link and label for this reader, from the module's registered resolver or the
    generic one; None when there is no source or the reader may not see it."""
    return resolve_source(directive.source_type, directive.source_id, actor=actor)


# --- counts and statistics -------------------------------------------------------------------------------------


def deadline_counts(queryset: QuerySet[Task]) -> dict[str, int]:
    """How many tasks are in each deadline state (queryset annotated by ``with_deadline_state``)."""
    counts = dict.fromkeys([s.value for s in DeadlineState], 0)
    for row in queryset.order_by().values("deadline_state").annotate(n=Count("pk")):  # type: ignore[misc]
        counts[row["deadline_state"]] = row["n"]
    return counts


@dataclass
class StatsRow:
    """One line of the official report (Báo cáo 1270/BC-TCTTTg) for an agency or a leader."""

    key: int
    label: str
    total: int
    done_on_time: int
    done_late: int
    open_in_time: int
    overdue: int
    no_deadline: int

    @property
    def done(self) -> int:
        return self.done_on_time + self.done_late

    @property
    def open(self) -> int:
        return self.open_in_time + self.overdue + self.no_deadline

    @property
    def on_time_rate(self) -> float | None:
        """Share of completed tasks completed on time (percent), None when nothing is completed."""
        return round(100 * self.done_on_time / self.done, 1) if self.done else None

    @property
    def overdue_rate(self) -> float | None:
        """Share of all counted tasks that are overdue or were done late (percent)."""
        return round(100 * (self.overdue + self.done_late) / self.total, 1) if self.total else None


def _stats(qs: QuerySet[Task], key: str, label: str) -> list[StatsRow]:
    def n(*states: DeadlineState) -> Count:
        return Count("pk", filter=Q(deadline_state__in=[s.value for s in states]))

    rows = (
        qs.exclude(status=TaskStatus.CANCELLED)
        .order_by()
        .values(key, label)
        .annotate(
            total=Count("pk"),
            on_time=n(DeadlineState.DONE_ON_TIME),
            late=n(DeadlineState.DONE_LATE),
            in_time=n(DeadlineState.NOT_DUE, DeadlineState.DUE_SOON),
            overdue=n(DeadlineState.OVERDUE),
            no_deadline=n(DeadlineState.NO_DEADLINE),
        )
    )
    out = [
        StatsRow(
            key=r[key],
            label=r[label] or "",
            total=r["total"],
            done_on_time=r["on_time"],
            done_late=r["late"],
            open_in_time=r["in_time"],
            overdue=r["overdue"],
            no_deadline=r["no_deadline"],
        )  # fmt: skip
        for r in rows
    ]
    # Ranking: fewest overdue/late first, then most completed on time, then name.
    out.sort(key=lambda r: (r.overdue + r.done_late, -r.done_on_time, r.label))
    return out


def _period(qs: QuerySet[Task], start: dt.date | None, end: dt.date | None) -> QuerySet[Task]:
    from cityops.core import workdays

    tz = workdays.local_tz()
    if start:
        qs = qs.filter(assigned_at__gte=dt.datetime.combine(start, dt.time.min, tzinfo=tz))
    if end:
        qs = qs.filter(assigned_at__lt=dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))
    return qs


def statistics_by_agency(
    *, actor: Any, start: dt.date | None = None, end: dt.date | None = None, now: dt.datetime | None = None
) -> list[StatsRow]:
    """The official counts per lead agency, over tasks assigned in the period that the actor may see."""
    qs = _period(task_list(actor=actor, now=now or timezone.now()), start, end)
    return _stats(qs, "organization_id", "organization__name")


def statistics_by_assigner(
    *, actor: Any, start: dt.date | None = None, end: dt.date | None = None, now: dt.datetime | None = None
) -> list[StatsRow]:
    """The same counts per leader who assigned the tasks."""
    qs = _period(task_list(actor=actor, now=now or timezone.now()), start, end)
    return _stats(qs, "assigner_id", "assigner__full_name")
