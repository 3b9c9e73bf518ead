"""Search ignoring case and accents (`plans.search`): on PostgreSQL the `unaccent` extension and an
IMMUTABLE wrapper `reform_fold(text)` = lower(unaccent(text)) with đ/Đ as d, its schema written out so that
it does not depend on the search_path. On SQLite the function is registered on each connection instead
(`plans.apps`): nothing to do here."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION reform_fold(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT lower({schema}.unaccent('{schema}.unaccent'::regdictionary, translate($1, 'đĐ', 'dD'))) $$
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        cursor.execute(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
            " WHERE e.extname = 'unaccent'"
        )
        schema = cursor.fetchone()[0]
        cursor.execute(FUNCTION.format(schema=schema_editor.connection.ops.quote_name(schema)))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS reform_fold(text)")


class Migration(migrations.Migration):
    dependencies = [("plans", "0002_criteria_set_in_criteria")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
