"""What the task and plan pages share: reading the task or plan a URL names (404 when the user cannot see
it), the errors a service may raise and how a page answers them, the redirect back to a task."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
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


def post_or_page(url_name: str):
    """For a view a form posts to: POST does the view; GET (and HEAD) redirect to the page `url_name`
    names with the URL's `pk` (the task page, the plan page), any other method is 405. A refused form is
    drawn at its POST URL: a reload, a language switch or Enter in the address bar then asks that URL with
    GET, and gets the page back, never the browser's "405"."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method in ("GET", "HEAD"):
                return redirect(reverse(url_name, args=[kwargs["pk"]]))
            if request.method != "POST":
                return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


#: The task page's forms: POST does them, GET is the task page.
post_or_task_page = post_or_page("tasks:detail")
#: The plan page's buttons: POST does them, GET is the plan page.
post_or_plan_page = post_or_page("plans:detail")
