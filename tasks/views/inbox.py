"""The approval inbox (Việc chờ duyệt), a leader's landing page: the submitted tasks they may approve and the
extension requests they may decide, in one list, most urgent first; ticked items are approved or returned
(rejected) at once with one reason, or one row by its own buttons. Every item goes through the bulk
services (`tasks.services.decisions`), which apply the single step's rule to each and say what they
refused and why; the page shows that as its messages.

The form posts to the page's own URL: a refused form (no item ticked, no reason) is drawn there with its
error and the ticks kept, and a reload or a language switch then asks that URL with GET: the inbox again,
never the browser's "405"."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from org.web import add_service_errors, paginate

from .. import services
from ..choices import TaskTone
from ..forms import InboxDecisionForm
from ..selectors import INBOX_SORTS, inbox_items, inbox_rows

#: At most this many refused items are named one by one in the messages; the rest are counted.
REFUSALS_SHOWN = 10


def _refusal_messages(request, refused) -> None:
    for r in refused[:REFUSALS_SHOWN]:
        if r.title:
            text = _("Không thực hiện được với “%(title)s”: %(reason)s") % {
                "title": r.title,
                "reason": r.message,
            }
        else:
            text = _("Không thực hiện được với mục số %(id)d: %(reason)s") % {"id": r.id, "reason": r.message}
        messages.warning(request, text)
    if len(refused) > REFUSALS_SHOWN:
        rest = len(refused) - REFUSALS_SHOWN
        messages.warning(
            request, ngettext("… và %(n)d mục khác.", "… và %(n)d mục khác.", rest) % {"n": rest}
        )


def _decide(request, data) -> None:
    """Call the bulk services for the ticked items; their refusals of the whole call (ValidationError,
    PermissionDenied) propagate, the per-item ones become messages."""
    approve = data["decision"] == "approve"
    user, reason = request.user, data["reason"]
    refused = []
    if data["task"]:
        if approve:
            result = services.tasks_approve_bulk(actor=user, task_ids=data["task"])
            done = ngettext("Đã duyệt %(n)d nhiệm vụ.", "Đã duyệt %(n)d nhiệm vụ.", len(result.done))
        else:
            result = services.tasks_return_bulk(actor=user, task_ids=data["task"], reason=reason)
            done = ngettext("Đã trả lại %(n)d nhiệm vụ.", "Đã trả lại %(n)d nhiệm vụ.", len(result.done))
        if result.done:
            messages.success(request, done % {"n": len(result.done)})
        refused += result.refused
    if data["extension"]:
        result = services.extensions_decide_bulk(
            actor=user, extension_ids=data["extension"], approve=approve, note=reason
        )
        n = len(result.done)
        if n and approve:
            messages.success(
                request,
                ngettext("Đã chấp thuận %(n)d đề nghị gia hạn.", "Đã chấp thuận %(n)d đề nghị gia hạn.", n)
                % {"n": n},
            )
        elif n:
            messages.success(
                request,
                ngettext("Đã từ chối %(n)d đề nghị gia hạn.", "Đã từ chối %(n)d đề nghị gia hạn.", n)
                % {"n": n},
            )
        refused += result.refused
    _refusal_messages(request, refused)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def inbox(request):
    """What waits for the signed-in user's decision. POST decides the ticked items (or one row's)."""
    form = InboxDecisionForm()
    status = 200
    if request.method == "POST":
        form = InboxDecisionForm(request.POST)
        if form.is_valid():
            try:
                _decide(request, form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect(request.get_full_path())
        status = 400
    sort = request.GET.get("sort")
    sort = sort if sort in INBOX_SORTS else INBOX_SORTS[0]
    today = timezone.localdate()
    page = paginate(request, inbox_rows(user=request.user, sort=sort))
    items = inbox_items(user=request.user, rows=page.object_list, today=today)
    context = {
        "page": page,
        "items": items,
        "sort": sort,
        "form": form,
        "today": today,
        "tone_labels": dict(TaskTone.choices),
        "ticked_tasks": _ticked(form, "task"),
        "ticked_extensions": _ticked(form, "extension"),
    }
    return render(request, "tasks/inbox.html", context, status=status)


def _ticked(form, name: str) -> set[int]:
    """The ids ticked in a posted form, to tick them again when it is refused."""
    if not form.is_bound:
        return set()
    return {int(v) for v in form.data.getlist(name) if v.isascii() and v.isdigit() and len(v) <= 18}
