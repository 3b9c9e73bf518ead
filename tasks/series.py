"""Recurring tasks (Nhiệm vụ định kỳ): a template with a schedule, whose occurrences the recurrence service
creates as ordinary tasks (`tasks.services.recurrence`, the pure schedule in `tasks.schedule`)."""

from __future__ import annotations

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
