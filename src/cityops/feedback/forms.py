"""Forms of the citizen pages; they only carry and redisplay input, the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cityops.core.models import Organization
from cityops.feedback.choices import Kind
from cityops.feedback.models import MAX_DESCRIPTION, Category
from cityops.feedback.selectors import public_areas

__all__ = ["RateForm", "ReopenForm", "ReportForm"]


class ReportForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), empty_label=_("Choose a category")
    )
    description = forms.CharField(
        label=_("What is the problem?"), max_length=MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": MAX_DESCRIPTION}),
    )  # fmt: skip
    lat = forms.CharField(label=_("Latitude"), required=False, max_length=32)
    long = forms.CharField(label=_("Longitude"), required=False, max_length=32)
    address = forms.CharField(label=_("Address or landmark"), required=False, max_length=255)
    area = forms.ModelChoiceField(
        label=_("Commune or ward"), queryset=Organization.objects.none(), required=False,
        empty_label=_("I do not know"),
    )  # fmt: skip
    is_anonymous = forms.BooleanField(label=_("Hide my identity from the handling agency"), required=False)
    contact_name = forms.CharField(label=_("Your name"), required=False, max_length=120)
    contact_email = forms.EmailField(label=_("Email"), required=False)
    contact_phone = forms.CharField(label=_("Phone"), required=False, max_length=20)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Category.objects.filter(is_active=True)
        # Grouped by kind (problem, idea, business feedback): each kind has its own categories and handling.
        groups: list[Any] = [("", field.empty_label)]
        for kind, label in Kind.choices:
            options = [(c.pk, c.name) for c in field.queryset if c.kind == kind]
            if options:
                groups.append((label, options))
        field.choices = groups
        area = self.fields["area"]
        assert isinstance(area, forms.ModelChoiceField)
        area.queryset = public_areas()
        for name in ("lat", "long"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})


class RateForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with the answer?"), coerce=int,
        choices=[(i, str(i)) for i in range(5, 0, -1)], widget=forms.RadioSelect,
    )  # fmt: skip
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("What is still wrong?"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
