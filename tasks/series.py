"""Recurring tasks (Nhiệm vụ định kỳ): a template with a schedule, whose occurrences the recurrence service
creates as ordinary tasks (`tasks.services.recurrence`, the pure schedule in `tasks.schedule`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Priority


class Schedule(models.TextChoices):
    MONTHLY = "monthly", _("Hằng tháng")
    QUARTERLY = "quarterly", _("Hằng quý")
    # BNV letter 581/BNV-CCHC: the Q1, 6-month, Q3 and annual reports, cut-offs 14/3, 14/6, 14/9, 14/12.
    REPORTS = "reports", _("Kỳ báo cáo CCHC (quý I, 6 tháng, quý III, năm)")
    YEARLY = "yearly", _("Hằng năm")
    RRULE = "rrule", _("Quy tắc RFC 5545 (RRULE)")


class TaskSeries(models.Model):
    """A recurring task (Nhiệm vụ định kỳ): a template with a schedule. Each occurrence is created as an
    ordinary task of the plan (`tasks.services.recurrence`), `lead_days` working days before it is due,
    for the chosen units or every unit of a kind in the plan's reach, until `ends_on`."""

    plan = models.ForeignKey(
        "plans.Plan", verbose_name=_("kế hoạch"), on_delete=models.PROTECT, related_name="series"
    )
    title = models.CharField(_("tên nhiệm vụ"), max_length=500)
    description = models.TextField(_("mô tả"), blank=True)
    criterion_code = models.CharField(_("mã tiêu chí"), max_length=32, blank=True)
    priority = models.CharField(
        _("mức ưu tiên"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    assignee_units = models.ManyToManyField(
        "org.Unit", verbose_name=_("đơn vị thực hiện"), blank=True, related_name="+"
    )
    # Or every unit of this kind in the plan's reach (a cascade target), read when each occurrence is made.
    unit_kind = models.CharField(_("mọi đơn vị cấp"), max_length=16, blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cán bộ chủ trì"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    schedule = models.CharField(_("lịch"), max_length=16, choices=Schedule.choices)
    rrule = models.TextField(_("quy tắc RRULE"), blank=True)
    # The due day in the period's last month (None: its last day; for the report periods, the cut-off).
    due_day = models.PositiveSmallIntegerField(
        _("ngày đến hạn"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(31)]
    )
    lead_days = models.PositiveSmallIntegerField(_("giao trước (ngày làm việc)"), default=10)
    starts_on = models.DateField(_("từ ngày"))
    ends_on = models.DateField(_("đến ngày"), null=True, blank=True)
    paused = models.BooleanField(_("tạm dừng"), default=False)
    skipped = models.JSONField(_("kỳ bỏ qua"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("nhiệm vụ định kỳ")
        verbose_name_plural = _("nhiệm vụ định kỳ")
        ordering = ["plan", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(schedule__in=Schedule.values), name="tasks_series_schedule"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="tasks_series_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def unit_kind_label(self) -> str:
        """The unit kind's name, for "every unit of this kind" (empty when the series names its units)."""
        from org.models import UnitKind

        return str(UnitKind(self.unit_kind).label) if self.unit_kind in UnitKind.values else ""

    # --- What the pages show (the schedule's own code computes it) -------------------------------------

    def upcoming(self, today: dt.date, *, count: int = 6, calendar=None) -> list[UpcomingOccurrence]:
        """The next `count` occurrences due from `today` (or from the start, if later), each due on its
        working day (`tasks.schedule.occurrences`), skipped ones included and marked. A preview for a series
        not yet saved as well: only its fields are read. Raises ValueError for a rule that cannot be read."""
        from org.calendar import get_calendar

        from . import schedule as sched

        calendar = calendar or get_calendar()
        start = max(self.starts_on, today)
        skipped = set(self.skipped or ())
        found: list[sched.Occurrence] = []
        # Look a year ahead, then further for sparse rules (a yearly schedule, an RRULE every few years).
        for years in (1, 3, 10):
            found = sched.occurrences(
                schedule=self.schedule,
                due_day=self.due_day,
                lead_days=self.lead_days,
                starts_on=start,
                ends_on=self.ends_on,
                until=start + dt.timedelta(days=366 * years),
                calendar=calendar,
                rrule_text=self.rrule,
            )
            if len(found) >= count:
                break
        return [
            UpcomingOccurrence(
                key=o.key,
                due=o.due,
                create_on=o.create_on,
                period_first=o.period.first,
                period_last=o.period.last,
                rule_date=sched.rule_date(o.period, self.schedule, self.due_day),
                skipped=o.key in skipped,
            )
            for o in found[:count]
        ]


@dataclass(frozen=True)
class UpcomingOccurrence:
    """One coming occurrence of a series as a page lists it: its period, the date the due-day rule gives,
    the working day it is due (later when the rule's date is a day off), the day it is created."""

    key: str
    due: dt.date
    create_on: dt.date
    period_first: dt.date
    period_last: dt.date
    rule_date: dt.date
    skipped: bool = False

    @property
    def moved(self) -> bool:
        return self.rule_date != self.due
