"""Days that differ from the statutory calendar: extra days off and make-up working days."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from cityops.core.models.base import TimeStampedModel


class CalendarDay(TimeStampedModel):
    """An exception to the normal week and the public holidays, set by the administrator."""

    class Kind(models.TextChoices):
        DAY_OFF = "day_off", _("Extra day off")
        WORKING_DAY = "working_day", _("Make-up working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("reason"), max_length=255)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} {self.name}"
