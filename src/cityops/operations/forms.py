"""Forms of the monitoring pages: they only shape input; the services validate and refuse with reasons."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cityops.core.choices import Role
from cityops.core.models import Organization
from cityops.datahub.models import Entity, IndicatorDefinition
from cityops.datahub.smartmodels import UNITS
from cityops.feedback.models import Category
from cityops.operations import selectors
from cityops.operations.choices import IncidentStatus, Operator, RuleKind, RuleSource, Severity
from cityops.operations.models import IncidentType

__all__ = [
    "AssignForm",
    "CloseForm",
    "EscalateForm",
    "IncidentForm",
    "NoteForm",
    "RuleForm",
    "SubscriptionForm",
]

BLANK = [("", "—")]


class RuleForm(forms.Form):
    """Every field as text or a choice; numbers are checked by the service, which names the field at fault."""

    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Owner"))
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(label=_("Kind"), choices=RuleKind.choices)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.WARNING)
    source = forms.ChoiceField(label=_("Source (threshold rules)"), choices=RuleSource.choices, required=False)
    area = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        label=_("Area"),
        required=False,
        help_text=_("The organisation whose data is watched, and the units below it."),
    )
    entity_type = forms.ChoiceField(
        label=_("Sensor type"), required=False, choices=BLANK + [(t, t) for t in sorted(UNITS)]
    )
    entity = forms.ModelChoiceField(
        queryset=Entity.objects.none(),
        required=False,
        label=_("One sensor only"),
        to_field_name="entity_id",
    )
    attribute = forms.CharField(
        label=_("Attribute"),
        required=False,
        max_length=100,
        help_text=_("E.g. PM25, airQualityIndex, averageVehicleSpeed."),
    )
    indicator = forms.ModelChoiceField(
        queryset=IndicatorDefinition.objects.order_by("code"), required=False, label=_("Indicator")
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True), required=False, label=_("Report category")
    )
    operator = forms.ChoiceField(label=_("Comparison"), choices=BLANK + list(Operator.choices), required=False)
    bound = forms.CharField(
        label=_("Trigger bound"),
        required=False,
        max_length=40,
        help_text=_("For a report cluster: the number of reports."),
    )
    clear_bound = forms.CharField(
        label=_("Clear bound"),
        required=False,
        max_length=40,
        help_text=_("The alert resolves when the value is back past this bound."),
    )
    window_minutes = forms.CharField(label=_("Window (minutes)"), required=False, max_length=10)
    radius_m = forms.CharField(label=_("Radius (metres)"), required=False, max_length=10)
    for_minutes = forms.CharField(label=_("Minimum duration (minutes)"), required=False, max_length=10)
    is_enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = selectors.organizations_for(actor=user, purpose="rules")
        self.fields["organization"].queryset = owners  # type: ignore[attr-defined]
        areas = selectors.organizations_for(actor=user, purpose="follow")
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]
        # Only sensors the person's organisations (or the desk's province) own: never another agency's names.
        sensors = Entity.objects.filter(organization__in=areas).order_by("entity_id")
        self.fields["entity"].queryset = sensors  # type: ignore[attr-defined]

    def rule_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("organization", None)
        return data


class IncidentForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Owner"))
    incident_type = forms.ModelChoiceField(
        queryset=IncidentType.objects.filter(is_active=True), label=_("Incident type")
    )
    title = forms.CharField(
        label=_("Title"), max_length=255, required=False, help_text=_("Left empty: the title of the first alert.")
    )
    severity = forms.ChoiceField(label=_("Severity"), choices=BLANK + list(Severity.choices), required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    assigned_agency = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        label=_("Assign to agency"),
        required=False,
    )
    latitude = forms.CharField(label=_("Latitude"), required=False, max_length=20)
    longitude = forms.CharField(label=_("Longitude"), required=False, max_length=20)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = selectors.organizations_for(actor=user, purpose="act")  # type: ignore[attr-defined]
        self.fields["assigned_agency"].queryset = selectors.province_agencies(actor=user)  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Agency"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = selectors.province_agencies(actor=user)  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    summary = forms.CharField(label=_("Summary"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    open_steps_reason = forms.CharField(
        label=_("Why required steps are left open"), required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip


class EscalateForm(forms.Form):
    lead_agency = forms.ModelChoiceField(
        queryset=Organization.objects.none(),
        label=_("Lead agency"),
        required=False,
        help_text=_("Left empty: the assigned agency."),
    )
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_agency"].queryset = selectors.province_agencies(actor=user)  # type: ignore[attr-defined]


class SubscriptionForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Area"))
    role = forms.ChoiceField(
        label=_("Role"), required=False,
        choices=BLANK + [(r.value, r.label) for r in Role if r not in {Role.CITIZEN, Role.INTEGRATOR}],
        help_text=_("Left empty: only you."),
    )  # fmt: skip
    min_severity = forms.ChoiceField(label=_("Minimum severity"), choices=Severity.choices, initial=Severity.WARNING)
    by_sms = forms.BooleanField(label=_("Also by SMS"), required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = selectors.organizations_for(actor=user, purpose="follow")  # type: ignore[attr-defined]


INCIDENT_STATUSES = IncidentStatus
