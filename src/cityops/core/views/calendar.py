"""The working-calendar page: the year's public holidays and make-up days, and the administrator's exceptions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView

from cityops.core import workdays
from cityops.core.models import CalendarDay
from cityops.core.services.calendar import calendar_day_remove, calendar_day_set, can_manage_calendar

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date"), input_formats=DATE_FORMATS)
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CalendarDay.Kind.choices)
    name = forms.CharField(label=gettext_lazy("Reason"), max_length=255)


class CalendarRemoveForm(forms.Form):
    date = forms.DateField(input_formats=DATE_FORMATS)


def _year(raw: Any) -> int:
    try:
        year = int(str(raw))
    except (TypeError, ValueError):
        return timezone.localdate().year
    return year if workdays.MIN_YEAR <= year <= workdays.MAX_YEAR else timezone.localdate().year


class CalendarView(LoginRequiredMixin, TemplateView):
    """``calendar/?year=``: everyone signed in may read it; only administrators change it (POST)."""

    template_name = "core/calendar/year.html"
    http_method_names = ["get", "head", "post"]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        year = kwargs.get("year") or _year(self.request.GET.get("year"))
        days = workdays.year_overview(year)
        context.update(
            year=year,
            previous_year=year - 1 if year > workdays.MIN_YEAR else None,
            next_year=year + 1 if year < workdays.MAX_YEAR else None,
            holidays=[d for d in days if d.reason in ("holiday", "makeup_day")],
            exceptions=list(CalendarDay.objects.filter(date__year=year).order_by("date")),
            can_manage=can_manage_calendar(self.request.user),
            form=kwargs.get("form") or CalendarDayForm(initial={"kind": CalendarDay.Kind.DAY_OFF}),
            periods=workdays.working_periods(),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not can_manage_calendar(request.user):
            raise PermissionDenied(_("Only administrators can change the working calendar."))
        action = request.POST.get("action")
        if action == "remove":
            remove = CalendarRemoveForm(request.POST)
            if remove.is_valid():
                try:
                    calendar_day_remove(actor=request.user, date=remove.cleaned_data["date"])
                except ValidationError as exc:
                    messages.error(request, " ".join(exc.messages))
                else:
                    messages.success(request, _("The exception was removed."))
                return redirect(f"{reverse('core:calendar')}?year={remove.cleaned_data['date'].year}")
            messages.error(request, _("Enter a valid date."))
            return redirect(reverse("core:calendar"))
        form = CalendarDayForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                calendar_day_set(actor=request.user, date=data["date"], kind=data["kind"], name=data["name"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The exception was saved."))
                return redirect(f"{reverse('core:calendar')}?year={data['date'].year}")
        day = form.cleaned_data.get("date")
        context = self.get_context_data(form=form, year=_year(day.year) if day else None)
        return self.render_to_response(context, status=400)
