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

    class Meta:
        model = UnitScore
        fields = ["unit", "unit_code", "unit_name", "parent", *UnitScore.SCORE_FIELDS, "computed_at"]
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
