"""`/api/series/`: recurring task series (issue 15). Listed to whoever sees their plan; created, changed,
paused, resumed and skipped by the leaders of the plan's owner unit (the services decide)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from org.models import Unit, User
from plans.models import Plan
from tasks import services
from tasks.models import Schedule, TaskSeries

_FIELDS = (
    "id",
    "plan",
    "title",
    "description",
    "criterion_code",
    "priority",
    "assignee_units",
    "unit_kind",
    "lead",
    "schedule",
    "rrule",
    "due_day",
    "lead_days",
    "starts_on",
    "ends_on",
    "paused",
    "skipped",
)


class SeriesSerializer(serializers.ModelSerializer):
    # Ids judged by the service (one answer for a unit out of reach and one that does not exist).
    plan = serializers.IntegerField()
    assignee_units = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False)
    lead = serializers.IntegerField(required=False, allow_null=True)
    schedule = serializers.ChoiceField(choices=Schedule.choices)

    class Meta:
        model = TaskSeries
        fields = _FIELDS
        read_only_fields = ("paused", "skipped")

    def to_representation(self, instance):
        data = {
            name: getattr(instance, name)
            for name in _FIELDS
            if name not in ("plan", "lead", "assignee_units")
        }
        for name in ("starts_on", "ends_on"):
            data[name] = data[name].isoformat() if data[name] else None
        data["plan"] = instance.plan_id
        data["lead"] = instance.lead_id
        data["assignee_units"] = sorted(u.pk for u in instance.assignee_units.all())
        return data


class SkipSerializer(serializers.Serializer):
    period = serializers.CharField(max_length=32)
    skip = serializers.BooleanField(default=True)


class SeriesViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SeriesSerializer

    def get_queryset(self):
        plans = Plan.objects.visible_to(self.request.user)
        return TaskSeries.objects.filter(plan__in=plans).prefetch_related("assignee_units").order_by("id")

    @staticmethod
    def _resolved(data: dict) -> tuple[dict, list | None]:
        """The body's ids as the services take them: units and the lead, one answer for an id that does
        not exist and one the rules refuse."""
        data = dict(data)
        data.pop("plan", None)
        ids = data.pop("assignee_units", None)
        units = None
        if ids is not None:
            units = list(Unit.objects.filter(pk__in=ids))
            if len(units) != len(set(ids)):
                raise ValidationError({"assignee_units": [str(services.ASSIGNEE_OUT_OF_REACH)]})
        if data.get("lead") is not None:
            lead = User.objects.filter(pk=data["lead"], is_active=True).first()
            if lead is None:
                raise ValidationError({"lead": [str(services.LEAD_NOT_MEMBER)]})
            data["lead"] = lead
        return data, units

    def create(self, request, *args, **kwargs):
        body = SeriesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        plan = Plan.objects.visible_to(request.user).filter(pk=data["plan"]).first()
        if plan is None:
            raise ValidationError({"plan": [_("Không tìm thấy kế hoạch.")]})
        fields, units = self._resolved(data)
        series = services.series_create(actor=request.user, plan=plan, units=units, **fields)
        return Response(SeriesSerializer(series).data, status=201)

    def partial_update(self, request, *args, **kwargs):
        series = self.get_object()
        body = SeriesSerializer(series, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        fields, units = self._resolved(body.validated_data)
        series = services.series_update(actor=request.user, series=series, units=units, **fields)
        return Response(SeriesSerializer(series).data)

    @extend_schema(request=None, responses=SeriesSerializer)
    @action(detail=True, methods=["post"])
    def pause(self, request, pk=None):
        series = services.series_pause(actor=request.user, series=self.get_object())
        return Response(SeriesSerializer(series).data)

    @extend_schema(request=None, responses=SeriesSerializer)
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        series = services.series_pause(actor=request.user, series=self.get_object(), paused=False)
        return Response(SeriesSerializer(series).data)

    @extend_schema(request=SkipSerializer, responses=SeriesSerializer)
    @action(detail=True, methods=["post"])
    def skip(self, request, pk=None):
        body = SkipSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        series = services.series_skip(actor=request.user, series=self.get_object(), **body.validated_data)
        return Response(SeriesSerializer(series).data)
