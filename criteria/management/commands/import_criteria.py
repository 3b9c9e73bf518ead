"""`manage.py import_criteria FILE [--owner CODE] [--as-user USERNAME]`: import a criteria set from its YAML
file (SPEC §6).

`--owner CODE` names the issuing unit by its code, overriding the file's `owner` (as the API's
`owner_unit` does). Who runs it: the operator with shell access to the server, who is trusted (the system
itself, as the demo loaders are). `--as-user` imports on behalf of an account instead, refused unless that
account may (`criteria.permissions.can_manage_criteria_set`, the same rule as the API and the admin)."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from criteria.services import criteria_set_import
from org.models import Unit


class Command(BaseCommand):
    help = (
        "Import a criteria set (Bộ tiêu chí) from its YAML file. A wrong file is refused whole. Without "
        "--as-user the command runs as the operator of the server, who is trusted; with --as-user USERNAME "
        "it imports as that account and is refused unless the account may run the set (a set with no owner "
        "unit: a superuser). --owner CODE names the issuing unit, overriding the file's owner."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the YAML file (see domain/criteria-format.md)")
        parser.add_argument(
            "--owner",
            metavar="CODE",
            help="Code of the issuing unit (overrides the file's owner): the set scores the units of its "
            "kind below it.",
        )
        parser.add_argument(
            "--as-user",
            dest="as_user",
            metavar="USERNAME",
            help="Import on behalf of this account, with its rights, instead of as the trusted operator.",
        )

    def handle(self, *args, file: str, as_user: str | None = None, owner: str | None = None, **options):
        actor = None  # the operator: trusted
        if as_user is not None:
            actor = get_user_model().objects.filter(username=as_user, is_active=True).first()
            if actor is None:
                raise CommandError(_("Không có người dùng đang hoạt động %(name)s.") % {"name": as_user})
        owner_unit = None
        if owner is not None:
            owner_unit = Unit.objects.filter(code=owner.strip()).first()
            if owner_unit is None:
                raise CommandError(
                    _("Không có đơn vị mã %(code)s (--owner); chưa nhập gì.") % {"code": repr(owner)}
                )
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Không đọc được %(file)s: %(error)s") % {"file": file, "error": exc.strerror or exc}
            ) from None
        try:
            cs = criteria_set_import(data=data, actor=actor, owner_unit=owner_unit)
        except PermissionDenied as exc:
            raise CommandError(
                _("%(file)s bị từ chối; chưa nhập gì: %(reason)s") % {"file": file, "reason": exc}
            ) from None
        except ValidationError as exc:
            lines = [m for messages in exc.message_dict.values() for m in messages]
            raise CommandError(
                _("%(file)s bị từ chối; không nhập dòng nào:") % {"file": file}
                + "".join(f"\n  - {m}" for m in lines)
            ) from None
        count = cs.criteria.count()
        leaves = cs.criteria.filter(rule__isnull=False).count()
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Đã nhập %(code)s (%(name)s): %(count)d tiêu chí, "
                    "%(leaves)d tiêu chí thành phần được chấm điểm."
                )
                % {"code": cs.code, "name": cs.name, "count": count, "leaves": leaves}
            )
        )
        if cs.owner_unit is not None:
            self.stdout.write(_("Đơn vị ban hành: %(unit)s.") % {"unit": cs.owner_unit})
