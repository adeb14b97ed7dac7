"""One row per searchable record, with diacritic-folded text so every database searches alike."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SearchEntry(models.Model):
    """The global search index. Candidates only: results are re-checked through each app's selector."""

    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    organization = models.ForeignKey(
        "core.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    title = models.CharField(_("title"), max_length=500)
    summary = models.CharField(_("summary"), max_length=1000, blank=True)
    url = models.CharField(max_length=500, blank=True)
    text = models.TextField(help_text="Folded (lower case, no diacritics) searchable text.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["object_type", "object_id"]
        constraints = [
            models.UniqueConstraint(fields=["object_type", "object_id"], name="core_searchentry_unique_object")
        ]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id} {self.title}"
