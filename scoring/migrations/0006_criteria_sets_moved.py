"""The other half of the move of CriteriaSet and Criterion to the criteria app (see criteria 0001): scoring's
foreign keys point at criteria's models and scoring's copies leave the state. Django's state only: no
table, column or constraint changes here; criteria 0002 then gives the tables their new names."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("criteria", "0001_initial"),
        ("plans", "0002_criteria_set_in_criteria"),
        ("scoring", "0005_leafscore_no_db_constraints"),
    ]

    state_operations = [
        migrations.AlterField(
            model_name="appraisal",
            name="criteria_set",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="appraisals", to="criteria.criteriaset"),
        ),
        migrations.AlterField(
            model_name="appraisal",
            name="criterion",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="appraisals", to="criteria.criterion"),
        ),
        migrations.AlterField(
            model_name="leafscore",
            name="criteria_set",
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="leaf_scores", to="criteria.criteriaset"),
        ),
        migrations.AlterField(
            model_name="leafscore",
            name="criterion",
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="leaf_scores", to="criteria.criterion"),
        ),
        migrations.AlterField(
            model_name="surveyresult",
            name="criteria_set",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="survey_results", to="criteria.criteriaset"),
        ),
        migrations.AlterField(
            model_name="surveyresult",
            name="criterion",
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="survey_results", to="criteria.criterion"),
        ),
        migrations.AlterField(
            model_name="unitscore",
            name="criteria_set",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name="unit_scores", to="criteria.criteriaset"),
        ),
        migrations.DeleteModel(name="Criterion"),
        migrations.DeleteModel(name="CriteriaSet"),
    ]

    operations = [migrations.SeparateDatabaseAndState(state_operations=state_operations, database_operations=[])]
