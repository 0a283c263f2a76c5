"""On PostgreSQL the audit trail refuses UPDATE and DELETE, whoever connects.

The application never changes history rows; this makes the database refuse it too. A
demo reset (seed_demo --reset) may purge within its own transaction by setting
`registry.audit_purge = on` locally. SQLite, the development database, has no such guard.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION registry_refuse_audit_change() RETURNS trigger AS $$
BEGIN
    IF coalesce(current_setting('registry.audit_purge', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'The audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
"""


def audit_tables(apps):
    return [
        model._meta.db_table
        for model in apps.get_app_config("registry").get_models()
        if model.__name__.startswith("Historical")
    ]


def protect(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)  # the % are PL/pgSQL's, not placeholders
    for table in audit_tables(apps):
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION registry_refuse_audit_change()"
        )


def unprotect(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in audit_tables(apps):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS registry_refuse_audit_change()")


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(protect, unprotect)]
