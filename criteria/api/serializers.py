"""Serializers of the criteria-set API (SPEC §5). Reads only: a set is written by `criteria.services`."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from criteria.models import CriteriaSet
from org.models import Unit


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


class CriteriaSetClassSerializer(serializers.Serializer):
    """One class (xếp loại) of a set: the label of the units whose percent is at least the threshold."""

    threshold = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    label = serializers.CharField(read_only=True)


class CriteriaSetSerializer(serializers.ModelSerializer):
    # Plain text here: the unit-kind choices are documented once, on the unit (as KindEnum).
    unit_kind = serializers.CharField(read_only=True, help_text="province, department, district or commune")
    owner_unit = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The issuing unit: the set scores the units of its kind below it. null: every unit of "
        "the kind in the country (a nationwide set).",
    )
    owner_unit_code = serializers.CharField(source="owner_unit.code", read_only=True, allow_null=True)
    classes = serializers.SerializerMethodField(
        help_text="The classes, thresholds (percent) descending, the last 0: a unit gets the label of the "
        "first whose threshold is at most its percent (rounded to 2 decimals)."
    )
    bonus_max = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="Cap of the appraisers' bonus points; null: the set allows no bonus.",
    )
    penalty_max = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="Cap of the appraisers' penalty points; null: the set allows no penalty.",
    )

    class Meta:
        model = CriteriaSet
        fields = [
            "id",
            "code",
            "name",
            "year",
            "unit_kind",
            "period_start",
            "period_end",
            "owner_unit",
            "owner_unit_code",
            "classes",
            "bonus_max",
            "penalty_max",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(CriteriaSetClassSerializer(many=True))
    def get_classes(self, obj) -> list:
        rows = [
            {"threshold": Decimal(str(threshold)), "label": str(label)} for threshold, label in obj.classes
        ]
        return CriteriaSetClassSerializer(rows, many=True).data


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


class CriteriaSetUploadSerializer(FileUploadSerializer):
    """A criteria-set file with, optionally, the owner unit that overrides the file's `owner`."""

    owner_unit = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="Id of the issuing unit (overrides the file's `owner`); you must be an admin or "
        "appraiser of it or of a unit above it.",
    )


class OwnerUnitSerializer(serializers.Serializer):
    """Reads the `owner_unit` of an upload: a unit the user can see (pass context["request"]); any other id
    is refused as unknown."""

    owner_unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.none(),
        allow_null=True,
        error_messages={
            "does_not_exist": _("Không có đơn vị {pk_value}, hoặc bạn không xem được đơn vị này."),
            "incorrect_type": _("Cần mã số (id) của đơn vị, là một số nguyên."),
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["owner_unit"].queryset = Unit.objects.visible_to(request.user)
