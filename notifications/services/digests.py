"""The daily digest: email held for a user's digest gathered once a working day, sent by delivery."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from org.calendar import get_calendar

from ..models import Channel, Delivery, DeliveryState, Digest
from ..policy import VN_TZ

DIGEST_AT = dt.time(7, 30)  # local Asia/Ho_Chi_Minh, working days


def digests_send(*, now: dt.datetime | None = None) -> int:
    """Gather, on a working day from 07:30, each digest user's email deliveries held from before 07:30 into
    that day's digest (one per user and day) and leave it due for `deliveries_send`. Users with nothing
    held get no digest: an empty digest is never made, let alone sent. Returns how many digests received
    deliveries."""
    now = now or timezone.now()
    local = now.astimezone(VN_TZ)
    if not get_calendar().is_working_day(local.date()) or local.time() < DIGEST_AT:
        return 0
    day = local.date()
    # The day's digest carries what was held before 07:30 that day, whenever the job runs (a worker down
    # at 07:30 sends it later, not never); what comes after waits for the next working day's digest.
    cutoff = dt.datetime.combine(day, DIGEST_AT, tzinfo=VN_TZ)
    held = Delivery.objects.filter(
        state=DeliveryState.DIGEST, digest__isnull=True, channel=Channel.EMAIL, created_at__lt=cutoff
    )
    user_ids = sorted(set(held.values_list("notification__recipient_id", flat=True)))
    if not user_ids:
        return 0
    Digest.objects.bulk_create(
        [Digest(recipient_id=u, day=day, next_attempt_at=now, created_at=now) for u in user_ids],
        ignore_conflicts=True,
    )
    filled = 0
    for user_id in user_ids:
        with transaction.atomic():
            # Lock the day's digest while it is still pending: one already being sent (or sent) keeps its
            # contents, and what came later waits for the next working day's digest.
            digest = (
                Digest.objects.select_for_update()
                .filter(recipient_id=user_id, day=day, state=DeliveryState.PENDING)
                .first()
            )
            if digest is None:
                continue
            if held.filter(notification__recipient_id=user_id).update(digest=digest):
                filled += 1
    return filled
