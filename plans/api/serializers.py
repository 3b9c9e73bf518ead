from rest_framework import serializers

from org.models import Unit
from plans.models import Plan


class PlanSerializer(serializers.ModelSerializer):
    owner_unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all())
    state = serializers.CharField(read_only=True)

    class Meta:
        model = Plan
        fields = [
            "id",
            "owner_unit",
            "number",
            "title",
            "year",
            "issued_on",
            "criteria_set",
            "state",
            "created_at",
        ]
        read_only_fields = ["id", "state", "created_at"]
        # The same range as the table's check constraint, reported on the field.
        extra_kwargs = {"year": {"min_value": 2000, "max_value": 2100}}
        # Uniqueness is checked by the service, with a message that names the plan.
        validators = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and request.user.is_authenticated:
            # A unit the user cannot see does not exist for them.
            self.fields["owner_unit"].queryset = Unit.objects.visible_to(request.user)
