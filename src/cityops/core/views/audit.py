"""The audit log page: search, page through and export the append-only trail. Read-only by design."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.core.validators import RegexValidator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from cityops.core.choices import AuditVerbs
from cityops.core.exports import csv_cell
from cityops.core.models import AuditEvent, Organization
from cityops.core.selectors.audit import AuditFilters, audit_event_list, can_review_audit, reviewable_organizations
from cityops.core.services.audit_log import audit_export_recorded
from cityops.core.text import nfc

PAGE_SIZE = 50
MIN_YEAR = 2000
MAX_YEAR = 2100
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def known_verbs() -> list[str]:
    return sorted(value for name, value in vars(AuditVerbs).items() if name.isupper() and isinstance(value, str))


class AuditFilterForm(forms.Form):
    """The filters of the audit page; every field optional, every value checked."""

    actor = forms.CharField(label=gettext_lazy("Actor"), max_length=100, required=False)
    verb = forms.CharField(
        label=gettext_lazy("Action (prefix)"),
        max_length=100,
        required=False,
        validators=[RegexValidator(r"^[A-Za-z0-9_.]+$", gettext_lazy("Use letters, digits, dots and underscores."))],
    )
    organization: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Organization.objects.none(), required=False, to_field_name="code"
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Include"),
        choices=[("subtree", gettext_lazy("with its units")), ("only", gettext_lazy("this organisation only"))],
        required=False,
    )
    date_from = forms.DateField(label=gettext_lazy("From"), required=False, input_formats=DATE_FORMATS)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False, input_formats=DATE_FORMATS)
    target_type = forms.CharField(
        label=gettext_lazy("Target type"),
        max_length=100,
        required=False,
        validators=[
            RegexValidator(r"^[a-z0-9_]+\.[a-z0-9_]+$", gettext_lazy("Use the form app.model, e.g. core.user."))
        ],
    )
    target_id = forms.CharField(label=gettext_lazy("Target id"), max_length=64, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = reviewable_organizations(user)

    def _clean_date(self, name: str) -> dt.date | None:
        value = self.cleaned_data.get(name)
        if value is not None and not (MIN_YEAR <= value.year <= MAX_YEAR):
            raise forms.ValidationError(
                _("Enter a date between %(a)s and %(b)s.") % {"a": MIN_YEAR, "b": MAX_YEAR}, code="out_of_range"
            )
        return value

    def clean_date_from(self) -> dt.date | None:
        return self._clean_date("date_from")

    def clean_date_to(self) -> dt.date | None:
        return self._clean_date("date_to")

    def clean_actor(self) -> str:
        return nfc(self.cleaned_data.get("actor") or "").strip()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        return AuditFilters(
            actor=data.get("actor") or "",
            verb=data.get("verb") or "",
            organization=data.get("organization"),
            include_subtree=(data.get("scope") or "subtree") == "subtree",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            target_type=data.get("target_type") or "",
            target_id=(data.get("target_id") or "").strip(),
        )

    def as_record(self) -> dict[str, Any]:
        """The filters as plain JSON values, for the export's own audit event."""
        data = self.cleaned_data
        org = data.get("organization")
        return {
            key: (value.isoformat() if isinstance(value, dt.date) else value)
            for key, value in {**data, "organization": org.code if org else ""}.items()
            if value not in (None, "")
        }


class AuditAccessMixin(LoginRequiredMixin):
    """Administrators, inspectors and agency heads only; the page is read-only (GET and HEAD)."""

    request: HttpRequest

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.user.is_authenticated and not can_review_audit(request.user):
            raise PermissionDenied(_("Only administrators, inspectors and agency heads can review the audit log."))
        return super().dispatch(request, *args, **kwargs)

    def filter_form(self) -> AuditFilterForm:
        return AuditFilterForm(self.request.GET or None, user=self.request.user)


class AuditLogView(AuditAccessMixin, TemplateView):
    template_name = "core/audit/list.html"
    http_method_names = ["get", "head"]  # read-only: nothing on this page changes the log

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        form = self.filter_form()
        valid = form.is_valid() if form.is_bound else True
        events = audit_event_list(actor=self.request.user, filters=form.filters()) if form.is_bound and valid else None
        if not form.is_bound:
            events = audit_event_list(actor=self.request.user)
        page = Paginator(events if events is not None else AuditEvent.objects.none(), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        params = self.request.GET.copy()
        params.pop("page", None)
        context.update(
            form=form,
            valid=valid,
            page=page,
            query_string=params.urlencode(),
            known_verbs=known_verbs(),
        )
        return context


class _Echo:
    def write(self, value: str) -> str:
        return value


CSV_HEADER = (
    "time", "actor", "actor_username", "verb", "organization", "organization_code",
    "target_type", "target_id", "target", "ip_address", "request_id", "data",
)  # fmt: skip


def csv_rows(events: Any) -> Iterator[list[str]]:
    tz = timezone.get_default_timezone()
    yield list(CSV_HEADER)
    for event in events.iterator(chunk_size=2000):
        yield [
            csv_cell(cell)
            for cell in (
                event.at.astimezone(tz).isoformat(timespec="seconds"),
                event.actor_label,
                event.actor.username if event.actor else "",
                event.verb,
                event.organization.name if event.organization else "",
                event.organization.code if event.organization else "",
                event.target_type,
                event.target_id,
                event.target_repr,
                event.ip_address or "",
                event.request_id,
                json.dumps(event.data, ensure_ascii=False, sort_keys=True),
            )
        ]


class AuditExportView(AuditAccessMixin, View):
    """``audit/export.csv?…``: the filtered rows as UTF-8 CSV (with a BOM so spreadsheets read Vietnamese)."""

    http_method_names = ["get", "head"]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse | StreamingHttpResponse:
        form = self.filter_form()
        if form.is_bound and not form.is_valid():
            errors = "; ".join(f"{field}: {' '.join(str(m) for m in msgs)}" for field, msgs in form.errors.items())
            return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
        filters = form.filters() if form.is_bound else AuditFilters()
        audit_export_recorded(actor=request.user, filters=form.as_record() if form.is_bound else {})
        events = audit_event_list(actor=request.user, filters=filters)
        writer = csv.writer(_Echo())

        def stream() -> Iterator[str]:
            yield "\ufeff"
            for row in csv_rows(events):
                yield writer.writerow(row)

        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
        return response
