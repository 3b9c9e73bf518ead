from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from org.models import Membership, Role, Unit, User


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), allow_null=True, required=False)

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "kind", "parent"]


class MembershipSerializer(serializers.Serializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    role = serializers.ChoiceField(choices=Role.choices)


class MembershipOutSerializer(serializers.ModelSerializer):
    unit_code = serializers.CharField(source="unit.code", read_only=True)

    class Meta:
        model = Membership
        fields = ["unit", "unit_code", "role"]


class UserSerializer(serializers.ModelSerializer):
    password = serializers.CharField(write_only=True, required=True, style={"input_type": "password"})
    memberships = MembershipSerializer(many=True, required=False, write_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "password", "full_name", "email", "memberships", "is_active"]
        read_only_fields = ["id", "is_active"]

    def validate_password(self, value):
        try:
            validate_password(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages)) from exc
        return value

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["memberships"] = MembershipOutSerializer(
            instance.memberships.select_related("unit"), many=True
        ).data
        return data
