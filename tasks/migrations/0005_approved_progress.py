"""An approved task is done: its progress is 100 (`task_approve` sets it; tasks approved before it did kept
the last report, e.g. 60 %, on the pages, the export and the API). One UPDATE."""

from django.db import migrations


def forwards(apps, schema_editor):
    Task = apps.get_model("tasks", "Task")
    Task.objects.filter(state="approved").exclude(progress=100).update(progress=100)


class Migration(migrations.Migration):
    dependencies = [("tasks", "0004_alter_taskevent_action")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
