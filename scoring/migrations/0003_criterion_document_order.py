"""Criterion.order becomes the position in the document (depth first), not the position among siblings, so
that ordering a set's criteria by it walks the tree as the file reads."""

from django.db import migrations


def renumber(apps, schema_editor):
    Criterion = apps.get_model("scoring", "Criterion")
    changed = []
    for set_id in Criterion.objects.values_list("criteria_set_id", flat=True).distinct():
        rows = list(Criterion.objects.filter(criteria_set_id=set_id).order_by("depth", "order", "id"))
        children = {}
        for row in rows:
            children.setdefault(row.parent_id, []).append(row)
        stack = list(reversed(children.get(None, [])))
        position = 0
        while stack:
            row = stack.pop()
            if row.order != position:
                row.order = position
                changed.append(row)
            position += 1
            stack.extend(reversed(children.get(row.pk, [])))
    Criterion.objects.bulk_update(changed, ["order"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("scoring", "0002_scores")]

    operations = [migrations.RunPython(renumber, migrations.RunPython.noop)]
