"""Forms of the documents pages: they parse input; the services decide."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cityops.core.models import Organization
from cityops.documents.choices import Confidentiality, Urgency
from cityops.documents.models import DocumentType, RetentionRule

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class OrganizationChoiceForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Organisation"))

    def __init__(self, *args: Any, organizations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organizations if organizations is not None else Organization.objects.none()
        if organizations is not None and organizations.count() == 1:
            field.initial = organizations.first()


class _MetadataFields(forms.Form):
    document_type = forms.ModelChoiceField(
        queryset=DocumentType.objects.filter(is_active=True), required=False, label=_("Type")
    )
    subject = forms.CharField(label=_("Subject (trích yếu)"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    urgency = forms.TypedChoiceField(label=_("Urgency"), choices=Urgency.choices, coerce=int, initial=0)
    confidentiality = forms.TypedChoiceField(
        label=_("Confidentiality"), choices=Confidentiality.choices, coerce=int, initial=0
    )
    page_amount = forms.IntegerField(label=_("Pages"), required=False, min_value=1, max_value=9999)
    due_date = forms.DateField(label=_("Deadline"), required=False, widget=DATE_INPUT)
    signer_position = forms.CharField(label=_("Signer's position"), max_length=100, required=False)
    signer_name = forms.CharField(label=_("Signer"), max_length=100, required=False)
    content = forms.CharField(label=_("Content summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    attached_files = MultipleFileField(label=_("Files"))


class IncomingForm(OrganizationChoiceForm, _MetadataFields):
    sender_name = forms.CharField(label=_("Issuing organisation"), max_length=255)
    number = forms.CharField(label=_("Number"), max_length=32, required=False)
    notation = forms.CharField(label=_("Notation"), max_length=64, required=False)
    issued_date = forms.DateField(label=_("Date of issue"), required=False, widget=DATE_INPUT)

    field_order = ["organization", "sender_name", "number", "notation", "issued_date", "document_type", "subject"]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("organization", "attached_files"):
            data.pop(name, None)
        if data.get("document_type") is not None:
            data["type_name"] = data["document_type"].name
        return data


class OutgoingForm(OrganizationChoiceForm, _MetadataFields):
    signer_competence = forms.CharField(label=_("Signing authority (TM., KT., TL.…)"), max_length=100, required=False)
    place = forms.CharField(label=_("Place of issue"), max_length=100, required=False)
    recipients_text = forms.CharField(
        label=_("Recipients (Nơi nhận)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    issued_amount = forms.IntegerField(label=_("Copies issued"), required=False, min_value=1, max_value=999)

    field_order = ["organization", "document_type", "subject"]

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("organization", "attached_files"):
            data.pop(name, None)
        return data


def edxml_max_bytes() -> int:
    return int(settings.DOCUMENTS_EDXML_MAX_BYTES)


class EdxmlImportForm(OrganizationChoiceForm):
    file = forms.FileField(label=_("edXML file"))
    confidentiality = forms.TypedChoiceField(
        label=_("Confidentiality"), choices=Confidentiality.choices, coerce=int, initial=0
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > edxml_max_bytes():
            raise forms.ValidationError(
                _("The file is larger than %(limit)d MB.") % {"limit": edxml_max_bytes() // (1024 * 1024) or 1},
                code="too_large",
            )
        return upload


class DirectForm(forms.Form):
    lead_unit = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Lead unit"))
    supporting_units = forms.ModelMultipleChoiceField(
        queryset=Organization.objects.none(), required=False, label=_("Supporting units")
    )
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DATE_INPUT)
    opinion = forms.CharField(label=_("Opinion"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("lead_unit", "supporting_units"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = units if units is not None else Organization.objects.none()


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ForwardForm(NoteForm):
    unit = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Unit"))

    def __init__(self, *args: Any, units: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = units if units is not None else Organization.objects.none()


class IssueForm(forms.Form):
    internal = forms.ModelMultipleChoiceField(
        queryset=Organization.objects.none(), required=False, label=_("Agencies in this system")
    )
    external = forms.CharField(
        label=_("External recipients by edXML (one per line: code, name)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
    )

    def __init__(self, *args: Any, organizations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["internal"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organizations if organizations is not None else Organization.objects.none()

    def clean_external(self) -> list[tuple[str, str]]:
        pairs = []
        for line in self.cleaned_data["external"].splitlines():
            if line.strip():
                code, _sep, name = line.partition(",")
                pairs.append((code.strip(), name.strip()))
        return pairs


class AttachForm(forms.Form):
    file = forms.FileField(label=_("File"))


class OutgoingEditForm(OutgoingForm):
    """The draft form without the choice of organisation (a draft stays where it was started)."""

    note = forms.CharField(label=_("What changed"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["organization"]

    def service_data(self) -> dict[str, Any]:
        data = super().service_data()
        data.pop("note", None)
        return data


class CaseFileForm(OrganizationChoiceForm):
    notation = forms.CharField(label=_("File number and notation"), max_length=20)
    title = forms.CharField(label=_("Title"), max_length=500)
    retention = forms.ModelChoiceField(queryset=RetentionRule.objects.filter(is_active=True), label=_("Retention"))


class CaseFileAddForm(forms.Form):
    kind = forms.ChoiceField(choices=[("incoming", _("Incoming")), ("outgoing", _("Outgoing"))], label=_("Direction"))
    document = forms.IntegerField(label=_("Document number in the system (id)"), min_value=1, max_value=2**53)


# Registers and statistics reach back to archived paper registers, but not to dates no clock can convert.
PERIOD_FIRST_DAY = dt.date(1900, 1, 1)
PERIOD_LAST_DAY = dt.date(2199, 12, 31)


class PeriodForm(forms.Form):
    """A date range for registers and statistics (both ends included); empty ends mean open."""

    date_from = forms.DateField(label=_("From"), required=False, widget=DATE_INPUT)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE_INPUT)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        for name in ("date_from", "date_to"):
            if data.get(name) and not PERIOD_FIRST_DAY <= data[name] <= PERIOD_LAST_DAY:
                self.add_error(name, _("Enter a date between 1900 and 2199."))
        if start and end and start > end:
            raise forms.ValidationError(_("The start of the period is after its end."), code="period")
        return data


class CorrectForm(forms.Form):
    """Update of an issued document (edXML business type 2): the fields a correction may change, and why."""

    subject = forms.CharField(label=_("Subject (trích yếu)"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    due_date = forms.DateField(label=_("Deadline"), required=False, widget=DATE_INPUT)
    content = forms.CharField(label=_("Content summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(
        label=_("Reason for the update"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
