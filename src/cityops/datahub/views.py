"""Pages of the data hub: catalog, dataset detail, CSV upload and export, access requests and decisions."""

from __future__ import annotations

import csv
from datetime import datetime, time
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cityops.core.exports import csv_cell
from cityops.core.models import Organization
from cityops.core.permissions import memberships_of, policy_for
from cityops.datahub import selectors, services
from cityops.datahub.choices import ExchangeAction
from cityops.datahub.forms import AccessRequestForm, CatalogFilterForm, DatasetForm, DecisionForm, UploadForm
from cityops.datahub.imports import CSV_MAX_BYTES
from cityops.datahub.models import Dataset


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


@login_required
def dataset_upload(request: HttpRequest, pk: int) -> HttpResponse:
    dataset = selectors.dataset_get(actor=request.user, id=pk, action="change")
    report = None
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:
            form.add_error("file", _("The file is larger than %(n)s MB.") % {"n": CSV_MAX_BYTES // (1024 * 1024)})
        elif upload.name.lower().endswith(".xlsx"):
            report = services.dataset_import_xlsx(actor=request.user, dataset=dataset, upload=upload)
        else:
            report = services.dataset_import_csv(actor=request.user, dataset=dataset, content=upload.read())
    return render(request, "datahub/upload.html", {"dataset": dataset, "form": form, "report": report})


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
    response["Content-Disposition"] = f'attachment; filename="dataset-{dataset.pk}.csv"'
    return response


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
