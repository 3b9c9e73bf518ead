"""The content types of the moved models follow them from scoring to criteria, so that the admin
permissions given to users and groups (add/change/delete/view of a criteria set or a criterion) and the
admin's history keep pointing at them. A database made from empty has no such rows yet (they are created
after `migrate`): nothing to do there."""

from django.db import migrations

MODELS = ("criteriaset", "criterion")


def _move(apps, schema_editor, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    rows = ContentType.objects.using(schema_editor.connection.alias)
    for model in MODELS:
        if not rows.filter(app_label=source, model=model).exists():
            continue
        # A row under the target exists only if a `migrate` stopped between criteria 0001 and here created
        # it: it is new and holds nothing yet, while the source row holds what users were given.
        rows.filter(app_label=target, model=model).delete()
        rows.filter(app_label=source, model=model).update(app_label=target)


def forwards(apps, schema_editor):
    _move(apps, schema_editor, source="scoring", target="criteria")


def backwards(apps, schema_editor):
    _move(apps, schema_editor, source="criteria", target="scoring")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("criteria", "0002_table_names"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
