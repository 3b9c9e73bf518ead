"""Extension requests on the task page: a member of the assignee unit asks for a later due date, a leader
of the owner unit decides. The services decide who may and when; the page says what they answered."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import services
from ..forms import ExtensionDecisionForm, ExtensionRequestForm
from .common import get_task, post_or_task_page
from .detail import submit_task_form, task_form_view

extension_request = task_form_view(
    ExtensionRequestForm,
    services.extension_request,
    done=gettext_lazy("Đã gửi đề nghị gia hạn."),
    anchor="extensions",
    open_action="extension",
)


@login_required
@post_or_task_page
def extension_decide(request, pk: int, xid: int):
    task = get_task(request, pk)
    extension = get_object_or_404(task.extensions, pk=xid)
    form = ExtensionDecisionForm(request.POST)
    return submit_task_form(
        request,
        task,
        form,
        lambda data: services.extension_decide(
            actor=request.user, extension=extension, approve=data["decision"] == "approve", note=data["note"]
        ),
        done=lambda data: (
            _("Đã chấp thuận gia hạn.") if data["decision"] == "approve" else _("Đã từ chối đề nghị gia hạn.")
        ),
        anchor="extensions",
        field_map={"reason": "note"},
        decision_form=form,
    )
