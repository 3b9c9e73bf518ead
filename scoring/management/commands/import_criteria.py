"""`manage.py import_criteria FILE`: import a criteria set from its YAML file (SPEC §6)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from scoring.services import criteria_set_import


class Command(BaseCommand):
    help = "Import a criteria set (Bộ tiêu chí) from its YAML file. A wrong file is refused whole."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the YAML file (see domain/criteria-format.md)")

    def handle(self, *args, file: str, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": file, "error": exc.strerror or exc}
            ) from None
        try:
            cs = criteria_set_import(data=data)
        except ValidationError as exc:
            lines = [m for messages in exc.message_dict.values() for m in messages]
            raise CommandError(
                _("%(file)s was refused; nothing was imported:") % {"file": file}
                + "".join(f"\n  - {m}" for m in lines)
            ) from None
        count = cs.criteria.count()
        leaves = cs.criteria.filter(rule__isnull=False).count()
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported %(code)s (%(name)s): %(count)d criteria, %(leaves)d scored leaves.")
                % {"code": cs.code, "name": cs.name, "count": count, "leaves": leaves}
            )
        )
