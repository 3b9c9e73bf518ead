"""CriteriaSet and Criterion move from scoring to this app, first in Django's state only: the models are
created here on the tables scoring made (`db_table` names them), and nothing in the database changes.

The move takes four steps, so that at every point the state and the database name the same tables:
1. here: the models exist twice in the state, on the same tables (scoring's copies are not used any more);
2. plans 0002 and scoring 0006: every foreign key in the state points here, and scoring deletes its copies
   (state only: a foreign key follows a table, in PostgreSQL by oid and in SQLite by name);
3. criteria 0002: the tables take this app's names (`AlterModelTable`, which Django carries out on
   PostgreSQL and SQLite alike, rows and ids kept), once nothing in the state names the old ones;
4. criteria 0003: the content types (and so the admin permissions given to users and groups) follow.

Why the rename waits for step 3 rather than happening here: from an empty database, plans 0001 (which
creates `plans_plan` with a foreign key to the set's table, as the state names it then) may run after this
migration, and a later migration that rebuilds a table on SQLite writes its foreign keys from the state;
both would name a table that was already renamed. Constraint and index names keep their `scoring_`
prefix: renaming them would gain nothing and cost a lock on the tables.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("scoring", "0005_leafscore_no_db_constraints"),
    ]

    state_operations = [
        migrations.CreateModel(
            name="CriteriaSet",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=64, unique=True, verbose_name="mã")),
                ("name", models.CharField(max_length=500, verbose_name="tên")),
                ("year", models.PositiveSmallIntegerField(verbose_name="năm")),
                ("unit_kind", models.CharField(choices=[("province", "Tỉnh, thành phố"), ("department", "Sở, ban, ngành"), ("district", "Huyện, thị xã, thành phố thuộc tỉnh"), ("commune", "Xã, phường, đặc khu")], max_length=16, verbose_name="loại đơn vị")),
                ("period_start", models.DateField(verbose_name="từ ngày")),
                ("period_end", models.DateField(verbose_name="đến ngày")),
                ("source", models.TextField(blank=True, editable=False, verbose_name="tệp YAML gốc")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "verbose_name": "bộ tiêu chí",
                "verbose_name_plural": "bộ tiêu chí",
                "ordering": ["-year", "code"],
                "constraints": [models.CheckConstraint(condition=models.Q(("period_start__lte", models.F("period_end"))), name="scoring_criteriaset_period")],
                "db_table": "scoring_criteriaset",
            },
        ),
        migrations.CreateModel(
            name="Criterion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=32, verbose_name="mã")),
                ("title", models.CharField(max_length=500, verbose_name="tên tiêu chí")),
                ("max_points", models.DecimalField(decimal_places=2, max_digits=6, verbose_name="điểm tối đa")),
                ("part", models.CharField(choices=[("evidence", "Tự đánh giá có tài liệu kiểm chứng"), ("survey", "Điều tra xã hội học")], default="evidence", max_length=16, verbose_name="phần")),
                ("rule", models.JSONField(blank=True, null=True, verbose_name="quy tắc chấm")),
                ("depth", models.PositiveSmallIntegerField(default=0)),
                ("order", models.PositiveIntegerField(default=0)),
                ("criteria_set", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="criteria", to="criteria.criteriaset")),
                ("parent", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="children", to="criteria.criterion")),
            ],
            options={
                "verbose_name": "tiêu chí",
                "verbose_name_plural": "tiêu chí",
                "ordering": ["criteria_set", "order"],
                "constraints": [models.UniqueConstraint(fields=("criteria_set", "code"), name="scoring_criterion_code_unique")],
                "db_table": "scoring_criterion",
            },
        ),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[])]
