"""What several task forms share: the date widget, the unit and lead pickers."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from org.fields import unit_label
from org.models import Unit
from plans.models import Plan
from plans.permissions import reach_q


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def unit_choices(field, *, user, plan: Plan) -> None:
    """A multiple unit picker: reads every unit the user sees (so the service, not the form, refuses one
    outside the plan's reach, by name), offers those in the plan's reach, "name (code)"."""
    field.queryset = Unit.objects.visible_to(user).order_by("path")
    reached = Unit.objects.visible_to(user).filter(reach_q(plan)).order_by("path").only("pk", "code", "name")
    field.widget.choices = [(u.pk, unit_label(u.code, u.name)) for u in reached]


def lead_choices(unit_id):
    """Active users holding a membership in the unit (the lead official must be one of them)."""
    User = get_user_model()
    try:
        unit_id = int(unit_id)
    except (TypeError, ValueError):
        return User.objects.none()
    return User.objects.filter(memberships__unit_id=unit_id, is_active=True).distinct().order_by("full_name")
