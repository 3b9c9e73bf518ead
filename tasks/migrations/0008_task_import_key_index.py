from django.db import migrations, models


class Migration(migrations.Migration):
    """An index on (plan, assignee unit, title), including the state, for the XLSX import's duplicate check
    (an index-only scan of the plan's tasks of the file's units and titles)."""

    dependencies = [
        ("tasks", "0007_task_comments"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="task",
            index=models.Index(
                fields=["plan", "assignee_unit", "title"], include=["state"], name="task_import_key_idx"
            ),
        ),
    ]
