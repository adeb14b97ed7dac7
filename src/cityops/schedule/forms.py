"""Forms of the work-calendar pages; they only parse input; the services decide."""

from __future__ import annotations

from datetime import datetime
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

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = selectors.organization_choices(actor)  # type: ignore[attr-defined]
        self.fields["leader"].queryset = selectors.leader_choices(actor)  # type: ignore[attr-defined]
        self.fields["secretary"].queryset = _staff()  # type: ignore[attr-defined]
