"""Pages of the whole site: home, and the error pages in the same look as the rest."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseServerError
from django.shortcuts import redirect, render
from django.template import loader

from tasks.permissions import can_decide_any

log = logging.getLogger(__name__)


@login_required
def home(request):
    """A leader lands on the approval inbox (what waits for their decision), anyone else on their tasks."""
    return redirect("tasks:inbox" if can_decide_any(request.user) else "tasks:mine")


def _message(exception) -> str:
    """A PermissionDenied raised with a message (the services' messages are translated) is shown."""
    text = str(exception or "")
    return text if text and not text.startswith(("<", "{")) else ""


def error_403(request, exception=None):
    return render(request, "403.html", {"message": _message(exception)}, status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # No request context: whatever broke may be what the context processors need.
    try:
        return HttpResponseServerError(loader.get_template("500.html").render())
    except Exception:  # the error page itself must never fail
        log.exception("the 500 page could not be rendered")
        return HttpResponseServerError("<h1>500</h1>", content_type="text/html")


def csrf_failure(request, reason=""):
    return render(request, "403.html", {"csrf": True}, status=403)
