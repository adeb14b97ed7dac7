"""Pages of the data hub: catalog, dataset detail, CSV upload and export, access requests and decisions."""

from __future__ import annotations

import csv
import secrets
from datetime import datetime, time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cityops.core.exports import csv_cell
from cityops.core.models import Organization
from cityops.core.permissions import memberships_of, org_ids_for_roles, policy_for, user_has_role
from cityops.datahub import connectors as connector_services
from cityops.datahub import selectors, services
from cityops.datahub.choices import ExchangeAction
from cityops.datahub.forms import (
    AccessRequestForm,
    CatalogFilterForm,
    ConnectorForm,
    DatasetForm,
    DecisionForm,
    IndicatorValueForm,
    ReviewForm,
    UploadForm,
)
from cityops.datahub.imports import CSV_MAX_BYTES
from cityops.datahub.models import Connector, Dataset


def _acting_organization(request: HttpRequest) -> Organization | None:
    """The first organisation the person works in; the exchange log names it as the reader."""
    found = memberships_of(request.user)
    return Organization.objects.filter(pk=found[0][2]).first() if found else None


@login_required
def index(request: HttpRequest) -> HttpResponse:
    form = CatalogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    datasets = selectors.dataset_list(actor=request.user, filters=filters)
    page = Paginator(datasets, 25).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "datahub/index.html",
        {
            "form": form,
            "page": page,
            "facets": selectors.dataset_facets(datasets),
            "query_string": params.urlencode(),
            "can_publish": selectors.publishing_organizations(actor=request.user).exists(),
        },
    )


@login_required
def dataset_create(request: HttpRequest) -> HttpResponse:
    """Publish a dataset for one of the agencies the person manages datasets for."""
    organizations = selectors.publishing_organizations(actor=request.user)
    if not organizations.exists():
        raise PermissionDenied(_("You may not publish datasets."))
    form = DatasetForm(request.POST or None, organizations=organizations, sectors=selectors.sector_list())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dataset = services.dataset_create(
                actor=request.user,
                organization=data["organization"],
                sector=data["sector"],
                title=data["title"],
                description=data["description"],
                domain=data["domain"],
                visibility=data["visibility"],
                licence=data["licence"],
                update_frequency=data["update_frequency"],
                tags=[t for t in data["tags"].split(",") if t.strip()],
                schema=data["fields_text"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error("fields_text" if field == "schema" else None, errors)
        else:
            return redirect("datahub:dataset_upload", pk=dataset.pk)
    return render(request, "datahub/dataset_form.html", {"form": form})


@login_required
def dataset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = selectors.dataset_get(actor=request.user, id=pk)
    can_read = selectors.dataset_can_read(actor=request.user, dataset=dataset)
    records = selectors.dataset_records(actor=request.user, dataset=dataset)
    preview = list(records[:20]) if can_read else []
    organizations = selectors.requesting_organizations(actor=request.user).exclude(pk=dataset.organization_id)
    return render(
        request,
        "datahub/dataset_detail.html",
        {
            "dataset": dataset,
            "can_read": can_read,
            "can_change": policy_for(Dataset).can(request.user, "change", dataset),
            "can_decide": policy_for(Dataset).can(request.user, "decide", dataset),
            "record_count": records.count(),
            "preview": [[r.data.get(name) for name in dataset.field_names()] for r in preview],
            "grants": selectors.dataset_grants(actor=request.user, dataset=dataset),
            "request_form": AccessRequestForm(organizations=organizations) if organizations.exists() else None,
            "upload_form": UploadForm(),
            "decision_form": DecisionForm(),
        },
    )


PENDING_KEY = "datahub_pending_uploads"


def _pending_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "datahub-pending"


def _pending_save(request: HttpRequest, dataset: Dataset, name: str, content: bytes) -> str:
    """Keep an upload between the first try and the column-mapping step; the session holds the token."""
    token = secrets.token_urlsafe(24)
    folder = _pending_dir()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / token).write_bytes(content)
    pending = request.session.get(PENDING_KEY, {})
    pending[token] = {"dataset": dataset.pk, "name": name[:200]}
    request.session[PENDING_KEY] = pending
    return token


def _pending_take(request: HttpRequest, dataset: Dataset, token: str) -> tuple[str, bytes] | None:
    """The kept upload for this person and dataset, removed as it is taken; None if unknown or stale."""
    pending = request.session.get(PENDING_KEY, {})
    entry = pending.pop(token, None) if isinstance(token, str) else None
    request.session[PENDING_KEY] = pending
    if not entry or entry.get("dataset") != dataset.pk:
        return None
    path = _pending_dir() / token
    if path.parent != _pending_dir() or not path.is_file():
        return None
    content = path.read_bytes()
    path.unlink(missing_ok=True)
    return str(entry["name"]), content


def _import(request: HttpRequest, dataset: Dataset, name: str, content: bytes, mapping: dict[str, str] | None) -> Any:
    if name.lower().endswith(".xlsx"):
        return services.dataset_import_xlsx(
            actor=request.user, dataset=dataset, upload=SimpleUploadedFile(name, content), mapping=mapping, source=name
        )
    return services.dataset_import_csv(
        actor=request.user, dataset=dataset, content=content, mapping=mapping, source=name
    )


@login_required
def dataset_upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a CSV/XLSX as a new version; unknown headers lead to a column-mapping step, not a guess."""
    dataset = selectors.dataset_get(actor=request.user, id=pk, action="change")
    report = None
    token = ""
    pending_error = ""
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and "pending" in request.POST:
        form = UploadForm()
        taken = _pending_take(request, dataset, request.POST.get("pending", ""))
        if taken is None:
            pending_error = _("The uploaded file is no longer available; upload it again.")
        else:
            name, content = taken
            mapping = {
                header: request.POST.get(f"map-{position}", "")
                for position, header in enumerate(request.POST.getlist("header"))
            }
            report = _import(request, dataset, name, content, mapping)
            if report.errors and report.headers:
                token = _pending_save(request, dataset, name, content)
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:
            form.add_error("file", _("The file is larger than %(n)s MB.") % {"n": CSV_MAX_BYTES // (1024 * 1024)})
        else:
            content = upload.read()
            report = _import(request, dataset, upload.name, content, None)
            if report.errors and report.headers:
                token = _pending_save(request, dataset, upload.name, content)
    fields = [(f["name"], f"{f['label']} ({f['name']})") for f in dataset.schema]
    mapping_rows = []
    if token and report is not None:
        for position, header in enumerate(report.headers):
            chosen = report.mapping.get(header, "")
            mapping_rows.append((position, header, chosen))
    return render(
        request,
        "datahub/upload.html",
        {
            "dataset": dataset,
            "form": form,
            "report": report,
            "pending": token,
            "mapping_rows": mapping_rows,
            "field_choices": fields,
            "pending_error": pending_error,
        },
    )


@login_required
def dataset_versions(request: HttpRequest, pk: int) -> HttpResponse:
    """Every version with its row counts and what changed from the one before; roll back from here."""
    dataset = selectors.dataset_get(actor=request.user, id=pk)
    if not selectors.dataset_can_read(actor=request.user, dataset=dataset):
        raise PermissionDenied(_("Your agency has no active grant for this dataset."))
    return render(
        request,
        "datahub/versions.html",
        {
            "dataset": dataset,
            "versions": selectors.dataset_versions(actor=request.user, dataset=dataset),
            "can_change": policy_for(Dataset).can(request.user, "change", dataset),
        },
    )


@login_required
@require_POST
def dataset_version_restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    dataset = selectors.dataset_get(actor=request.user, id=pk, action="change")
    version = selectors.dataset_version_get(actor=request.user, dataset=dataset, number=number)
    try:
        restored = services.dataset_version_restore(actor=request.user, dataset=dataset, version=version)
        messages.success(
            request, _("Version %(old)s is current again as version %(new)s.") % {"old": number, "new": restored.number}
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("datahub:dataset_versions", pk=dataset.pk)


def _csv_stream(dataset: Dataset, records: Any, filename: str) -> StreamingHttpResponse:
    names = dataset.field_names()

    class Echo:
        def write(self, value: str) -> str:
            return value

    writer = csv.writer(Echo())

    def rows() -> Any:
        yield "\ufeff" + writer.writerow([csv_cell(f.get("label") or f["name"]) for f in dataset.schema])
        for record in records.iterator(chunk_size=2000):
            yield writer.writerow([csv_cell(record.data.get(name)) for name in names])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def dataset_version_export(request: HttpRequest, pk: int, number: int) -> StreamingHttpResponse:
    """An earlier (or the current) version as CSV; logged in the exchange log like any read."""
    dataset = selectors.dataset_get(actor=request.user, id=pk)
    version = selectors.dataset_version_get(actor=request.user, dataset=dataset, number=number)
    records = selectors.dataset_version_records(actor=request.user, version=version)
    services.exchange_log_append(
        actor=request.user,
        organization=_acting_organization(request),
        dataset=dataset,
        action=ExchangeAction.EXPORT_VERSION,
        rows=records.count(),
        detail={"version": version.number},
    )
    return _csv_stream(dataset, records, f"dataset-{dataset.pk}-v{version.number}.csv")


@login_required
def dataset_export(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    """CSV of the rows, cells neutralised against formula injection; the read is logged in the exchange log."""
    dataset = selectors.dataset_get(actor=request.user, id=pk)
    if not selectors.dataset_can_read(actor=request.user, dataset=dataset):
        raise PermissionDenied(_("Your agency has no active grant for this dataset."))
    records = selectors.dataset_records(actor=request.user, dataset=dataset)
    services.exchange_log_append(
        actor=request.user,
        organization=_acting_organization(request),
        dataset=dataset,
        action=ExchangeAction.EXPORT_CSV,
        rows=records.count(),
    )
    return _csv_stream(dataset, records, f"dataset-{dataset.pk}.csv")


@login_required
@require_POST
def access_request(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = selectors.dataset_get(actor=request.user, id=pk)
    form = AccessRequestForm(request.POST, organizations=selectors.requesting_organizations(actor=request.user))
    if form.is_valid():
        try:
            services.access_request(
                actor=request.user,
                dataset=dataset,
                requesting_organization=form.cleaned_data["organization"],
                purpose=form.cleaned_data["purpose"],
            )
            messages.success(request, _("Your request was sent to the owning agency."))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
    else:
        messages.error(request, _("Choose your agency and say what the data is for."))
    return redirect("datahub:dataset", pk=dataset.pk)


@login_required
@require_POST
def access_decide(request: HttpRequest, pk: int) -> HttpResponse:
    grant = selectors.grant_get(actor=request.user, id=pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        expires = form.cleaned_data.get("expires_on")
        expires_at = timezone.make_aware(datetime.combine(expires, time(23, 59, 59))) if expires is not None else None
        try:
            services.access_decide(
                actor=request.user,
                grant=grant,
                approve=form.cleaned_data["approve"],
                expires_at=expires_at,
                note=form.cleaned_data.get("note", ""),
            )
            messages.success(request, _("The decision was recorded."))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
    else:
        messages.error(request, _("The decision is not valid."))
    return redirect("datahub:dataset", pk=grant.dataset_id)


@login_required
def indicators(request: HttpRequest) -> HttpResponse:
    """Indicator definitions by domain, and the latest period's domain scores per unit with coverage."""
    from cityops.core.choices import Domain
    from cityops.datahub.indicators import MIN_COVERAGE, domain_scores, latest_period
    from cityops.datahub.models import IndicatorDefinition

    definitions = list(IndicatorDefinition.objects.order_by("domain", "code"))
    groups = [(label, [d for d in definitions if d.domain == value]) for value, label in Domain.choices]
    period = latest_period()
    rows: list[tuple[str, list[Any]]] = []
    if period is not None:
        scores = domain_scores(period_start=period)
        names = dict(Organization.objects.filter(pk__in={s.area_id for s in scores}).values_list("pk", "name"))
        for area_id in sorted({s.area_id for s in scores}, key=lambda pk: names.get(pk, "")):
            rows.append((names.get(area_id, ""), [s for s in scores if s.area_id == area_id]))
    return render(
        request,
        "datahub/indicators.html",
        {
            "groups": groups,
            "period": period,
            "rows": rows,
            "domains": Domain.choices,
            "min_coverage": int(MIN_COVERAGE * 100),
        },
    )


FREQUENCY_URIS = {
    "realtime": "CONT", "hourly": "HOURLY", "daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY",
    "quarterly": "QUARTERLY", "yearly": "ANNUAL", "irregular": "IRREG",
}  # fmt: skip


def dcat_catalog(request: HttpRequest) -> JsonResponse:
    """DCAT-AP JSON-LD of the public datasets, so national and EU-style portals can harvest them."""
    items = []
    for dataset in selectors.dataset_public_list():
        page = request.build_absolute_uri(reverse("datahub:dataset", args=[dataset.pk]))
        items.append(
            {
                "@id": page,
                "@type": "dcat:Dataset",
                "dct:identifier": str(dataset.pk),
                "dct:title": dataset.title,
                "dct:description": dataset.description,
                "dct:publisher": {"@type": "foaf:Organization", "foaf:name": dataset.organization.name},
                "dcat:keyword": dataset.tags,
                "dcat:theme": dataset.domain,
                "dct:license": dataset.licence,
                "dct:accrualPeriodicity": {
                    "@id": "http://publications.europa.eu/resource/authority/frequency/"
                    + FREQUENCY_URIS.get(dataset.update_frequency, "IRREG")
                },
                "dct:modified": dataset.updated_at.isoformat(),
                "dcat:landingPage": page,
                "dcat:distribution": [
                    {
                        "@type": "dcat:Distribution",
                        "dcat:accessURL": request.build_absolute_uri(f"/api/v1/datahub/datasets/{dataset.pk}/records"),
                        "dcat:mediaType": "application/json",
                    },
                    {
                        "@type": "dcat:Distribution",
                        "dcat:downloadURL": request.build_absolute_uri(
                            reverse("datahub:dataset_export", args=[dataset.pk])
                        ),
                        "dcat:mediaType": "text/csv",
                    },
                ],
            }
        )
    body = {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#",
            "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
        },
        "@type": "dcat:Catalog",
        "dct:title": "CityOps open data catalog",
        "dcat:dataset": items,
    }
    return JsonResponse(body, content_type="application/ld+json", json_dumps_params={"ensure_ascii": False})


# --- Connectors ----------------------------------------------------------------------------------------


def readers_only(view: Any) -> Any:
    """Pages for agency staff and integrators; citizens and people without a membership are refused."""
    from functools import wraps

    from cityops.datahub.permissions import READERS

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not user_has_role(request.user, READERS):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(wrapped)


@readers_only
def connectors(request: HttpRequest) -> HttpResponse:
    """Status of every connector of the person's agencies: last run, last success, error, rows and lag."""
    now = timezone.now()
    items = list(selectors.connector_list(actor=request.user))
    return render(
        request,
        "datahub/connectors.html",
        {
            "connectors": [(c, (now - c.last_observed_at) if c.last_observed_at else None) for c in items],
            "can_create": selectors.connector_organizations(actor=request.user).exists(),
        },
    )


@readers_only
def connector_create(request: HttpRequest) -> HttpResponse:
    organizations = selectors.connector_organizations(actor=request.user)
    if not organizations.exists():
        raise PermissionDenied(_("You may not manage connectors."))
    datasets = Dataset.objects.filter(organization__in=organizations).order_by("title", "id")
    form = ConnectorForm(request.POST or None, organizations=organizations, datasets=datasets)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            connector = connector_services.connector_create(
                actor=request.user,
                organization=data["organization"],
                name=data["name"],
                url=data["url"],
                format=data["format"],
                dataset=data.get("dataset"),
                interval_minutes=data["interval_minutes"],
                auth_header=data.get("auth_header", ""),
                auth_value=data.get("auth_value", ""),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("datahub:connector", pk=connector.pk)
    return render(request, "datahub/connector_form.html", {"form": form})


@readers_only
def connector_detail(request: HttpRequest, pk: int) -> HttpResponse:
    connector = selectors.connector_get(actor=request.user, id=pk)
    now = timezone.now()
    return render(
        request,
        "datahub/connector_detail.html",
        {
            "connector": connector,
            "runs": selectors.connector_runs(connector=connector),
            "lag": (now - connector.last_observed_at) if connector.last_observed_at else None,
            "can_change": policy_for(Connector).can(request.user, "change", connector),
        },
    )


@readers_only
@require_POST
def connector_action(request: HttpRequest, pk: int) -> HttpResponse:
    """Run a pull now, or switch it on or off."""
    connector = selectors.connector_get(actor=request.user, id=pk, action="change")
    action = request.POST.get("action")
    if connector.kind != Connector.Kind.HTTP:
        raise PermissionDenied(_("Only scheduled pulls can be run from here."))
    if action == "run":
        run = connector_services.connector_run(connector)
        if run.ok:
            messages.success(request, _("The pull ran: %(n)s rows stored.") % {"n": run.rows_stored})
        else:
            messages.error(request, run.error)
    elif action in {"enable", "disable"}:
        connector_services.connector_set_enabled(actor=request.user, connector=connector, enabled=action == "enable")
    return redirect("datahub:connector", pk=connector.pk)


# --- Exchange log, sensors -----------------------------------------------------------------------------


@login_required
def exchange_log(request: HttpRequest) -> HttpResponse:
    """Who read which shared dataset, when and how much: for the owning and the reading agencies' heads."""
    from cityops.datahub.permissions import EXCHANGE_LOG_READERS

    reachable = org_ids_for_roles(request.user, EXCHANGE_LOG_READERS)
    if reachable is not None and not reachable.exists():
        raise PermissionDenied(_("Only agency heads and administrators see the exchange log."))
    dataset_param = request.GET.get("dataset", "")
    entries = selectors.exchange_log_list(
        actor=request.user, dataset=int(dataset_param) if dataset_param.isdigit() else None
    ).select_related("dataset", "organization")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "datahub/exchange_log.html", {"page": page, "dataset_param": dataset_param})


@readers_only
def entities(request: HttpRequest) -> HttpResponse:
    """Sensors of the person's agencies with their data-quality flags."""
    from cityops.datahub.quality import FLAG_LABELS, entity_quality

    kind = request.GET.get("type", "")[:100]
    page = Paginator(selectors.entity_list(actor=request.user, type=kind), 25).get_page(request.GET.get("page"))
    rows = [(e, entity_quality(e)) for e in page.object_list]
    return render(request, "datahub/entities.html", {"page": page, "rows": rows, "labels": FLAG_LABELS, "type": kind})


@readers_only
def entity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    from cityops.datahub.quality import FLAG_LABELS, entity_quality

    entity = selectors.entity_get(actor=request.user, id=pk)
    return render(
        request,
        "datahub/entity_detail.html",
        {"entity": entity, "series": entity_quality(entity), "labels": FLAG_LABELS},
    )


# --- Indicators ----------------------------------------------------------------------------------------


@readers_only
def indicator_detail(request: HttpRequest, code: str) -> HttpResponse:
    """One indicator: history chart per unit, manual entry and the approval queue."""
    from cityops.datahub import indicators as indicator_services
    from cityops.datahub.models import IndicatorDefinition, IndicatorValue

    indicator = IndicatorDefinition.objects.filter(code=code).first()
    if indicator is None:
        raise Http404
    areas = selectors.indicator_areas(actor=request.user)
    manual = indicator.source == IndicatorDefinition.Source.MANUAL
    form = IndicatorValueForm(request.POST or None, areas=areas) if manual and areas.exists() else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("You may not enter values for this indicator."))
        if form.is_valid():
            try:
                indicator_services.indicator_value_set(
                    actor=request.user,
                    indicator=indicator,
                    area=form.cleaned_data["area"],
                    period_start=form.cleaned_data["period_start"],
                    value=form.cleaned_data["value"],
                )
                messages.success(request, _("The value was entered and awaits approval."))
                return redirect("datahub:indicator", code=indicator.code)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
    values = IndicatorValue.objects.filter(indicator=indicator).select_related("area").order_by("-period_start", "id")
    area_ids = list(dict.fromkeys(values.values_list("area_id", flat=True)))
    area_param = request.GET.get("area", "")
    area_id = (
        int(area_param) if area_param.isdigit() and int(area_param) in area_ids else (area_ids[0] if area_ids else None)
    )
    history = indicator_services.indicator_history(indicator=indicator, area_id=area_id) if area_id else []
    pending = selectors.indicator_values_pending(actor=request.user).filter(indicator=indicator)
    return render(
        request,
        "datahub/indicator_detail.html",
        {
            "indicator": indicator,
            "areas": Organization.objects.filter(pk__in=area_ids).order_by("name"),
            "area_id": area_id,
            "chart": mark_safe(indicator_services.history_svg(history, unit=indicator.unit, target=indicator.target)),  # noqa: S308 -- built from numbers and escaped text only
            "values": values[:100],
            "form": form,
            "pending": pending,
            "review_form": ReviewForm(),
        },
    )


@readers_only
@require_POST
def indicator_value_review(request: HttpRequest, pk: int) -> HttpResponse:
    from cityops.datahub import indicators as indicator_services

    value = selectors.indicator_values_pending(actor=request.user).filter(pk=pk).first()
    if value is None:
        raise Http404
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            indicator_services.indicator_value_review(
                actor=request.user, value=value, approve=form.cleaned_data["approve"], note=form.cleaned_data["note"]
            )
            messages.success(request, _("The decision was recorded."))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
    return redirect("datahub:indicator", code=value.indicator.code)
