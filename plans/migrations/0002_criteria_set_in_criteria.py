"""Plan.criteria_set points at criteria.CriteriaSet, the model that moved from scoring (see criteria 0001):
a change of Django's state only, the column and its foreign key stay as they are."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("criteria", "0001_initial"),
        ("plans", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="plan",
                    name="criteria_set",
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="plans", to="criteria.criteriaset", verbose_name="bộ tiêu chí"),
                ),
            ],
            database_operations=[],
        ),
    ]
