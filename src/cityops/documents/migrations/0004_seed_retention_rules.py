"""Seed generic retention periods so case files can be opened at once.

The TT 10/2022/TT-BNV tables themselves are not in our sources: the rules below are generic periods an
administrator renames and gives their legal basis (or replaces) in the admin.
"""

from django.db import migrations

RULES = [
    ("vinh-vien", "Vĩnh viễn", None),
    ("70-nam", "70 năm", 70),
    ("20-nam", "20 năm", 20),
    ("10-nam", "10 năm", 10),
    ("5-nam", "5 năm", 5),
]


def seed(apps, schema_editor):
    RetentionRule = apps.get_model("documents", "RetentionRule")
    for code, name, years in RULES:
        RetentionRule.objects.update_or_create(code=code, defaults={"name": name, "years": years})


def unseed(apps, schema_editor):
    apps.get_model("documents", "RetentionRule").objects.filter(code__in=[r[0] for r in RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("documents", "0003_case_files")]

    operations = [migrations.RunPython(seed, unseed)]
