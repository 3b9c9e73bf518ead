"""Serializers of the criteria-set API (SPEC §5). Reads only: a set is written by `criteria.services`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from criteria.models import CriteriaSet


class CriterionTreeSerializer(serializers.Serializer):
    """One criterion of a set's tree (a `criteria.selectors.CriterionNode`)."""

    id = serializers.IntegerField(read_only=True)
    code = serializers.CharField(read_only=True)
    title = serializers.CharField(read_only=True)
    max = serializers.DecimalField(max_digits=9, decimal_places=4, read_only=True, source="max_points")
    part = serializers.CharField(read_only=True)
    rule = serializers.JSONField(read_only=True, allow_null=True)
    children = serializers.SerializerMethodField()

    @extend_schema_field({"type": "array", "items": {"$ref": "#/components/schemas/CriterionTree"}})
    def get_children(self, obj) -> list:
        return CriterionTreeSerializer(obj.children, many=True).data


class CriteriaSetSerializer(serializers.ModelSerializer):
    # Plain text here: the unit-kind choices are documented once, on the unit (as KindEnum).
    unit_kind = serializers.CharField(read_only=True, help_text="province, department, district or commune")

    class Meta:
        model = CriteriaSet
        fields = ["id", "code", "name", "year", "unit_kind", "period_start", "period_end", "created_at"]
        read_only_fields = fields


class CriteriaSetDetailSerializer(CriteriaSetSerializer):
    """A set with its criteria tree (pass the tree as context["tree"])."""

    criteria = serializers.SerializerMethodField()

    class Meta(CriteriaSetSerializer.Meta):
        fields = [*CriteriaSetSerializer.Meta.fields, "criteria"]
        read_only_fields = fields

    @extend_schema_field(CriterionTreeSerializer(many=True))
    def get_criteria(self, obj) -> list:
        return CriterionTreeSerializer(self.context["tree"], many=True).data


# A file in the multipart field `file`: a criteria set here, a survey in scoring's API.
class FileUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
