"""Forms of the data hub pages; they only parse input, services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cityops.core.choices import Domain
from cityops.core.models import Organization
from cityops.datahub.choices import UpdateFrequency, Visibility
from cityops.datahub.models import Sector


class CatalogFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    domain = forms.ChoiceField(label=_("Domain"), required=False, choices=[("", "—"), *Domain.choices])
    sector = forms.CharField(label=_("Sector"), required=False, max_length=50)
    owner = forms.IntegerField(label=_("Owner"), required=False, min_value=1)
    visibility = forms.ChoiceField(label=_("Visibility"), required=False, choices=[("", "—"), *Visibility.choices])


class UploadForm(forms.Form):
    file = forms.FileField(label=_("CSV (UTF-8, comma or semicolon) or XLSX file"))


class AccessRequestForm(forms.Form):
    organization: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("For agency"), queryset=Organization.objects.none()
    )
    purpose = forms.CharField(label=_("Purpose"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args: Any, organizations: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"), choices=[("1", _("Grant")), ("0", _("Refuse"))], coerce=lambda v: v == "1"
    )
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class DatasetForm(forms.Form):
    """Publishing a dataset; fields are typed one per line as ``name; column header; type; unit; required``."""

    organization = forms.ModelChoiceField(label=_("Owner agency"), queryset=Organization.objects.none())
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    sector = forms.ModelChoiceField(label=_("Sector"), queryset=Sector.objects.none())
    domain = forms.ChoiceField(label=_("Domain"), choices=Domain.choices)
    visibility = forms.ChoiceField(label=_("Visibility"), choices=Visibility.choices, initial=Visibility.PRIVATE)
    licence = forms.CharField(label=_("Licence"), max_length=100, initial="CC-BY-4.0")
    update_frequency = forms.ChoiceField(label=_("Update frequency"), choices=UpdateFrequency.choices)
    tags = forms.CharField(label=_("Tags (comma-separated)"), required=False, max_length=500)
    fields_text = forms.CharField(
        label=_("Fields: one per line, name; column header; type; unit; required"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Types: string, integer, number, boolean, date, datetime. Example: pm10; Bụi PM10; number; µg/m³; yes"
        ),
    )

    def __init__(self, *args: Any, organizations: Any = None, sectors: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
        self.fields["sector"].queryset = sectors  # type: ignore[attr-defined]

    def clean_fields_text(self) -> list[dict[str, Any]]:
        schema: list[dict[str, Any]] = []
        for line in self.cleaned_data["fields_text"].splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split(";")] + ["", "", "", ""]
            schema.append(
                {
                    "name": parts[0],
                    "label": parts[1] or parts[0],
                    "type": parts[2] or "string",
                    "unit": parts[3],
                    "required": parts[4].lower() in {"yes", "y", "true", "1", "có", "co", "x"},
                }
            )
        if not schema:
            raise forms.ValidationError(_("Describe at least one field."))
        return schema


class ConnectorForm(forms.Form):
    """A scheduled HTTP pull; the auth header value is write-only (never shown again)."""

    organization = forms.ModelChoiceField(label=_("Owner agency"), queryset=Organization.objects.none())
    name = forms.CharField(label=_("Name"), max_length=200)
    url = forms.CharField(label=_("Address (http or https)"), max_length=1000)
    format = forms.ChoiceField(label=_("Format"), choices=[("csv", "CSV"), ("json", "JSON"), ("ngsild", "NGSI-LD")])
    dataset = forms.ModelChoiceField(
        label=_("Dataset (for CSV and JSON)"), queryset=Organization.objects.none(), required=False
    )
    interval_minutes = forms.IntegerField(label=_("Every (minutes)"), min_value=5, max_value=60 * 24 * 31, initial=60)
    auth_header = forms.CharField(label=_("Auth header name"), max_length=100, required=False)
    auth_value = forms.CharField(
        label=_("Auth header value"), max_length=2000, required=False, widget=forms.PasswordInput(render_value=False)
    )

    def __init__(self, *args: Any, organizations: Any = None, datasets: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations  # type: ignore[attr-defined]
        self.fields["dataset"].queryset = datasets  # type: ignore[attr-defined]


class IndicatorValueForm(forms.Form):
    area = forms.ModelChoiceField(label=_("Unit"), queryset=Organization.objects.none())
    period_start = forms.DateField(label=_("Period starting"), widget=forms.DateInput(attrs={"type": "date"}))
    value = forms.FloatField(label=_("Value"))

    def __init__(self, *args: Any, areas: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]


class ReviewForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"), choices=[("1", _("Approve")), ("0", _("Return"))], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)
