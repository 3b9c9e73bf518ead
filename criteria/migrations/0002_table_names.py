"""The criteria tables take this app's names: scoring_criteriaset -> criteria_criteriaset and
scoring_criterion -> criteria_criterion (`ALTER TABLE … RENAME TO …`, on PostgreSQL and SQLite alike; rows,
ids and sequences kept, and foreign keys follow: PostgreSQL's by oid, SQLite rewrites them by name). It runs
once plans' and scoring's state point at this app's models (see criteria 0001 for the whole move)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("criteria", "0001_initial"),
        ("plans", "0002_criteria_set_in_criteria"),
        ("scoring", "0006_criteria_sets_moved"),
    ]

    operations = [
        migrations.AlterModelTable(name="criteriaset", table=None),
        migrations.AlterModelTable(name="criterion", table=None),
    ]
