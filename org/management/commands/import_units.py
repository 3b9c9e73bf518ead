"""`manage.py import_units FILE`: create or update units from a CSV file (SPEC §6)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from org.services import units_import_csv


class Command(BaseCommand):
    help = (
        "Import units (Đơn vị) from a UTF-8 CSV file with the header code,name,kind,parent_code. Rows may "
        "come in any order; a parent may be an existing unit. A file with any bad row is refused whole."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the CSV file")

    def handle(self, *args, file: str, **options):
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Không đọc được %(file)s: %(error)s") % {"file": file, "error": exc.strerror or exc}
            ) from None
        try:
            result = units_import_csv(data=data)
        except ValidationError as exc:
            raise CommandError(
                _("%(file)s bị từ chối; không nhập dòng nào:") % {"file": file}
                + "".join(f"\n  - {m}" for m in exc.messages)
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                _("Đã nhập đơn vị: %(created)d đơn vị mới, %(updated)d đơn vị cập nhật.")
                % {"created": result.created, "updated": result.updated}
            )
        )
