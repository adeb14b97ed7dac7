"""Forms of the directives pages: they only parse input; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from cityops.core.choices import Domain
from cityops.core.models import Membership, Organization
from cityops.directives.choices import Priority, SourceKind
from cityops.directives.permissions import DIRECTING_ROLES, directable_organizations

MAX_TASK_ROWS = 20


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class DirectiveForm(forms.Form):
    organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Issued by"))
    title = forms.CharField(label=_("Title"), max_length=500)
    content = forms.CharField(label=_("Content of the direction"), widget=forms.Textarea(attrs={"rows": 4}),
                              required=False, max_length=20_000)  # fmt: skip
    source_kind = forms.ChoiceField(label=_("Source"), choices=SourceKind.choices, initial=SourceKind.MEETING)
    domain = forms.ChoiceField(label=_("Domain"), choices=Domain.choices, initial=Domain.GOVERNANCE)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        own = Membership.objects.filter(user=user, role__in=DIRECTING_ROLES).values("organization_id")
        qs = Organization.objects.active().filter(pk__in=own)
        field = self.fields["organization"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = qs
        if qs.count() == 1:
            field.initial = qs.first()


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task"), max_length=500)
    lead_agency = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Lead agency"))
    supporting_agencies = forms.ModelMultipleChoiceField(
        queryset=Organization.objects.none(), label=_("Supporting agencies"), required=False
    )
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DateInput())
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    expected_result = forms.CharField(label=_("Expected result"), required=False, max_length=20_000,
                                      widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = directable_organizations(user).order_by("path")
        for name in ("lead_agency", "supporting_agencies"):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = qs


TaskFormSet = formset_factory(TaskForm, extra=3, max_num=MAX_TASK_ROWS, validate_max=True)


def task_formset_class(rows: int) -> Any:
    """A formset showing ``rows`` empty task blocks (1 to ``MAX_TASK_ROWS``), for "more agencies" without JS."""
    rows = max(1, min(rows, MAX_TASK_ROWS))
    return formset_factory(TaskForm, extra=rows, max_num=MAX_TASK_ROWS, validate_max=True, absolute_max=MAX_TASK_ROWS)


class ProgressForm(forms.Form):
    percentage = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)
    text = forms.CharField(label=_("Report"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000)


class CompletionForm(forms.Form):
    text = forms.CharField(label=_("Result achieved"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20_000)


class ExtensionForm(forms.Form):
    requested_deadline = forms.DateField(label=_("New deadline"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=20_000)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=20_000)


class DecisionForm(forms.Form):
    extension = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("refuse", _("Refuse"))])
    note = forms.CharField(label=_("Note"), required=False, max_length=20_000)


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("Assigned from"), required=False, widget=DateInput())
    end = forms.DateField(label=_("Assigned until"), required=False, widget=DateInput())
