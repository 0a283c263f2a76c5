"""A line may be in maintenance from its first day: start <= maintenance start <= end.

Only widens the constraint, so every existing line still satisfies it.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("registry", "0006_canonical_record_numbers_and_birth_dates")]

    operations = [
        migrations.RemoveConstraint(model_name="treatmentline", name="maintenance_inside_line"),
        migrations.AddConstraint(
            model_name="treatmentline",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("maintenance_start_date__isnull", True),
                    models.Q(
                        ("maintenance_start_date__gte", models.F("start_date")),
                        models.Q(
                            ("end_date__isnull", True),
                            ("maintenance_start_date__lte", models.F("end_date")),
                            _connector="OR",
                        ),
                    ),
                    _connector="OR",
                ),
                name="maintenance_inside_line",
            ),
        ),
    ]
