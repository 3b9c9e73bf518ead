"""`manage.py recompute_scores [--criteria-set CODE]`: recompute every unit's scores and ranks (SPEC §6)."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from criteria.models import CriteriaSet
from scoring.services import scored_units, scores_recompute


class Command(BaseCommand):
    help = (
        "Recompute every unit's scores and ranks from the source rows (idempotent: the same numbers as the "
        "automatic path). All criteria sets, oldest year first, or one with --criteria-set."
    )

    def add_arguments(self, parser):
        parser.add_argument("--criteria-set", dest="code", help="Only this criteria set (its code)")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar")

    def handle(self, *args, code=None, no_progress=False, **options):
        sets = CriteriaSet.objects.order_by("year", "created_at", "id")
        if code:
            sets = sets.filter(code=code)
            if not sets.exists():
                known = ", ".join(CriteriaSet.objects.order_by("code").values_list("code", flat=True))
                raise CommandError(
                    _("Không có bộ tiêu chí mã %(code)s. Các mã hiện có: %(known)s.")
                    % {"code": code, "known": known or "—"}
                )
        total_units, started = 0, time.monotonic()
        for cs in sets:
            set_started = time.monotonic()
            with tqdm(
                total=scored_units(cs).count(),
                desc=cs.code,
                unit="unit",
                disable=no_progress,
                file=self.stderr._out,
            ) as bar:
                done = scores_recompute(criteria_set=cs, progress=bar.update)
            total_units += done
            self.stdout.write(
                _("%(code)s: đã tính lại %(n)d đơn vị trong %(s).1f giây")
                % {"code": cs.code, "n": done, "s": time.monotonic() - set_started}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("Đã tính lại %(n)d đơn vị trong %(s).1f giây.")
                % {"n": total_units, "s": time.monotonic() - started}
            )
        )
