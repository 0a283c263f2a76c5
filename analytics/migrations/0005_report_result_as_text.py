from django.db import migrations, models


def forget_results(apps, schema_editor):
    """Stored results are a cache of computations: those kept as jsonb have lost their key
    order, so they are computed again rather than converted."""
    apps.get_model("analytics", "ReportResult").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_snapshot_in_doubt"),
    ]

    operations = [
        migrations.RunPython(forget_results, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="reportresult",
            name="result",
            field=models.TextField(),
        ),
    ]
