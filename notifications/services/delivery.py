"""Delivering notifications over the channels. Rows are claimed with `select_for_update(skip_locked=True)`,
sent outside the lock, and marked sent only after the channel accepted them; failures back off and end as
`failed` with the error kept. A sweeper re-queues rows left in `sending` by a worker that died."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from org.models import User

from .. import channels, selectors
from ..models import Channel, Delivery, DeliveryState, Digest, EmailMode, Notification, NotificationPreference
from ..texts import digest_text
from .zalo import zalo_token_current, zalo_token_refresh

# The logger the one-module services had: log configuration and readers keep finding it.
log = logging.getLogger("notifications.services")

# A row left in `sending` longer than this was abandoned by its worker (which a Celery time limit of
# 10 minutes would have stopped by now), so it is sent again.
STUCK_AFTER = dt.timedelta(minutes=15)
# Attempts per delivery, and the wait after the n-th failed one.
MAX_ATTEMPTS = 6
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=15),
    dt.timedelta(hours=1),
    dt.timedelta(hours=3),
)
# A throttled send (a gateway's rate limit or quota, HTTP 429) waits this long and does not use up an
# attempt: it is not the message's failure, and a daily quota can take hours to come back.
THROTTLED_WAIT = dt.timedelta(minutes=15)


def zalo_template_id(kind: str) -> str:
    """The pre-approved ZNS template for a notice kind: ZALO_OA_TEMPLATES[kind], the before-due reminders
    (`due_<n>`) under "due", else "default"; "" when none (no Zalo message is planned for that kind)."""
    templates = settings.ZALO_OA_TEMPLATES or {}
    family = "due" if kind.startswith("due_") else kind
    return str(templates.get(kind) or templates.get(family) or templates.get("default") or "")


def zalo_enabled() -> bool:
    return bool(settings.ZALO_OA_APP_ID and settings.ZALO_OA_TEMPLATES)


def sms_enabled() -> bool:
    return bool(settings.SMS_GATEWAY_URL)


def _deliveries_create(notifications: list[tuple[int, int]], *, now: dt.datetime) -> None:
    """The channel rows of newly created notifications: email now, held for the digest, or none, by each
    recipient's preference; the webhook when one is configured; Zalo and SMS for the recipients who opted
    into them with a phone number, when the channel is configured (Zalo: and the kind has a template)."""
    if not notifications:
        return
    user_ids = {u for _, u in notifications}
    modes = selectors.email_modes(user_ids)
    with_email = set(User.objects.filter(pk__in=user_ids).exclude(email="").values_list("pk", flat=True))
    zalo_users, sms_users = set(), set()
    if zalo_enabled() or sms_enabled():
        zalo_users, sms_users = selectors.phone_channel_users(user_ids)
        zalo_users = zalo_users if zalo_enabled() else set()
        sms_users = sms_users if sms_enabled() else set()
    kinds = {}
    if zalo_users:
        kinds = dict(
            Notification.objects.filter(pk__in=[n for n, u in notifications if u in zalo_users]).values_list(
                "pk", "kind"
            )
        )
    rows = []
    for notification_id, user_id in notifications:
        for channel, wanted in ((Channel.ZALO, zalo_users), (Channel.SMS, sms_users)):
            if user_id not in wanted:
                continue
            if channel == Channel.ZALO and not zalo_template_id(kinds.get(notification_id, "")):
                continue
            rows.append(
                Delivery(
                    notification_id=notification_id,
                    channel=channel,
                    state=DeliveryState.PENDING,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        mode = modes[user_id]
        if user_id in with_email and mode != EmailMode.OFF:
            state = DeliveryState.PENDING if mode == EmailMode.IMMEDIATE else DeliveryState.DIGEST
            rows.append(
                Delivery(
                    notification_id=notification_id,
                    channel=Channel.EMAIL,
                    state=state,
                    next_attempt_at=now if state == DeliveryState.PENDING else None,
                    created_at=now,
                )
            )
        if settings.WEBHOOK_URL:
            rows.append(
                Delivery(
                    notification_id=notification_id,
                    channel=Channel.WEBHOOK,
                    state=DeliveryState.PENDING,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    Delivery.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)


@dataclass
class SendResult:
    sent: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return len(self.sent) + len(self.retrying) + len(self.failed) + len(self.skipped)


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt (1 minute, 5, 15, 1 hour, 3 hours)."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def _claim(model, *, now: dt.datetime, limit: int) -> list[int]:
    """Take up to `limit` due rows for this worker: locked rows (another worker's) are skipped, and the
    claim is committed before anything is sent, so no lock is held while talking to a channel."""
    with transaction.atomic():
        ids = list(
            model.objects.select_for_update(skip_locked=True)
            .filter(state=DeliveryState.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if ids:
            model.objects.filter(pk__in=ids).update(
                state=DeliveryState.SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
    return ids


def _finish(
    model, pk: int, *, claimed_at: dt.datetime, attempts: int, error: channels.ChannelError | None, now
) -> str:
    """Record the outcome of one claimed row; returns its new state. Only the claim that sent may mark."""
    mine = model.objects.filter(pk=pk, state=DeliveryState.SENDING, claimed_at=claimed_at)
    if error is None:
        mine.update(state=DeliveryState.SENT, sent_at=now, last_error="")
        return DeliveryState.SENT
    message = str(error)[:2000]
    if error.throttled and not error.permanent:
        # Not the message's failure: wait, and give the attempt back.
        mine.update(
            state=DeliveryState.PENDING,
            last_error=message,
            next_attempt_at=now + THROTTLED_WAIT,
            attempts=F("attempts") - 1,
        )
        return DeliveryState.PENDING
    if error.permanent or attempts >= MAX_ATTEMPTS:
        mine.update(state=DeliveryState.FAILED, last_error=message, next_attempt_at=None)
        return DeliveryState.FAILED
    mine.update(state=DeliveryState.PENDING, last_error=message, next_attempt_at=now + backoff(attempts))
    return DeliveryState.PENDING


def _message_id(kind: str, pk: int) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "reform-tracker.local"
    return f"<{kind}-{pk}@{host}>"


class _ZaloSession:
    """The access token for one batch of sends: read once, refreshed at most once per refusal."""

    def __init__(self, now: dt.datetime):
        self.now = now
        self._token: str | None = None

    def send(self, **message) -> str:
        if self._token is None:
            self._token = zalo_token_current(now=self.now)
        try:
            return channels.send_zalo(access_token=self._token, **message)
        except channels.ZaloTokenExpired:
            self._token = zalo_token_refresh(stale=self._token, now=self.now)
        try:
            return channels.send_zalo(access_token=self._token, **message)
        except channels.ZaloTokenExpired as exc:  # refused again: retried later, not in a loop here
            raise channels.ChannelError(f"{exc} (after a token refresh)") from exc


def _phone(delivery: Delivery) -> str:
    """The recipient's number, if they are still opted into this channel (read with the batch)."""
    try:
        pref = delivery.notification.recipient.notification_preference
    except NotificationPreference.DoesNotExist:  # no preference row: never opted in
        return ""
    opted = pref.zalo_enabled if delivery.channel == Channel.ZALO else pref.sms_enabled
    return pref.phone if opted else ""


def _zalo_data(n) -> dict:
    """The ZNS template's parameters (README "Zalo and SMS"): within ZNS's per-parameter lengths."""
    return {
        "title": n.title[:100],
        "kind": n.get_kind_display()[:30],
        "due_date": n.due_date.strftime("%d/%m/%Y") if n.due_date else "",
        "link": n.url[:200],
    }


def _send_delivery(delivery: Delivery, zalo: _ZaloSession | None = None) -> None:
    n = delivery.notification
    if delivery.channel in (Channel.ZALO, Channel.SMS):
        phone = _phone(delivery)
        if not phone:
            raise channels.ChannelError("the recipient turned this off or has no number", permanent=True)
        if delivery.channel == Channel.ZALO:
            (zalo or _ZaloSession(timezone.now())).send(
                phone=phone,
                template_id=zalo_template_id(n.kind),
                template_data=_zalo_data(n),
                tracking_id=str(delivery.pk),
            )
        else:
            channels.send_sms(to=phone, text=channels.sms_text(n.title, n.url), ref=str(delivery.pk))
        return
    if delivery.channel == Channel.EMAIL:
        channels.send_email(
            channels.Message(
                to=n.recipient.email,
                subject=n.title,
                body=n.body,
                message_id=_message_id("notification", n.pk),
            )
        )
    else:
        channels.send_webhook(
            {
                "delivery": delivery.pk,
                "notification": n.pk,
                "kind": n.kind,
                "title": n.title,
                "body": n.body,
                # A task reminder or notice names its task and plan; a round notice its criteria set and
                # unit (the others are null).
                "task": n.task_id,
                "plan": n.plan_id,
                "criteria_set": n.criteria_set_id,
                "unit": n.unit_id,
                "due_date": n.due_date.isoformat() if n.due_date else None,
                "offset": n.offset,
                "recipient": {
                    "id": n.recipient_id,
                    "username": n.recipient.username,
                    "full_name": n.recipient.full_name,
                    "email": n.recipient.email,
                },
                "url": n.url,
                "created_at": n.created_at.isoformat(),
            }
        )


def _send_digest(digest: Digest, delivery_ids: list[int]) -> None:
    items = list(
        Delivery.objects.filter(pk__in=delivery_ids)
        .select_related("notification")
        .order_by("notification__created_at", "notification_id")
        .values_list("notification__title", "notification__body")
    )
    subject, body = digest_text(items, digest.day, digest.recipient.language)
    channels.send_email(
        channels.Message(
            to=digest.recipient.email, subject=subject, body=body, message_id=_message_id("digest", digest.pk)
        )
    )


def deliveries_send(*, now: dt.datetime | None = None, limit: int = 100) -> SendResult:
    """Claim due deliveries and digests (skip locked), send each over its channel, and mark it sent only
    after the channel accepted it; a failure is retried with backoff, then recorded as failed."""
    now = now or timezone.now()
    result = SendResult()
    claimed = _deliveries_send_claimed(result, now=now, limit=limit)
    remaining = max(limit - claimed, 0)
    if remaining:
        _digests_send_claimed(result, now=now, limit=remaining)
    return result


def _deliveries_send_claimed(result: SendResult, *, now: dt.datetime, limit: int) -> int:
    """Claim and send up to `limit` due deliveries into `result`; returns how many were claimed."""
    ids = _claim(Delivery, now=now, limit=limit)
    zalo = _ZaloSession(now)
    batch = (
        Delivery.objects.filter(pk__in=ids)
        .select_related("notification__recipient__notification_preference")
        .order_by("id")
    )
    for d in batch:
        label = f"{d.get_channel_display()} → {d.notification.recipient.username}: {d.notification.title}"
        error = None
        try:
            _send_delivery(d, zalo)
        except channels.ChannelError as exc:
            error = exc
            log.warning("delivery %s (%s) failed, attempt %s: %s", d.pk, d.channel, d.attempts, exc)
        except Exception as exc:  # a bug must not strand the rest of the batch in `sending`
            log.exception("delivery %s (%s) raised", d.pk, d.channel)
            error = channels.ChannelError(f"{type(exc).__name__}: {exc}")
        state = _finish(Delivery, d.pk, claimed_at=now, attempts=d.attempts, error=error, now=now)
        _record(result, state, label, error)
    return len(ids)


def _digests_send_claimed(result: SendResult, *, now: dt.datetime, limit: int) -> None:
    """Claim and send up to `limit` due digests into `result`; what a digest carried follows it."""
    digest_ids = _claim(Digest, now=now, limit=limit)
    for digest in Digest.objects.filter(pk__in=digest_ids).select_related("recipient").order_by("id"):
        carried = list(Delivery.objects.filter(digest=digest).values_list("id", flat=True))
        label = f"Digest → {digest.recipient.username}: {len(carried)}"
        if not carried:  # an empty digest is never sent
            Digest.objects.filter(pk=digest.pk, claimed_at=now).update(state=DeliveryState.SKIPPED)
            result.skipped.append(label)
            continue
        error = None
        try:
            _send_digest(digest, carried)
        except channels.ChannelError as exc:
            error = exc
            log.warning("digest %s failed, attempt %s: %s", digest.pk, digest.attempts, exc)
        except Exception as exc:
            log.exception("digest %s raised", digest.pk)
            error = channels.ChannelError(f"{type(exc).__name__}: {exc}")
        with transaction.atomic():
            state = _finish(Digest, digest.pk, claimed_at=now, attempts=digest.attempts, error=error, now=now)
            if state == DeliveryState.SENT:
                Delivery.objects.filter(pk__in=carried).update(state=DeliveryState.SENT, sent_at=now)
            elif state == DeliveryState.FAILED:
                Delivery.objects.filter(pk__in=carried).update(
                    state=DeliveryState.FAILED, last_error=str(error)[:2000]
                )
        _record(result, state, label, error)


def _record(result: SendResult, state: str, label: str, error) -> None:
    if state == DeliveryState.SENT:
        result.sent.append(label)
    elif state == DeliveryState.FAILED:
        result.failed.append(f"{label} ({error})")
    else:
        result.retrying.append(f"{label} ({error})")


def deliveries_requeue_stuck(*, now: dt.datetime | None = None) -> int:
    """Put back rows left in `sending` by a worker that died between claim and send (older than
    STUCK_AFTER); a row that has used all its attempts is recorded as failed instead."""
    now = now or timezone.now()
    cutoff = now - STUCK_AFTER
    count = 0
    abandoned = "abandoned while sending, no attempts left"
    for model in (Delivery, Digest):
        stuck = model.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=cutoff)
        given_up = stuck.filter(attempts__gte=MAX_ATTEMPTS)
        if model is Digest:
            # What the digest carried fails with it, as when its last attempt fails in `digests_send`.
            Delivery.objects.filter(digest__in=given_up).update(
                state=DeliveryState.FAILED, last_error=abandoned
            )
        given_up.update(state=DeliveryState.FAILED, last_error=abandoned)
        count += stuck.filter(attempts__lt=MAX_ATTEMPTS).update(
            state=DeliveryState.PENDING,
            next_attempt_at=now,
            claimed_at=None,
            last_error="interrupted while sending (worker stopped); sent again",
        )
    return count
