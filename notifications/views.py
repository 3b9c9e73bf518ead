"""Pages: my notifications (a short text each, with a button that opens its task or page and marks it read;
mark one or all read) and my email preference."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import selectors, services
from .models import EmailMode, Notification
from .phones import display_vn_mobile, normalize_vn_mobile
from .services.delivery import sms_enabled, zalo_enabled
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
    # The Zalo and SMS fields: only when one of those channels is configured (`phone_fields`).
    phone = forms.CharField(
        label=gettext_lazy("Số điện thoại di động"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("Ví dụ 0912 345 678 hoặc +84 912 345 678."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    zalo = forms.BooleanField(label=gettext_lazy("Nhận thông báo qua Zalo"), required=False)
    sms = forms.BooleanField(label=gettext_lazy("Nhận thông báo qua SMS"), required=False)

    def __init__(self, *args, zalo: bool, sms: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.phone_fields = zalo or sms
        for name, on in (("zalo", zalo), ("sms", sms), ("phone", self.phone_fields)):
            if not on:
                del self.fields[name]

    def clean_phone(self):
        raw = self.cleaned_data.get("phone", "")
        return normalize_vn_mobile(raw) if raw.strip() else ""

    def clean(self):
        data = super().clean()
        wants = data.get("zalo") or data.get("sms")
        if self.phone_fields and wants and not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", _("Cần số điện thoại di động để nhận thông báo qua Zalo hoặc SMS."))
        return data


@login_required
def preferences(request):
    current = selectors.preference_get(user=request.user)
    initial = {
        "email_mode": current.email_mode,
        "phone": display_vn_mobile(current.phone),
        "zalo": current.zalo_enabled,
        "sms": current.sms_enabled,
    }
    form = PreferenceForm(request.POST or None, initial=initial, zalo=zalo_enabled(), sms=sms_enabled())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                services.preference_set(user=request.user, email_mode=data["email_mode"])
                if form.phone_fields:
                    services.preference_phone_channels_set(
                        user=request.user,
                        phone=data.get("phone", ""),
                        # A channel not offered keeps the user's choice.
                        zalo=data["zalo"] if "zalo" in form.fields else current.zalo_enabled,
                        sms=data["sms"] if "sms" in form.fields else current.sms_enabled,
                    )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Đã lưu tùy chọn thông báo."))
            return redirect("notifications:preferences")
    feed = selectors.calendar_feed_get(user=request.user)
    context = {"form": form, "current": current, "calendar_feed": feed, "feed_urls": feed_urls(feed)}
    return render(request, "notifications/preferences.html", context)
