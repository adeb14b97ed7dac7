"""Pages of the documents module: thin views that parse forms, call selectors and services, render."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cityops.core.models import Organization
from cityops.core.permissions import staff_required
from cityops.documents import edxml, exports, selectors, services
from cityops.documents.choices import IncomingStatus, OutgoingStatus
from cityops.documents.forms import (
    AttachForm,
    CaseFileAddForm,
    CaseFileForm,
    CorrectForm,
    DirectForm,
    EdxmlImportForm,
    ForwardForm,
    IncomingForm,
    IssueForm,
    NoteForm,
    OutgoingEditForm,
    OutgoingForm,
    PeriodForm,
)
from cityops.documents.models import IncomingDocument, OutgoingDocument
from cityops.documents.selectors import SearchResults

PAGE_SIZE = 25
FORM_FIELD_FOR = {"files": "attached_files", "file": "attached_files"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _errors(form: Any, exc: ValidationError) -> None:
    """Put a service's refusal on the form, field by field when the field is on the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            field = field if field in form.fields else FORM_FIELD_FOR.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _page(request: HttpRequest, queryset: Any) -> Any:
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _filters(request: HttpRequest) -> dict[str, str]:
    return {key: request.GET.get(key, "")[:200] for key in ("q", "status", "year")}


@staff_required
def index(request: HttpRequest) -> HttpResponse:
    """The module's landing page: newest incoming (urgent first) and outgoing documents."""
    return render(request, "documents/index.html", {
        "incoming": selectors.incoming_list(actor=request.user)[:10],
        "outgoing": selectors.outgoing_list(actor=request.user)[:10],
        "can_receive": selectors.organizations_for(request.user, "receive").exists(),
        "can_draft": selectors.organizations_for(request.user, "draft", OutgoingDocument).exists(),
    })  # fmt: skip


def _document_list(request: HttpRequest, model: type) -> HttpResponse:
    """The incoming or outgoing list: filters, a page of rows, whether the user may add one."""
    filters = _filters(request)
    incoming = model is IncomingDocument
    rows = (selectors.incoming_list if incoming else selectors.outgoing_list)(actor=request.user, filters=filters)
    action = "receive" if incoming else "draft"
    page = _page(request, rows)
    return render(request, f"documents/{'incoming' if incoming else 'outgoing'}_list.html", {
        "page": page, "filters": filters,
        # A search says how many match, or that more match than it counted (it stops at the cap).
        "search": {"count": page.paginator.count, "capped": rows.capped} if isinstance(rows, SearchResults) else None,
        "statuses": (IncomingStatus if incoming else OutgoingStatus).choices,
        f"can_{action}": selectors.organizations_for(request.user, action, model).exists(),
    })  # fmt: skip


@staff_required
def incoming_list(request: HttpRequest) -> HttpResponse:
    return _document_list(request, IncomingDocument)


def _detail_context(request: HttpRequest, document: Any) -> dict[str, Any]:
    """What both detail pages show: the document, its files, the secrecy rule, linked directives; the read is
    logged here, once, for both."""
    services.document_viewed(actor=request.user, document=document)
    return {
        "doc": document, "attachments": document.attachments(), "note_form": NoteForm(), "attach_form": AttachForm(),
        "confidential_reason": services.confidential_reason(), "air_gapped": services.air_gapped(),
        "directives": selectors.linked_directives(actor=request.user, document=document),
    }  # fmt: skip


def _units_of(document: Any) -> Any:
    return Organization.objects.active().subtree_of(document.organization)


@staff_required
def incoming_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = selectors.incoming_get(actor=request.user, id=pk)
    units = _units_of(document)
    return render(request, "documents/incoming_detail.html", {
        **_detail_context(request, document), "events": document.events.select_related("actor", "assigned_org"),
        "directions": document.directions.select_related("lead_unit", "leader").prefetch_related("supporting_units"),
        "can": selectors.incoming_permissions(request.user, document),
        "direct_form": DirectForm(units=units), "forward_form": ForwardForm(units=units),
        "can_reply": selectors.organizations_for(request.user, "draft", OutgoingDocument)
        .filter(pk=document.organization_id).exists(),
    })  # fmt: skip


@staff_required
def incoming_new(request: HttpRequest) -> HttpResponse:
    organizations = selectors.organizations_for(request.user, "receive")
    if not organizations.exists():
        raise PermissionDenied(_("Only clerks receive documents."))
    form = IncomingForm(request.POST or None, request.FILES or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            document = services.incoming_receive(
                actor=request.user, organization=form.cleaned_data["organization"], data=form.service_data(),
                files=form.cleaned_data["attached_files"],
            )  # fmt: skip
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("The document was received."))
            return redirect("documents:incoming_detail", pk=document.pk)
    return render(request, "documents/incoming_form.html", {
        "form": form, "confidential_reason": services.confidential_reason(), "air_gapped": services.air_gapped(),
    })  # fmt: skip


@staff_required
def incoming_import(request: HttpRequest) -> HttpResponse:
    organizations = selectors.organizations_for(request.user, "receive")
    if not organizations.exists():
        raise PermissionDenied(_("Only clerks receive documents."))
    form = EdxmlImportForm(request.POST or None, request.FILES or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.edxml_import(
                actor=request.user, organization=form.cleaned_data["organization"],
                data=form.cleaned_data["file"].read(), confidentiality=form.cleaned_data["confidentiality"],
            )  # fmt: skip
        except ValidationError as exc:
            _errors(form, exc)
        else:
            if isinstance(result, IncomingDocument):
                messages.success(request, _("The edXML package was imported."))
                return redirect("documents:incoming_detail", pk=result.pk)
            messages.success(request, _("The status message was recorded."))
            return (
                redirect("documents:outgoing_detail", pk=result.outgoing_id)
                if result.outgoing_id
                else redirect("documents:incoming_detail", pk=result.incoming_id)
            )
    return render(request, "documents/import_form.html", {"form": form})


def _done(request: HttpRequest, text: str, target: Model, name: str) -> HttpResponse:
    messages.success(request, text)
    return redirect(name, pk=target.pk)


@staff_required
def incoming_slip(request: HttpRequest, pk: int) -> HttpResponse:
    """The direction slip, printable (the browser's print to PDF gives the paper form)."""
    document = selectors.incoming_get(actor=request.user, id=pk)
    services.document_viewed(actor=request.user, document=document)
    return render(request, "documents/incoming_slip.html", selectors.direction_slip(document))


@staff_required
@require_POST
def incoming_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """One POST endpoint per workflow step; refusals come back as messages on the detail page."""
    document = selectors.incoming_get(actor=request.user, id=pk)
    units = _units_of(document)
    target = "documents:incoming_detail"
    try:
        if action == "register":
            document = services.incoming_register(actor=request.user, document=document)
            return _done(request, _("Registered as number %(n)s.") % {"n": document.arrival_number}, document, target)
        if action == "direct":
            form = DirectForm(request.POST, units=units)
            if not form.is_valid():
                raise ValidationError(form.errors.get_json_data() and _("Check the direction form."))
            services.incoming_direct(actor=request.user, document=document, **form.cleaned_data)
            return _done(request, _("The direction was recorded."), document, target)
        if action == "forward":
            forward = ForwardForm(request.POST, units=units)
            if not forward.is_valid():
                raise ValidationError(_("Choose a unit."))
            services.incoming_forward(actor=request.user, document=document, **forward.cleaned_data)
            return _done(request, _("The document was forwarded."), document, target)
        note_form = NoteForm(request.POST)
        note = note_form.cleaned_data["note"] if note_form.is_valid() else ""
        if action == "handle":
            services.incoming_handle(actor=request.user, document=document, note=note)
        elif action == "report":
            services.incoming_report(actor=request.user, document=document, note=note)
        elif action == "done":
            services.incoming_done(actor=request.user, document=document, note=note)
        elif action == "reject":
            services.incoming_reject(actor=request.user, document=document, reason=note)
        elif action == "attach":
            _attach(request, document)
        else:
            raise PermissionDenied
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(target, pk=document.pk)
    return _done(request, _("Saved."), document, target)


def _attach(request: HttpRequest, document: Any) -> None:
    attach = AttachForm(request.POST, request.FILES)
    if not attach.is_valid():
        raise ValidationError(_("Choose a file."))
    services.document_add_attachment(actor=request.user, document=document, uploaded_file=attach.cleaned_data["file"])


@staff_required
def outgoing_list(request: HttpRequest) -> HttpResponse:
    return _document_list(request, OutgoingDocument)


@staff_required
def outgoing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = selectors.outgoing_get(actor=request.user, id=pk)
    return render(request, "documents/outgoing_detail.html", {
        **_detail_context(request, document), "events": document.events.select_related("actor"),
        "recipients": document.recipients.select_related("organization"),
        "can": selectors.outgoing_permissions(request.user, document),
        "issue_form": IssueForm(organizations=Organization.objects.active().exclude(pk=document.organization_id)),
        "correct_form": CorrectForm(initial={"subject": document.subject, "due_date": document.due_date,
                                             "content": document.content}),
    })  # fmt: skip


@staff_required
def outgoing_new(request: HttpRequest) -> HttpResponse:
    organizations = selectors.organizations_for(request.user, "draft", OutgoingDocument)
    if not organizations.exists():
        raise PermissionDenied(_("You may not draft documents."))
    reply_to = None
    if request.GET.get("reply_to"):
        # A reply to an incoming document the user may see (``?reply_to=<id>``); anything else is a 404.
        reply_to = selectors.incoming_get(actor=request.user, id=request.GET["reply_to"][:20])
        organizations = organizations.filter(pk=reply_to.organization_id)
    form = OutgoingForm(request.POST or None, request.FILES or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        if reply_to is not None:
            data["reply_to"] = reply_to
        try:
            document = services.outgoing_draft(
                actor=request.user, organization=form.cleaned_data["organization"], data=data,
                files=form.cleaned_data["attached_files"],
            )  # fmt: skip
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("The draft was saved."))
            return redirect("documents:outgoing_detail", pk=document.pk)
    return render(request, "documents/outgoing_form.html", {
        "form": form, "confidential_reason": services.confidential_reason(), "air_gapped": services.air_gapped(),
        "reply_to": reply_to,
    })  # fmt: skip


@staff_required
@require_POST
def outgoing_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    document = selectors.outgoing_get(actor=request.user, id=pk)
    target = "documents:outgoing_detail"
    note_form = NoteForm(request.POST)
    note = note_form.cleaned_data["note"] if note_form.is_valid() else ""
    steps = {
        "submit": services.outgoing_submit, "return": services.outgoing_return,
        "approve": services.outgoing_approve, "archive": services.outgoing_archive,
    }  # fmt: skip
    try:
        if action in steps:
            steps[action](actor=request.user, document=document, note=note)
        elif action == "recall":
            services.outgoing_recall(actor=request.user, document=document, reason=note)
        elif action == "number":
            document = services.outgoing_number(actor=request.user, document=document)
            return _done(request, _("Numbered %(code)s.") % {"code": document.code}, document, target)
        elif action == "issue":
            form = IssueForm(request.POST, organizations=Organization.objects.active())
            if not form.is_valid():
                raise ValidationError(_("Check the recipients."))
            services.outgoing_issue(actor=request.user, document=document, **form.cleaned_data)
        elif action == "correct":
            correct = CorrectForm(request.POST)
            if not correct.is_valid():
                raise ValidationError(_("Check the update form."))
            data = dict(correct.cleaned_data)
            reason = data.pop("reason")
            services.outgoing_correct(actor=request.user, document=document, data=data, reason=reason)
        elif action == "replace":
            draft = services.outgoing_replacement_draft(actor=request.user, document=document)
            return _done(request, _("The replacement was drafted."), draft, target)
        elif action == "attach":
            _attach(request, document)
        else:
            raise PermissionDenied
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(target, pk=document.pk)
    return _done(request, _("Saved."), document, target)


@staff_required
def outgoing_edxml(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the document as an edXML package (numbered documents only)."""
    document = selectors.outgoing_get(actor=request.user, id=pk)
    try:
        if document.status == OutgoingStatus.RECALLED:
            recall = document.events.filter(action="recalled").order_by("-id").first()
            data = services.outgoing_edxml_package(
                document, business_type=edxml.BusinessDocType.REVOCATION, reason=recall.note if recall else None
            )
        else:
            data = services.outgoing_edxml_package(document)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("documents:outgoing_detail", pk=document.pk)
    services.document_viewed(actor=request.user, document=document)
    response = HttpResponse(data, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="document-{document.pk}.edxml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
def register_list(request: HttpRequest) -> HttpResponse:
    period = PeriodForm(request.GET or None)
    query = ""
    if period.is_bound and period.is_valid():
        query = "?" + urlencode({k: v.isoformat() for k, v in period.cleaned_data.items() if v})
    return render(request, "documents/register_list.html", {
        "registers": selectors.register_list(actor=request.user), "period_form": period, "period_query": query,
    })  # fmt: skip


@staff_required
def register_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    register = selectors.register_get(actor=request.user, id=pk)
    services.register_export_audited(actor=request.user, register=register)
    direction = "den" if register.direction == "in" else "di"
    suffix = "-mat" if register.is_confidential else ""
    return _file(exports.register_xlsx(register), XLSX, f"so-van-ban-{direction}-{register.year}{suffix}.xlsx")


@staff_required
def register_tracking_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """Sổ theo dõi giải quyết of an incoming register."""
    register = selectors.register_get(actor=request.user, id=pk)
    if register.direction != "in":
        raise Http404
    services.register_export_audited(actor=request.user, register=register)
    return _file(exports.tracking_xlsx(register), XLSX, f"so-theo-doi-giai-quyet-{register.year}.xlsx")


@staff_required
def outgoing_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft; the service keeps each change as a version."""
    document = selectors.outgoing_get(actor=request.user, id=pk)
    initial = {name: getattr(document, name) for name in OutgoingEditForm.base_fields if hasattr(document, name)}
    form = OutgoingEditForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.outgoing_update(
                actor=request.user,
                document=document,
                data=form.service_data(),
                files=form.cleaned_data["attached_files"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("The draft was saved."))
            return redirect("documents:outgoing_detail", pk=document.pk)
    return render(
        request,
        "documents/outgoing_form.html",
        {
            "form": form,
            "doc": document,
            "confidential_reason": services.confidential_reason(),
            "air_gapped": services.air_gapped(),
        },
    )


@staff_required
def case_file_list(request: HttpRequest) -> HttpResponse:
    """Case files (hồ sơ) of the year lists the user may see, and a form to open one."""
    organizations = selectors.organizations_for(request.user, "receive")
    form = CaseFileForm(request.POST or None, organizations=organizations) if organizations.exists() else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            case_file = services.case_file_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors(form, exc)
        else:
            messages.success(request, _("The case file was opened."))
            return redirect("documents:case_file_detail", pk=case_file.pk)
    return render(
        request,
        "documents/case_file_list.html",
        {
            "case_files": selectors.case_file_list(actor=request.user),
            "form": form,
        },
    )


@staff_required
def case_file_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One case file with its documents in order; clerks add documents and close it."""
    case_file = selectors.case_file_get(actor=request.user, id=pk)
    form = CaseFileAddForm(request.POST or None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "close":
                services.case_file_close(actor=request.user, case_file=case_file)
                messages.success(request, _("The case file was closed."))
            elif form.is_valid():
                getter = selectors.incoming_get if form.cleaned_data["kind"] == "incoming" else selectors.outgoing_get
                document = getter(actor=request.user, id=form.cleaned_data["document"])
                services.case_file_add(actor=request.user, case_file=case_file, document=document)
                messages.success(request, _("The document was filed."))
            else:
                raise ValidationError(_("Choose a document."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("documents:case_file_detail", pk=case_file.pk)
    items = case_file.items.select_related("incoming", "outgoing")
    return render(request, "documents/case_file_detail.html", {"case_file": case_file, "items": items, "form": form})


def _file(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _period(request: HttpRequest) -> tuple[Any, Any]:
    """The ``date_from`` / ``date_to`` of the query string; a malformed or reversed period is a 400."""
    form = PeriodForm(request.GET or None)
    if request.GET and not form.is_valid():
        raise BadRequest(_("Check the period."))
    data = form.cleaned_data if request.GET else {}
    return data.get("date_from"), data.get("date_to")


@staff_required
def incoming_slip_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The direction slip as a PDF (phiếu giải quyết văn bản đến)."""
    document = selectors.incoming_get(actor=request.user, id=pk)
    services.document_viewed(actor=request.user, document=document)
    return _file(exports.slip_pdf(selectors.direction_slip(document)), "application/pdf", f"phieu-giai-quyet-{pk}.pdf")


@staff_required
def register_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The register as a landscape PDF, for ``?date_from=&date_to=`` or the whole year."""
    register = selectors.register_get(actor=request.user, id=pk)
    date_from, date_to = _period(request)
    services.register_export_audited(actor=request.user, register=register)
    direction = "den" if register.direction == "in" else "di"
    suffix = "-mat" if register.is_confidential else ""
    return _file(
        exports.register_pdf(register, date_from, date_to),
        "application/pdf",
        f"so-van-ban-{direction}-{register.year}{suffix}.pdf",
    )


@staff_required
def register_tracking_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Sổ theo dõi giải quyết of an incoming register as a PDF."""
    register = selectors.register_get(actor=request.user, id=pk)
    if register.direction != "in":
        raise Http404
    date_from, date_to = _period(request)
    services.register_export_audited(actor=request.user, register=register)
    return _file(
        exports.tracking_pdf(register, date_from, date_to),
        "application/pdf",
        f"so-theo-doi-giai-quyet-{register.year}.pdf",
    )


def _statistics_period(form: PeriodForm) -> tuple[Any, Any]:
    today = timezone.localdate()
    if form.is_bound and form.is_valid():
        return form.cleaned_data.get("date_from") or today.replace(day=1), form.cleaned_data.get("date_to") or today
    return today.replace(day=1), today


@staff_required
def statistics(request: HttpRequest) -> HttpResponse:
    """Handling statistics per agency and period, counted over the documents the reader may see."""
    form = PeriodForm(request.GET or None)
    date_from, date_to = _statistics_period(form)
    rows = selectors.handling_statistics(actor=request.user, date_from=date_from, date_to=date_to)
    return render(request, "documents/statistics.html", {
        "form": form, "rows": rows, "total": selectors.handling_totals(rows),
        "date_from": date_from, "date_to": date_to,
    })  # fmt: skip


@staff_required
def statistics_xlsx(request: HttpRequest) -> HttpResponse:
    form = PeriodForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        raise BadRequest(_("Check the period."))
    date_from, date_to = _statistics_period(form)
    rows = selectors.handling_statistics(actor=request.user, date_from=date_from, date_to=date_to)
    services.statistics_export_audited(actor=request.user, date_from=date_from, date_to=date_to)
    data = exports.statistics_xlsx(rows, selectors.handling_totals(rows), date_from, date_to)
    return _file(data, XLSX, f"thong-ke-van-ban-{date_from:%Y%m%d}-{date_to:%Y%m%d}.xlsx")


@staff_required
def exchange_log(request: HttpRequest) -> HttpResponse:
    """The exchange log: edXML packages and status messages sent and received, with delivery attempts."""
    return render(
        request, "documents/exchange_log.html", {"page": _page(request, selectors.exchange_log(actor=request.user))}
    )


@staff_required
def case_file_items_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """Mục lục văn bản trong hồ sơ as PDF."""
    case_file = selectors.case_file_get(actor=request.user, id=pk)
    services.case_file_export_audited(actor=request.user, case_file=case_file)
    return _file(exports.case_file_items_pdf(case_file), "application/pdf", f"muc-luc-van-ban-ho-so-{pk}.pdf")


@staff_required
def case_files_pdf(request: HttpRequest) -> HttpResponse:
    """Mục lục hồ sơ of a year (``?year=``, default this year) as PDF."""
    raw = request.GET.get("year") or str(timezone.localdate().year)
    if not raw.isdigit() or not 1900 <= int(raw) <= 2999:
        raise BadRequest(_("Check the year."))
    year = int(raw)
    case_files = selectors.case_file_list(actor=request.user).filter(year=year)
    services.case_file_export_audited(actor=request.user, case_file=None, year=year)
    return _file(exports.case_files_pdf(case_files, year), "application/pdf", f"muc-luc-ho-so-{year}.pdf")
