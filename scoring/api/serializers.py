"""Serializers of the scoring API (SPEC §5). Reads only: writes go through `scoring.services`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from scoring.models import UnitScore


def _points(**kw) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=9, decimal_places=4, read_only=True, **kw)


class ScoreRowSerializer(serializers.ModelSerializer):
    """One row of the ranking table."""

    unit_code = serializers.CharField(source="unit.code", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    parent = serializers.IntegerField(source="parent_unit_id", read_only=True, allow_null=True)
    # SPEC §5 names the field `class`, a Python keyword: declared through the class namespace.
    vars()["class"] = serializers.CharField(source="class_label", read_only=True)

    class Meta:
        model = UnitScore
        fields = [
            "unit",
            "unit_code",
            "unit_name",
            "parent",
            *(f for f in UnitScore.SCORE_FIELDS if f != "class_label"),
            "class",
            "computed_at",
        ]
        read_only_fields = fields


class LinkedTaskSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    title = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True, help_text="on_time, late, overdue or pending")
    effective_due_date = serializers.DateField(read_only=True, allow_null=True)
    metric_value = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, allow_null=True)


class TaskCountsSerializer(serializers.Serializer):
    on_time = serializers.IntegerField(read_only=True)
    late = serializers.IntegerField(read_only=True)
    overdue = serializers.IntegerField(read_only=True)
    pending = serializers.IntegerField(read_only=True)


class BreakdownNodeSerializer(serializers.Serializer):
    """One criterion of a unit's breakdown (a `scoring.selectors.NodeScore`). Leaf-only fields are null
    (or empty) on nodes with children."""

    code = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    part = serializers.CharField(read_only=True)
    depth = serializers.IntegerField(read_only=True)
    parent = serializers.CharField(source="parent_code", read_only=True, allow_null=True)
    leaf = serializers.BooleanField(source="is_leaf", read_only=True)
    rule_type = serializers.CharField(read_only=True, allow_null=True)
    max = _points(source="max_points")
    applicable_max = _points()
    auto_points = _points()
    appraised_points = _points(allow_null=True)
    points = _points()
    projected_points = _points()
    points_lost = _points()
    points_to_win = _points()
    excluded = serializers.BooleanField(read_only=True)
    counts = serializers.SerializerMethodField()
    metric = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True, allow_null=True)
    reason = serializers.CharField(read_only=True)
    appraisal_note = serializers.CharField(read_only=True)
    tasks = LinkedTaskSerializer(many=True, read_only=True)

    @extend_schema_field(TaskCountsSerializer(allow_null=True))
    def get_counts(self, obj) -> dict | None:
        if not obj.is_leaf:
            return None
        return {"on_time": obj.on_time, "late": obj.late, "overdue": obj.overdue, "pending": obj.pending}


class UnitBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)


class BreakdownSerializer(serializers.Serializer):
    """A unit's per-criterion breakdown (a `scoring.selectors.Breakdown`)."""

    criteria_set = serializers.IntegerField(source="criteria_set.pk", read_only=True)
    unit = UnitBriefSerializer(read_only=True)
    score = ScoreRowSerializer(read_only=True, allow_null=True)
    points_lost = _points()
    points_to_win = _points()
    criteria = BreakdownNodeSerializer(source="nodes", many=True, read_only=True)


class SurveyImportSerializer(serializers.Serializer):
    rows = serializers.IntegerField(read_only=True)
    units = serializers.ListField(child=serializers.IntegerField(), read_only=True)


class AppraisalInputSerializer(serializers.Serializer):
    points = serializers.DecimalField(
        max_digits=8,
        decimal_places=4,
        min_value=0,
        allow_null=True,
        help_text="Appraised points (0..the leaf's max), or null to clear the appraisal.",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class AppraisalSerializer(serializers.Serializer):
    unit = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    points = serializers.DecimalField(max_digits=8, decimal_places=4, read_only=True, allow_null=True)
    note = serializers.CharField(read_only=True)
    appraiser = serializers.IntegerField(read_only=True, allow_null=True)
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)


# --- The assessment round ----------------------------------------------------------------------------------


class PublishedResultSerializer(serializers.Serializer):
    version = serializers.IntegerField(read_only=True)
    decision_number = serializers.CharField(read_only=True)
    decided_on = serializers.DateField(read_only=True)
    published_at = serializers.DateTimeField(read_only=True)
    correction_reason = serializers.CharField(read_only=True)


class RoundSerializer(serializers.Serializer):
    state = serializers.CharField(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    self_assessment_until = serializers.DateField(read_only=True, allow_null=True)
    explanation_until = serializers.DateField(read_only=True, allow_null=True)
    decision_number = serializers.CharField(read_only=True)
    decided_on = serializers.DateField(read_only=True, allow_null=True)
    version = serializers.IntegerField(read_only=True)
    correction_reason = serializers.CharField(read_only=True)
    units = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    published = PublishedResultSerializer(many=True, read_only=True)


class RoundStepSerializer(serializers.Serializer):
    self_assessment_until = serializers.DateField(required=False, allow_null=True)
    explanation_until = serializers.DateField(required=False, allow_null=True)
    decision_number = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    decided_on = serializers.DateField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class CriterionEvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    criterion_code = serializers.CharField(source="criterion.code", read_only=True)
    phase = serializers.CharField(read_only=True)
    original_name = serializers.CharField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    size = serializers.IntegerField(read_only=True)
    sha256 = serializers.CharField(read_only=True)
    doc_number = serializers.CharField(read_only=True)
    doc_date = serializers.DateField(read_only=True, allow_null=True)
    description = serializers.CharField(read_only=True)
    uploaded_at = serializers.DateTimeField(read_only=True)


class SheetLeafSerializer(serializers.Serializer):
    code = serializers.CharField(read_only=True)
    title = serializers.CharField(source="node.title", read_only=True)
    rule_type = serializers.CharField(source="node.rule_type", read_only=True)
    max = _points(source="node.max_points")
    auto_points = _points(source="node.auto_points")
    reason = serializers.CharField(source="node.reason", read_only=True)
    tasks = LinkedTaskSerializer(source="node.tasks", many=True, read_only=True)
    self_points = _points(allow_null=True)
    own_points = _points()
    explanation = serializers.CharField(read_only=True)
    evidence = CriterionEvidenceSerializer(many=True, read_only=True)
    appraised_points = _points(source="node.appraised_points", allow_null=True)
    appraisal_note = serializers.CharField(source="node.appraisal_note", read_only=True)
    answer = serializers.CharField(read_only=True)
    answered_at = serializers.DateTimeField(read_only=True, allow_null=True)
    awaiting_answer = serializers.BooleanField(read_only=True)
    points = _points(source="node.points")


class SheetSerializer(serializers.Serializer):
    criteria_set = serializers.IntegerField(source="criteria_set.pk", read_only=True)
    unit = UnitBriefSerializer(read_only=True)
    round_state = serializers.CharField(source="round.state", read_only=True)
    self_assessment_until = serializers.DateField(source="round.self_assessment_until", read_only=True)
    explanation_until = serializers.DateField(source="round.explanation_until", read_only=True)
    state = serializers.CharField(read_only=True)
    late = serializers.BooleanField(read_only=True)
    submitted_at = serializers.DateTimeField(
        source="assessment.submitted_at", read_only=True, allow_null=True
    )
    leaves = SheetLeafSerializer(many=True, read_only=True)


class SheetLeafInputSerializer(serializers.Serializer):
    self_points = serializers.DecimalField(
        max_digits=8, decimal_places=4, required=False, allow_null=True, help_text="manual leaves only"
    )
    explanation = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class AnswerInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=5000)


class CriterionEvidenceInputSerializer(serializers.Serializer):
    criterion_code = serializers.CharField(max_length=32)
    file = serializers.FileField()
    doc_number = serializers.CharField(required=False, allow_blank=True, max_length=64, default="")
    doc_date = serializers.DateField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")


class AdjustmentInputSerializer(serializers.Serializer):
    bonus = serializers.DecimalField(max_digits=8, decimal_places=2, required=False, default=0)
    penalty = serializers.DecimalField(max_digits=8, decimal_places=2, required=False, default=0)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class AdjustmentSerializer(serializers.Serializer):
    unit = serializers.IntegerField(source="unit_id", read_only=True)
    bonus = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    penalty = serializers.DecimalField(max_digits=8, decimal_places=2, read_only=True)
    note = serializers.CharField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class ProgressRowSerializer(serializers.Serializer):
    unit = UnitBriefSerializer(read_only=True)
    state = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True, help_text="not_started, draft, submitted or late")
    late = serializers.BooleanField(read_only=True)
    submitted_at = serializers.DateTimeField(read_only=True, allow_null=True)
