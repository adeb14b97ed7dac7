"""A stored word vector on the search index, with a GIN index, for PostgreSQL full-text matching.

The vector is built from the folded text with every run of non-alphanumeric characters turned into a space, so
its words are exactly the words ``search_terms`` splits a query into ("123/qd-ubnd" gives 123, qd, ubnd).
SQLite keeps matching with ``LIKE`` and gets nothing here.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    """ALTER TABLE core_searchentry ADD COLUMN search_vector tsvector GENERATED ALWAYS AS
       (to_tsvector('simple'::regconfig, regexp_replace(text, '[^[:alnum:]]+', ' ', 'g'))) STORED;""",
    # fastupdate off: a new row goes straight into the index instead of a pending list every search would scan.
    "CREATE INDEX core_searchentry_vector ON core_searchentry USING gin (search_vector) WITH (fastupdate = off);",
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS core_searchentry_vector;",
    "ALTER TABLE core_searchentry DROP COLUMN IF EXISTS search_vector;",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0003_live_events")]

    operations = [migrations.RunPython(_run(POSTGRES_FORWARD), _run(POSTGRES_BACKWARD))]
