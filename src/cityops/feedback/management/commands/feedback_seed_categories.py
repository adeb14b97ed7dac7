"""``feedback_seed_categories``: load the standard feedback categories and response templates (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from cityops.core.models import Organization
from cityops.feedback.demo_data import CATEGORIES, TEMPLATES
from cityops.feedback.models import Category, ResponseTemplate


class Command(BaseCommand):
    help = "Create the standard feedback categories and response templates; existing ones are left alone."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        created = 0
        for order, item in enumerate(CATEGORIES, start=1):
            if Category.objects.filter(code=item["code"]).exists():
                continue
            category = Category(
                code=item["code"], name_vi=item["name_vi"], name_en=item["name_en"], kind=item["kind"],
                domain=item["domain"], group=item["group"], deadline_days=item.get("days"),
                deadline_hours=item.get("hours"), attributes=item.get("attributes", []), sort_order=order,
                default_agency=Organization.objects.filter(code=item["agency"]).first(),
            )  # fmt: skip
            category.full_clean()
            category.save()
            created += 1
        for order, (name, text) in enumerate(TEMPLATES, start=1):
            ResponseTemplate.objects.get_or_create(
                name=name, category=None, defaults={"text": text, "sort_order": order}
            )
        self.stdout.write(f"categories created: {created}")
