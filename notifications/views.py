"""Pages: my notifications (a short text each, with a button that opens its task or page and marks it read;
mark one or all read) and my email preference."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import selectors, services
from .models import EmailMode, Notification
from .texts import in_app_summary
from .views_feed import feed_urls


@login_required
def notification_list(request):
    unread = request.GET.get("unread") in ("1", "true")
    qs = selectors.notification_list(user=request.user, unread=True if unread else None)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    for n in page.object_list:
        n.summary = in_app_summary(n.body, about_task=n.task_id is not None)
    return render(
        request,
        "notifications/list.html",
        {"page": page, "notifications": page.object_list, "unread_only": unread},
    )


def _back(request, default: str):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return HttpResponseRedirect(target)
    return redirect(default)


@login_required
@require_POST
def notification_read(request, pk: int):
    try:
        notification = selectors.notification_list(user=request.user).get(pk=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    services.notification_mark_read(user=request.user, notification=notification)
    if request.POST.get("open"):
        if notification.task_id is not None:  # what else the user was told about the task: seen too
            services.notifications_mark_task_read(user_id=request.user.pk, task_ids=[notification.task_id])
        return redirect(notification.url_path)
    return _back(request, "notifications:list")


@login_required
@require_POST
def notification_read_all(request):
    n = services.notifications_mark_all_read(user=request.user)
    messages.success(request, _("Đã đánh dấu %(n)d thông báo là đã đọc.") % {"n": n})
    return _back(request, "notifications:list")


class PreferenceForm(forms.Form):
    email_mode = forms.ChoiceField(
        label=gettext_lazy("Nhận thông báo qua email"), choices=EmailMode.choices, widget=forms.RadioSelect
    )


@login_required
def preferences(request):
    current = selectors.preference_get(user=request.user)
    form = PreferenceForm(request.POST or None, initial={"email_mode": current.email_mode})
    if request.method == "POST" and form.is_valid():
        services.preference_set(user=request.user, email_mode=form.cleaned_data["email_mode"])
        messages.success(request, _("Đã lưu tùy chọn thông báo."))
        return redirect("notifications:preferences")
    feed = selectors.calendar_feed_get(user=request.user)
    context = {"form": form, "current": current, "calendar_feed": feed, "feed_urls": feed_urls(feed)}
    return render(request, "notifications/preferences.html", context)
