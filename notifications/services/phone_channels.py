"""Each user's opt-in to the Zalo and SMS channels, and the mobile number both go to."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Channel, Delivery, DeliveryState, EmailMode, NotificationPreference
from ..phones import normalize_vn_mobile


@transaction.atomic
def preference_phone_channels_set(
    *, user, phone: str, zalo: bool, sms: bool, now: dt.datetime | None = None
) -> NotificationPreference:
    """Set the user's mobile number (Vietnamese form, stored as `84xxxxxxxxx`; empty clears it) and whether
    notices also come by Zalo and by SMS. Opting in needs a number; ValidationError names the field. What
    was waiting to go by a channel the user turned off is skipped, not sent."""
    now = now or timezone.now()
    normalized = ""
    if (phone or "").strip():
        try:
            normalized = normalize_vn_mobile(phone)
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from None
    if (zalo or sms) and not normalized:
        needed = _("Cần số điện thoại di động để nhận thông báo qua Zalo hoặc SMS.")
        raise ValidationError({"phone": [needed]})
    pref, _created = NotificationPreference.objects.select_for_update().get_or_create(
        user=user, defaults={"email_mode": EmailMode.IMMEDIATE}
    )
    pref.phone, pref.zalo_enabled, pref.sms_enabled = normalized, bool(zalo), bool(sms)
    pref.save(update_fields=["phone", "zalo_enabled", "sms_enabled", "updated_at"])
    off = [c for c, on in ((Channel.ZALO, zalo), (Channel.SMS, sms)) if not on]
    if off:
        Delivery.objects.filter(
            notification__recipient=user, channel__in=off, state=DeliveryState.PENDING
        ).update(state=DeliveryState.SKIPPED, last_error="turned off by the user", next_attempt_at=None)
    return pref
