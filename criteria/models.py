"""Criteria sets (Bộ tiêu chí) and their criteria tree (Tiêu chí): what a plan is scored against.

A set is imported whole from its YAML file (`criteria.services.criteria_set_import`, checked by
`criteria.criteria_file`) and never edited criterion by criterion. This app sits below `plans` (a plan is
bound to a set) and above `org`; the scores computed on a set live in `scoring`, above `tasks`.

These models lived in `scoring` until issue 12: migration criteria 0001 renamed their tables (rows and
ids kept); the constraint and index names still carry the `scoring_` prefix they were created with.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from org.models import UnitKind


class Part(models.TextChoices):
    EVIDENCE = "evidence", _("Tự đánh giá có tài liệu kiểm chứng")
    SURVEY = "survey", _("Điều tra xã hội học")


class CriteriaSet(models.Model):
    code = models.CharField(_("mã"), max_length=64, unique=True)
    name = models.CharField(_("tên"), max_length=500)
    year = models.PositiveSmallIntegerField(_("năm"))
    unit_kind = models.CharField(_("loại đơn vị"), max_length=16, choices=UnitKind.choices)
    period_start = models.DateField(_("từ ngày"))
    period_end = models.DateField(_("đến ngày"))
    #: The issuing authority (a province; before 2025 a district or a city): the set scores the units of its
    #: kind in this unit's subtree. None: a nationwide set, run by superusers only.
    owner_unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("đơn vị ban hành"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="criteria_sets",
    )
    #: Classes (xếp loại) as [[threshold percent, label], …], thresholds strictly descending, the last 0.
    classes = models.JSONField(_("xếp loại"), default=list, blank=True)
    #: Caps of the appraisers' bonus and penalty points; None: the set allows none.
    bonus_max = models.DecimalField(
        _("điểm thưởng tối đa"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    penalty_max = models.DecimalField(
        _("điểm trừ tối đa"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    source = models.TextField(_("tệp YAML gốc"), blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("bộ tiêu chí")
        verbose_name_plural = _("bộ tiêu chí")
        ordering = ["-year", "code"]
        constraints = [  # named when the model lived in scoring (see the module docstring)
            models.CheckConstraint(
                condition=Q(period_start__lte=models.F("period_end")), name="scoring_criteriaset_period"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def allows_adjustments(self) -> bool:
        return self.bonus_max is not None or self.penalty_max is not None


class Criterion(models.Model):
    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.CASCADE, related_name="criteria")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    code = models.CharField(_("mã"), max_length=32)
    title = models.CharField(_("tên tiêu chí"), max_length=500)
    max_points = models.DecimalField(_("điểm tối đa"), max_digits=6, decimal_places=2)
    part = models.CharField(_("phần"), max_length=16, choices=Part.choices, default=Part.EVIDENCE)
    rule = models.JSONField(_("quy tắc chấm"), null=True, blank=True)
    depth = models.PositiveSmallIntegerField(default=0)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("tiêu chí")
        verbose_name_plural = _("tiêu chí")
        ordering = ["criteria_set", "order"]
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "code"], name="scoring_criterion_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_leaf(self) -> bool:
        return self.rule is not None
