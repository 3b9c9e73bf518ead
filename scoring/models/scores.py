"""Live scores on a criteria set: imported survey results, the appraisal council's points, and the derived
rows (a unit's totals and rank, its points per leaf) that the scoring services recompute from them, from the
round's self points and adjustments (`round`) and from the tasks. The sets and their criteria are
`criteria.models`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from criteria.models import CriteriaSet, Criterion


class SurveyResult(models.Model):
    """Imported sociological-survey points of one unit on one survey criterion."""

    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.CASCADE, related_name="survey_results")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="survey_results")
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="survey_results")
    points = models.DecimalField(_("điểm"), max_digits=8, decimal_places=4)
    imported_at = models.DateTimeField(_("thời điểm nhập"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("kết quả điều tra xã hội học")
        verbose_name_plural = _("kết quả điều tra xã hội học")
        constraints = [models.UniqueConstraint(fields=["criterion", "unit"], name="scoring_survey_unique")]
        indexes = [models.Index(fields=["criteria_set", "unit"])]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.criterion.code}: {self.points}"


class Appraisal(models.Model):
    """Points set by the appraisal council for one leaf of one unit, kept beside the automatic points."""

    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.CASCADE, related_name="appraisals")
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="appraisals")
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="appraisals")
    points = models.DecimalField(_("điểm thẩm định"), max_digits=8, decimal_places=4)
    note = models.TextField(_("ghi chú"), blank=True)
    appraiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("thời điểm"))

    class Meta:
        verbose_name = _("điểm thẩm định")
        verbose_name_plural = _("điểm thẩm định")
        constraints = [models.UniqueConstraint(fields=["criterion", "unit"], name="scoring_appraisal_unique")]
        indexes = [models.Index(fields=["criteria_set", "unit"])]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.criterion.code}: {self.points}"


class UnitScore(models.Model):
    """A unit's totals and rank on a criteria set: derived rows, recomputed from source rows, never edited."""

    #: The published score columns, in the order the API, the admin and the nightly reconciliation list
    #: them; the recompute writes all of them but `rank` (ranked per peer group afterwards).
    SCORE_FIELDS = (
        "evidence_points",
        "survey_points",
        "bonus",
        "penalty",
        "total",
        "applicable_max",
        "percent",
        "rank",
        "delta",
        "projected_total",
        "projected_percent",
        "class_label",
    )

    # Not indexed alone: the unique constraint and the ranking index lead with it.
    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.CASCADE, related_name="unit_scores", db_index=False
    )
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="scores")
    # The peer group (SPEC §3: same criteria set, same parent unit), kept here so ranking is one query.
    parent_unit = models.ForeignKey("org.Unit", null=True, on_delete=models.CASCADE, related_name="+")
    evidence_points = models.DecimalField(max_digits=9, decimal_places=4)
    survey_points = models.DecimalField(max_digits=9, decimal_places=4)
    bonus = models.DecimalField(max_digits=9, decimal_places=4, default=0)
    penalty = models.DecimalField(max_digits=9, decimal_places=4, default=0)
    #: evidence + survey + bonus - penalty, within 0..applicable max.
    total = models.DecimalField(max_digits=9, decimal_places=4)
    applicable_max = models.DecimalField(max_digits=9, decimal_places=4)
    percent = models.DecimalField(max_digits=9, decimal_places=4)
    projected_total = models.DecimalField(max_digits=9, decimal_places=4)
    projected_percent = models.DecimalField(max_digits=9, decimal_places=4)
    rank = models.PositiveIntegerField(null=True)
    delta = models.DecimalField(max_digits=9, decimal_places=4, null=True)
    #: The label of the set's first class whose threshold <= the percent shown (blank: the set has none).
    class_label = models.CharField(_("xếp loại"), max_length=64, blank=True, default="")
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("điểm chỉ số CCHC của đơn vị")
        verbose_name_plural = _("điểm chỉ số CCHC của đơn vị")
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "unit"], name="scoring_unitscore_unique")
        ]
        indexes = [models.Index(fields=["criteria_set", "parent_unit", "rank"])]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.total} ({self.percent}%)"


class LeafScore(models.Model):
    """A unit's points on one leaf criterion, with the counts they came from (derived, never edited)."""

    #: The columns the recompute writes besides the keys (criterion, unit), in its write order; the admin
    #: lists them too.
    SCORE_FIELDS = (
        "on_time",
        "late",
        "overdue",
        "pending",
        "metric",
        "auto_points",
        "projected_points",
        "self_points",
        "own_points",
        "appraised_points",
        "points",
        "excluded",
    )

    # A derived row: the scoring service is its only writer, and rebuilds it from the tasks at will. A set's
    # first computation writes some 120,000 of them, and every index and foreign-key check costs per row, so
    # the table carries only what its readers and its writer need:
    # - no foreign-key constraints in the database. The writer takes the unit ids under row locks on the
    #   units and the criterion ids from the set, in the same transaction, and the ORM cascades deletes of a
    #   unit, a criterion or a set. The constraints guarded nothing more and cost three checks per row at
    #   commit, about a third of the database's work in a first computation (benchmarks/README.md);
    # - the unique (criterion, unit) constraint, and one (unit, set) index: the breakdown and the upsert
    #   read a batch of units' rows on a set.
    criteria_set = models.ForeignKey(
        CriteriaSet,
        on_delete=models.CASCADE,
        related_name="leaf_scores",
        db_index=False,
        db_constraint=False,
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.CASCADE, related_name="leaf_scores", db_index=False, db_constraint=False
    )
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.CASCADE, related_name="leaf_scores", db_index=False, db_constraint=False
    )
    on_time = models.PositiveIntegerField(default=0)
    late = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    pending = models.PositiveIntegerField(default=0)
    metric = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    auto_points = models.DecimalField(max_digits=8, decimal_places=4)
    projected_points = models.DecimalField(max_digits=8, decimal_places=4)
    #: The unit's self points on a `manual` leaf (self-assessment); its own points are those, else the
    #: automatic points (SPEC §3a). The final `points` are the appraised points where set, else the own.
    self_points = models.DecimalField(max_digits=8, decimal_places=4, null=True)
    own_points = models.DecimalField(max_digits=8, decimal_places=4, default=0)
    appraised_points = models.DecimalField(max_digits=8, decimal_places=4, null=True)
    points = models.DecimalField(max_digits=8, decimal_places=4)
    excluded = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("điểm tiêu chí của đơn vị")
        verbose_name_plural = _("điểm tiêu chí của đơn vị")
        constraints = [models.UniqueConstraint(fields=["criterion", "unit"], name="scoring_leafscore_unique")]
        indexes = [models.Index(fields=["unit", "criteria_set"], name="scoring_leafscore_unit_set")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.criterion_id}: {self.points}"
