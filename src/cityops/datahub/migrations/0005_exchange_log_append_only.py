"""The exchange log refuses UPDATE, DELETE and TRUNCATE at the database level, like the core's audit table."""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE TRIGGER datahub_exchangelog_no_update BEFORE UPDATE ON datahub_exchangelogentry
       BEGIN SELECT RAISE(ABORT, 'the exchange log is append-only'); END;""",
    """CREATE TRIGGER datahub_exchangelog_no_delete BEFORE DELETE ON datahub_exchangelogentry
       WHEN cityops_audit_locked()
       BEGIN SELECT RAISE(ABORT, 'the exchange log is append-only'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS datahub_exchangelog_no_update;",
    "DROP TRIGGER IF EXISTS datahub_exchangelog_no_delete;",
]
POSTGRES_FORWARD = [
    """CREATE OR REPLACE FUNCTION datahub_exchangelog_append_only() RETURNS trigger AS $$
       BEGIN
         IF current_setting('cityops.audit_maintenance', true) = 'on' THEN
           IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
           IF TG_OP = 'TRUNCATE' THEN RETURN NULL; END IF;
         END IF;
         RAISE EXCEPTION 'the exchange log is append-only';
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER datahub_exchangelog_no_change BEFORE UPDATE OR DELETE ON datahub_exchangelogentry
       FOR EACH ROW EXECUTE FUNCTION datahub_exchangelog_append_only();""",
    """CREATE TRIGGER datahub_exchangelog_no_truncate BEFORE TRUNCATE ON datahub_exchangelogentry
       FOR EACH STATEMENT EXECUTE FUNCTION datahub_exchangelog_append_only();""",
]
POSTGRES_BACKWARD = [
    "DROP TRIGGER IF EXISTS datahub_exchangelog_no_truncate ON datahub_exchangelogentry;",
    "DROP TRIGGER IF EXISTS datahub_exchangelog_no_change ON datahub_exchangelogentry;",
    "DROP FUNCTION IF EXISTS datahub_exchangelog_append_only();",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("datahub", "0004_versions_connectors_quality"), ("core", "0002_audit_append_only_and_search_index")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        )
    ]
