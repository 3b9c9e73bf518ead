"""Evidence on the task page: upload (htmx: drag and drop with a progress bar), download, delete. Files are
served only here, after the visibility check, never from a public media URL."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from org.web import add_service_errors, is_htmx

from .. import services
from ..files import evidence_file_response
from ..forms import EvidenceForm
from .common import STATE_ERRORS, back, get_task, post_or_task_page
from .detail import render_task, task_context


def _add(request, task, form) -> bool:
    """Store the file through the service; its refusals go on the form."""
    if not form.is_valid():
        return False
    try:
        services.evidence_add(actor=request.user, task=task, **form.cleaned_data)
    except ValidationError as exc:
        add_service_errors(form, exc)
    except STATE_ERRORS as exc:
        form.add_error(None, str(exc))
    else:
        return True
    return False


@login_required
@post_or_task_page
def evidence_upload(request, pk: int):
    """Upload one evidence file. With htmx the answer is the evidence section and the actions (submitting
    may have become possible); without JavaScript, the page."""
    task = get_task(request, pk)
    form = EvidenceForm(request.POST, request.FILES)
    ok = _add(request, task, form)
    if is_htmx(request):
        context = task_context(request, get_task(request, pk), evidence_form=None if ok else form)
        context["uploaded"] = ok
        return render(request, "tasks/_evidence_swap.html", context)
    if ok:
        messages.success(request, _("Đã tải lên tài liệu kiểm chứng."))
        return back(task, "evidence")
    return render_task(request, task, status=400, evidence_form=form)


@login_required
@require_GET
def evidence_download(request, pk: int, eid: int):
    task = get_task(request, pk)
    return evidence_file_response(get_object_or_404(task.evidence, pk=eid))


@login_required
@post_or_task_page
def evidence_delete(request, pk: int, eid: int):
    task = get_task(request, pk)
    evidence = get_object_or_404(task.evidence, pk=eid)
    try:
        services.evidence_delete(actor=request.user, evidence=evidence)
    except STATE_ERRORS as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Đã xóa tài liệu “%(name)s”.") % {"name": evidence.original_name})
    return back(task, "evidence")
