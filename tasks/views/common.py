"""What the task and plan pages share: reading the task or plan a URL names (404 when the user cannot see
it), the errors a service may raise and how a page answers them, the redirect back to a task."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django_fsm import TransitionNotAllowed

from plans.models import Plan
from plans.services import PlanTransitionError

from .. import services
from ..selectors import task_list

#: A step not allowed from the current state: the service's reason as a message, never a 500.
STATE_ERRORS = (services.TaskTransitionError, PlanTransitionError, TransitionNotAllowed)
#: What a page says when a `ConcurrentTransition` tells that someone changed the task meanwhile.
TASK_CHANGED = gettext_lazy("Nhiệm vụ vừa được người khác thay đổi; hãy xem lại rồi thử lại.")


def get_task(request, pk):
    qs = task_list(user=request.user).select_related("plan__criteria_set", "assigned_by", "parent")
    return get_object_or_404(qs, pk=pk)


def get_plan(request, pk):
    return get_object_or_404(Plan.objects.visible_to(request.user).select_related("owner_unit"), pk=pk)


def require(allowed: bool) -> None:
    """A page offered only to those a `permissions` predicate names: 403 for anyone else."""
    if not allowed:
        raise PermissionDenied


def back(task, anchor: str = ""):
    return redirect(reverse("tasks:detail", args=[task.pk]) + (f"#{anchor}" if anchor else ""))
