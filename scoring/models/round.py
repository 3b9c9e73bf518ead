"""The assessment round of a criteria set (Kỳ đánh giá, SPEC §3a): its state machine, each scored unit's
self-assessment (self points, explanations, criterion evidence, answers), the appraisers' bonus and
penalty, and the published results, frozen version by version.

Source rows (self points, adjustments) feed the live scores (`scores.UnitScore`, `scores.LeafScore`)
through the recompute, like appraisals and survey results. Published rows are written once, by the
publication step (`scoring.services.round.round_step`), and never again: a correction publishes a new
version beside them.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from criteria.models import CriteriaSet, Criterion
from tasks.models import evidence_upload_to


class RoundState(models.TextChoices):
    TRACKING = "tracking", _("Theo dõi")
    SELF_ASSESSMENT = "self_assessment", _("Tự đánh giá")
    APPRAISAL = "appraisal", pgettext_lazy("round", "Thẩm định")
    EXPLANATION = "explanation", _("Giải trình")
    FINAL_APPRAISAL = "final_appraisal", _("Thẩm định sau giải trình")
    PUBLISHED = "published", _("Đã công bố")


class RoundAction(models.TextChoices):
    """The round's transitions, as the API names them (`POST …/round/<action>/`) and the audit logs them."""

    OPEN_SELF_ASSESSMENT = "open_self_assessment", _("Mở tự đánh giá")
    START_APPRAISAL = "start_appraisal", _("Bắt đầu thẩm định")
    OPEN_EXPLANATION = "open_explanation", _("Mở giải trình")
    START_FINAL_APPRAISAL = "start_final_appraisal", _("Thẩm định sau giải trình")
    PUBLISH = "publish", _("Công bố kết quả")
    CORRECT = "correct", _("Đính chính")


#: Round states in which the live scores still move (before publication).
LIVE_STATES = tuple(s for s in RoundState.values if s != RoundState.PUBLISHED)


class Round(ConcurrentTransitionMixin, models.Model):
    """One criteria set's round: a row per set, created with the set's first score (or on first use)."""

    criteria_set = models.OneToOneField(
        CriteriaSet, primary_key=True, on_delete=models.CASCADE, related_name="round"
    )
    state = FSMField(_("giai đoạn"), default=RoundState.TRACKING, choices=RoundState.choices, protected=True)
    self_assessment_until = models.DateField(_("hạn tự đánh giá"), null=True, blank=True)
    explanation_until = models.DateField(_("hạn giải trình"), null=True, blank=True)
    decision_number = models.CharField(_("số quyết định"), max_length=64, blank=True)
    decided_on = models.DateField(_("ngày quyết định"), null=True, blank=True)
    #: Published versions so far (0 until the first publication; a correction's republication adds one).
    version = models.PositiveIntegerField(_("phiên bản"), default=0)
    #: Why the published results were reopened (đính chính); carried by the next version, then cleared.
    correction_reason = models.TextField(_("lý do đính chính"), blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("kỳ đánh giá")
        verbose_name_plural = _("kỳ đánh giá")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=RoundState.values), name="scoring_round_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criteria_set_id}: {self.state}"

    @property
    def is_published(self) -> bool:
        return self.state == RoundState.PUBLISHED

    # Transitions only change fields; `scoring.services.round` checks who may, saves and audits.
    @transition(field=state, source=RoundState.TRACKING, target=RoundState.SELF_ASSESSMENT)
    def open_self_assessment(self):
        pass

    @transition(field=state, source=RoundState.SELF_ASSESSMENT, target=RoundState.APPRAISAL)
    def start_appraisal(self):
        pass

    @transition(field=state, source=RoundState.APPRAISAL, target=RoundState.EXPLANATION)
    def open_explanation(self):
        pass

    @transition(field=state, source=RoundState.EXPLANATION, target=RoundState.FINAL_APPRAISAL)
    def start_final_appraisal(self):
        pass

    @transition(field=state, source=RoundState.FINAL_APPRAISAL, target=RoundState.PUBLISHED)
    def publish(self):
        pass

    @transition(field=state, source=RoundState.PUBLISHED, target=RoundState.FINAL_APPRAISAL)
    def correct(self):
        pass


class SelfAssessmentState(models.TextChoices):
    DRAFT = "draft", _("Đang tự đánh giá")
    SUBMITTED = "submitted", _("Đã gửi")


class SelfAssessment(models.Model):
    """A scored unit's self-assessment on a set: written when the round opens, submitted once (by its
    leaders, or as it stands at the deadline, then marked late)."""

    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.CASCADE, related_name="self_assessments", db_index=False
    )
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="self_assessments")
    state = models.CharField(
        _("trạng thái"), max_length=16, choices=SelfAssessmentState.choices, default=SelfAssessmentState.DRAFT
    )
    late = models.BooleanField(_("nộp muộn"), default=False)
    submitted_at = models.DateTimeField(_("thời điểm gửi"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("tự đánh giá")
        verbose_name_plural = _("tự đánh giá")
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "unit"], name="scoring_selfassessment_unique"),
            models.CheckConstraint(
                condition=Q(state__in=SelfAssessmentState.values), name="scoring_selfassessment_state_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.state}"

    @property
    def is_submitted(self) -> bool:
        return self.state == SelfAssessmentState.SUBMITTED


class LeafAssessment(models.Model):
    """A unit's word on one leaf: its self points (on a `manual` leaf), its explanation during the
    self-assessment, and its answer (giải trình) to an appraisal below its own points."""

    criteria_set = models.ForeignKey(
        CriteriaSet, on_delete=models.CASCADE, related_name="leaf_assessments", db_index=False
    )
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    self_points = models.DecimalField(
        _("điểm tự chấm"), max_digits=8, decimal_places=4, null=True, blank=True
    )
    explanation = models.TextField(_("thuyết minh"), blank=True)
    answer = models.TextField(_("giải trình"), blank=True)
    answered_at = models.DateTimeField(_("thời điểm giải trình"), null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("tự đánh giá tiêu chí")
        verbose_name_plural = _("tự đánh giá tiêu chí")
        constraints = [
            models.UniqueConstraint(fields=["criterion", "unit"], name="scoring_leafassessment_unique"),
        ]
        indexes = [models.Index(fields=["unit", "criteria_set"], name="scoring_leafassess_unit_set")]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.criterion_id}: {self.self_points}"


class EvidencePhase(models.TextChoices):
    SELF_ASSESSMENT = "self_assessment", _("Tự đánh giá")
    EXPLANATION = "explanation", _("Giải trình")


class CriterionEvidence(models.Model):
    """A unit's evidence file on one leaf, given with its self-assessment or its explanation (same file
    rules as task evidence: checked by content, hashed, stored under a generated name)."""

    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.CASCADE, related_name="+", db_index=False)
    criterion = models.ForeignKey(Criterion, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)
    phase = models.CharField(_("giai đoạn"), max_length=16, choices=EvidencePhase.choices)
    file = models.FileField(_("tệp"), upload_to=evidence_upload_to, max_length=255)
    original_name = models.CharField(_("tên tệp gốc"), max_length=255)
    content_type = models.CharField(_("kiểu nội dung"), max_length=128)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"))
    sha256 = models.CharField(max_length=64)
    doc_number = models.CharField(_("số văn bản"), max_length=64, blank=True)
    doc_date = models.DateField(_("ngày văn bản"), null=True, blank=True)
    description = models.TextField(_("trích yếu"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("thời điểm tải lên"), default=timezone.now)

    class Meta:
        verbose_name = _("tài liệu kiểm chứng tiêu chí")
        verbose_name_plural = _("tài liệu kiểm chứng tiêu chí")
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["unit", "criteria_set"], name="scoring_critevid_unit_set")]

    def __str__(self) -> str:
        return self.doc_number or self.original_name


class Adjustment(models.Model):
    """The appraisers' bonus and penalty points (điểm thưởng, điểm trừ) of one unit on a set, within the
    set's caps."""

    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.CASCADE, related_name="+", db_index=False)
    unit = models.ForeignKey("org.Unit", on_delete=models.CASCADE, related_name="+")
    bonus = models.DecimalField(_("điểm thưởng"), max_digits=8, decimal_places=2, default=0)
    penalty = models.DecimalField(_("điểm trừ"), max_digits=8, decimal_places=2, default=0)
    note = models.TextField(_("lý do"), blank=True)
    appraiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("điểm thưởng, điểm trừ")
        verbose_name_plural = _("điểm thưởng, điểm trừ")
        constraints = [
            models.UniqueConstraint(fields=["criteria_set", "unit"], name="scoring_adjustment_unique"),
            models.CheckConstraint(
                condition=Q(bonus__gte=0, penalty__gte=0), name="scoring_adjustment_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id}: +{self.bonus} -{self.penalty}"


class PublishedResult(models.Model):
    """One published version of a set's results: the decision that announced it."""

    # PROTECT: a published result outlives any attempt to delete its set, units or criteria.
    criteria_set = models.ForeignKey(CriteriaSet, on_delete=models.PROTECT, related_name="published_results")
    version = models.PositiveIntegerField(_("phiên bản"))
    decision_number = models.CharField(_("số quyết định"), max_length=64)
    decided_on = models.DateField(_("ngày quyết định"))
    published_at = models.DateTimeField(_("thời điểm công bố"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: Why the version before was corrected (đính chính); blank on the first version.
    correction_reason = models.TextField(_("lý do đính chính"), blank=True)
    #: The decision's annex as PDF, rendered once after publication (a version never changes).
    annex = models.FileField(_("phụ lục (PDF)"), upload_to="published/%Y/", blank=True, max_length=255)

    class Meta:
        verbose_name = _("kết quả công bố")
        verbose_name_plural = _("kết quả công bố")
        ordering = ["criteria_set", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["criteria_set", "version"], name="scoring_published_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.decision_number} (v{self.version})"


class PublishedScore(models.Model):
    """A unit's totals, rank and class as published in one version: written once, never updated."""

    #: Copied from the live row at publication, in this order.
    FROZEN_FIELDS = (
        "parent_unit_id",
        "evidence_points",
        "survey_points",
        "bonus",
        "penalty",
        "total",
        "applicable_max",
        "percent",
        "rank",
        "delta",
        "class_label",
    )

    result = models.ForeignKey(
        PublishedResult, on_delete=models.CASCADE, related_name="scores", db_index=False
    )
    # The names as they were published: a unit renamed or merged later leaves the decision's table as it was.
    unit_code = models.CharField(max_length=64, default="")
    unit_name = models.CharField(max_length=255, default="")
    parent_name = models.CharField(max_length=255, default="")
    unit = models.ForeignKey("org.Unit", on_delete=models.PROTECT, related_name="+", db_constraint=False)
    parent_unit = models.ForeignKey(
        "org.Unit", null=True, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    evidence_points = models.DecimalField(max_digits=9, decimal_places=4)
    survey_points = models.DecimalField(max_digits=9, decimal_places=4)
    bonus = models.DecimalField(max_digits=9, decimal_places=4)
    penalty = models.DecimalField(max_digits=9, decimal_places=4)
    total = models.DecimalField(max_digits=9, decimal_places=4)
    applicable_max = models.DecimalField(max_digits=9, decimal_places=4)
    percent = models.DecimalField(max_digits=9, decimal_places=4)
    rank = models.PositiveIntegerField(null=True)
    delta = models.DecimalField(max_digits=9, decimal_places=4, null=True)
    class_label = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("điểm đã công bố")
        verbose_name_plural = _("điểm đã công bố")
        constraints = [
            models.UniqueConstraint(fields=["result", "unit"], name="scoring_publishedscore_unique")
        ]
        indexes = [models.Index(fields=["result", "parent_unit", "rank"], name="scoring_pubscore_rank")]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.total} ({self.percent}%)"


class PublishedLeaf(models.Model):
    """A unit's points on one leaf as published in one version (never updated). Like `LeafScore`, a bulk
    table: no foreign-key constraints beyond the version's."""

    FROZEN_FIELDS = ("auto_points", "self_points", "own_points", "appraised_points", "points", "excluded")

    result = models.ForeignKey(
        PublishedResult, on_delete=models.CASCADE, related_name="leaves", db_index=False
    )
    criterion = models.ForeignKey(
        Criterion, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    auto_points = models.DecimalField(max_digits=8, decimal_places=4)
    self_points = models.DecimalField(max_digits=8, decimal_places=4, null=True)
    own_points = models.DecimalField(max_digits=8, decimal_places=4)
    appraised_points = models.DecimalField(max_digits=8, decimal_places=4, null=True)
    points = models.DecimalField(max_digits=8, decimal_places=4)
    excluded = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("điểm tiêu chí đã công bố")
        verbose_name_plural = _("điểm tiêu chí đã công bố")
        constraints = [
            models.UniqueConstraint(
                fields=["result", "unit", "criterion"], name="scoring_publishedleaf_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.criterion_id}: {self.points}"
