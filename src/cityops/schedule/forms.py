"""Forms of the work-calendar pages; they only parse input; the services decide."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cityops.core.models import Organization, User
from cityops.core.permissions import ALL_STAFF_ROLES
from cityops.schedule import selectors
from cityops.schedule.choices import FeedKind, Session
from cityops.schedule.ical import MAX_IMPORT_BYTES
from cityops.schedule.models import MAX_CONTENT_LENGTH, Room
from cityops.schedule.recurrence import MAX_OCCURRENCES, build_rule

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def _staff() -> Any:
    return (
        User.objects.filter(is_active=True, is_service_account=False, memberships__role__in=ALL_STAFF_ROLES)
        .distinct()
        .order_by("full_name", "username")
    )


class EventForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=Organization.objects.none())
    leader = forms.ModelChoiceField(label=_("Presiding leader"), queryset=User.objects.none())
    day = forms.DateField(
        label=pgettext_lazy("event date", "Day"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    start_time = forms.TimeField(label=_("Start"), widget=forms.TimeInput(attrs={"type": "time"}))
    end_time = forms.TimeField(label=_("End"), widget=forms.TimeInput(attrs={"type": "time"}))
    session = forms.ChoiceField(
        label=_("Session"), required=False, choices=[("", _("From the start time")), *Session.choices]
    )
    content = forms.CharField(
        label=_("Content"), max_length=MAX_CONTENT_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    location = forms.CharField(label=_("Location"), max_length=255, required=False)
    room = forms.ModelChoiceField(label=_("Meeting room"), queryset=Room.objects.none(), required=False)
    participants = forms.ModelMultipleChoiceField(label=_("Participants"), queryset=User.objects.none(), required=False)
    participating_agencies = forms.ModelMultipleChoiceField(
        label=_("Participating agencies"), queryset=Organization.objects.none(), required=False
    )
    preparing_agency = forms.ModelChoiceField(
        label=_("Preparing agency"), queryset=Organization.objects.none(), required=False
    )
    accompanying_staff = forms.CharField(label=_("Accompanying staff"), max_length=500, required=False)
    is_private = forms.BooleanField(label=_("Private (only the leader and secretaries see it)"), required=False)
    repeat = forms.ChoiceField(
        label=_("Repeats"), required=False,
        choices=[("", _("Does not repeat")), ("DAILY", _("Every day")), ("WEEKLY", _("Every week")),
                 ("MONTHLY", _("Every month"))],
    )  # fmt: skip
    repeat_interval = forms.IntegerField(label=_("Every how many (days, weeks, months)"), min_value=1,
                                         max_value=52, required=False)  # fmt: skip
    repeat_until = forms.DateField(
        label=_("Repeat until"), input_formats=DATE_FORMATS, required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
    repeat_count = forms.IntegerField(label=_("Or number of times"), min_value=1, max_value=MAX_OCCURRENCES,
                                      required=False)  # fmt: skip
    repeat_except = forms.CharField(
        label=_("Except on (dates, comma-separated)"), max_length=2000, required=False,
        help_text=_("For example 01/01/2027, 17/02/2027"),
    )  # fmt: skip

    def __init__(self, *args: Any, actor: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = selectors.organization_choices(actor)  # type: ignore[attr-defined]
        self.fields["leader"].queryset = selectors.leader_choices(actor)  # type: ignore[attr-defined]
        self.fields["room"].queryset = selectors.room_choices(actor)  # type: ignore[attr-defined]
        self.fields["participants"].queryset = _staff()  # type: ignore[attr-defined]
        active = Organization.objects.filter(is_active=True)
        self.fields["participating_agencies"].queryset = active  # type: ignore[attr-defined]
        self.fields["preparing_agency"].queryset = active  # type: ignore[attr-defined]
        if editing:
            del self.fields["organization"], self.fields["leader"]
            for name in ("repeat", "repeat_interval", "repeat_until", "repeat_count", "repeat_except"):
                del self.fields[name]

    def clean_repeat_except(self) -> list[date]:
        """Days left out of a series: ``dd/mm/yyyy`` or ``yyyy-mm-dd``, separated by commas or spaces."""
        days: list[date] = []
        for raw in (self.cleaned_data.get("repeat_except") or "").replace(";", ",").replace(" ", ",").split(","):
            if not raw:
                continue
            for pattern in DATE_FORMATS:
                try:
                    days.append(datetime.strptime(raw, pattern).date())  # noqa: DTZ007 - a calendar day
                    break
                except ValueError:
                    continue
            else:
                raise forms.ValidationError(_("%(value)s is not a date.") % {"value": raw[:20]})
        return days

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("repeat_until") and data.get("repeat_count"):
            self.add_error("repeat_count", _("Give an end date or a number of times, not both."))
        if data.get("repeat_until") and data.get("day") and data["repeat_until"] < data["day"]:
            self.add_error("repeat_until", _("The repeat end must not be before the first day."))
        return data

    def service_values(self) -> dict[str, Any]:
        """Keyword arguments for ``event_create``/``event_update``, times made local-aware."""
        data = self.cleaned_data
        tz = ZoneInfo(settings.TIME_ZONE)
        values = {
            "start": datetime.combine(data["day"], data["start_time"], tzinfo=tz),
            "end": datetime.combine(data["day"], data["end_time"], tzinfo=tz),
            "session": data.get("session") or "",
            "content": data["content"],
            "location": data.get("location") or "",
            "room": data.get("room"),
            "participants": list(data.get("participants") or []),
            "participating_agencies": list(data.get("participating_agencies") or []),
            "preparing_agency": data.get("preparing_agency"),
            "accompanying_staff": data.get("accompanying_staff") or "",
            "is_private": bool(data.get("is_private")),
        }
        if "organization" in self.fields:
            values["organization"] = data["organization"]
            values["leader"] = data["leader"]
            values["recurrence"] = build_rule(
                freq=data.get("repeat") or "", interval=data.get("repeat_interval") or 1,
                until=data.get("repeat_until"), count=data.get("repeat_count"),
            )  # fmt: skip
            values["exceptions"] = data.get("repeat_except") or []
        return values


class ImportForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=Organization.objects.none())
    leader = forms.ModelChoiceField(label=_("Presiding leader"), queryset=User.objects.none())
    file = forms.FileField(label=_("iCalendar file (.ics)"))

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = selectors.organization_choices(actor)  # type: ignore[attr-defined]
        self.fields["leader"].queryset = selectors.leader_choices(actor)  # type: ignore[attr-defined]

    def read_file(self) -> bytes:
        """At most one byte more than the limit, so a huge upload is never read whole."""
        upload = self.cleaned_data["file"]
        return upload.read(MAX_IMPORT_BYTES + 1)


class FeedForm(forms.Form):
    kind = forms.ChoiceField(label=_("Feed of"), choices=FeedKind.choices)
    person = forms.ModelChoiceField(
        label=pgettext_lazy("calendar feed", "Person"), queryset=User.objects.none(), required=False
    )
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Organization.objects.none(), required=False)
    room = forms.ModelChoiceField(label=_("Meeting room"), queryset=Room.objects.none(), required=False)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = selectors.feed_people(actor)  # type: ignore[attr-defined]
        self.fields["agency"].queryset = selectors.organization_choices(actor)  # type: ignore[attr-defined]
        self.fields["room"].queryset = selectors.room_choices(actor)  # type: ignore[attr-defined]


class RoomForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=Organization.objects.none())
    name = forms.CharField(label=_("Name"), max_length=255)
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=100_000, required=False)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = selectors.managed_organizations(actor)  # type: ignore[attr-defined]


class SecretaryForm(forms.Form):
    organization = forms.ModelChoiceField(label=_("Organisation"), queryset=Organization.objects.none())
    leader = forms.ModelChoiceField(label=_("Leader"), queryset=User.objects.none())
    secretary = forms.ModelChoiceField(label=_("Secretary"), queryset=User.objects.none())
    can_edit = forms.BooleanField(
        label=_("May add and change items (otherwise view only)"), required=False, initial=True
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = selectors.organization_choices(actor)  # type: ignore[attr-defined]
        self.fields["leader"].queryset = selectors.leader_choices(actor)  # type: ignore[attr-defined]
        self.fields["secretary"].queryset = _staff()  # type: ignore[attr-defined]
