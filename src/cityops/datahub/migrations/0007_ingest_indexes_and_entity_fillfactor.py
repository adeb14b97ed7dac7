"""Cheaper ingest: drop the observation index the unique index already covers; room for in-place entity updates.

Every ingested value paid for four index entries; the single-column index on ``entity_id`` duplicates the
leading column of ``datahub_observation_unique_instant``, which serves the same lookups. Every NGSI-LD
upsert rewrites its entities' latest values; with free space on their pages PostgreSQL updates them in
place (HOT), without new entries in the entity table's eight indexes.
"""

import django.db.models.deletion
from django.db import migrations, models

ENTITY_FILLFACTOR = 50
OLD_INDEX = "datahub_observation_entity_id_ac3e504b"


def _fillfactor(apps, schema_editor, value: int | None) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("datahub", "Entity")._meta.db_table)
    if value is None:
        schema_editor.execute(f"ALTER TABLE {table} RESET (fillfactor)")
    else:
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {int(value)})")


def forwards(apps, schema_editor):
    _fillfactor(apps, schema_editor, ENTITY_FILLFACTOR)


def backwards(apps, schema_editor):
    _fillfactor(apps, schema_editor, None)


class Migration(migrations.Migration):
    dependencies = [
        ("datahub", "0006_exchange_action_export_version"),
    ]

    operations = [
        # Only the index goes: AlterField would also drop and re-create (and so re-check) the foreign key.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="observation",
                    name="entity",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="observations",
                        to="datahub.entity",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    sql=f"DROP INDEX IF EXISTS {OLD_INDEX}",
                    reverse_sql=f"CREATE INDEX {OLD_INDEX} ON datahub_observation (entity_id)",
                ),
            ],
        ),
        migrations.RunPython(forwards, backwards),
    ]
