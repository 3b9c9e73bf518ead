from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from org.models import Membership, Role, Unit, User


class VisibleUnitField(serializers.PrimaryKeyRelatedField):
    """A unit id, among the units the requesting user can see: an administrator of one subtree cannot place
    units or grant memberships in another (any other id answers as if it did not exist)."""

    def get_queryset(self):
        request = self.context.get("request")
        queryset = Unit.objects.all()
        return queryset.visible_to(request.user) if request is not None else queryset


class UnitSerializer(serializers.ModelSerializer):
    parent = VisibleUnitField(queryset=Unit.objects.all(), allow_null=True, required=False)

    class Meta:
        model = Unit
        fields = ["id", "code", "name", "kind", "parent"]


class MembershipSerializer(serializers.Serializer):
    unit = VisibleUnitField(queryset=Unit.objects.all())
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

    def validate(self, attrs):
        # Validated against the user it is for, so that a password close to the username or e-mail is refused.
        candidate = User(
            username=attrs.get("username", ""),
            full_name=attrs.get("full_name", ""),
            email=attrs.get("email", ""),
        )
        try:
            validate_password(attrs["password"], candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # The view prefetches the memberships the requester may see (`shown`); a user just created shows all.
        memberships = getattr(instance, "shown", None)
        if memberships is None:
            memberships = instance.memberships.select_related("unit")
        data["memberships"] = MembershipOutSerializer(memberships, many=True).data
        return data
