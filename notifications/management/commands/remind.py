"""`manage.py remind [--at ISO] [--dry-run]`: one planning and delivery cycle as of a moment."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from notifications import services
from notifications.models import Delivery, DeliveryState
from notifications.policy import VN_TZ


def _moment(text: str | None) -> dt.datetime:
    if not text:
        return timezone.now()
    try:
        # A bare date means that day's 08:00 cycle (datetime.fromisoformat would read it as midnight,
        # outside the sending window, and the run would quietly plan nothing).
        moment = dt.datetime.combine(dt.date.fromisoformat(text), dt.time(8, 0))
    except ValueError:
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise CommandError(
                f"--at {text!r} is not an ISO date or date-time (e.g. 2020-03-02T08:00)"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VN_TZ)  # a bare time is local Asia/Ho_Chi_Minh
    return moment


class Command(BaseCommand):
    help = (
        "Run one reminder cycle as of a moment: plan the reminders due, gather digests (from 07:30 on "
        "working days), re-queue stuck deliveries and send what is due. --dry-run prints what would be "
        "planned and sent, and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--at", help="ISO date-time, local Asia/Ho_Chi_Minh when no offset (default: now)"
        )
        parser.add_argument("--dry-run", action="store_true", help="print what would happen; change nothing")

    def handle(self, *args, at=None, dry_run=False, **options):
        now = _moment(at)
        local = now.astimezone(VN_TZ)
        self.stdout.write(
            f"Cycle at {local:%Y-%m-%d %H:%M} (Asia/Ho_Chi_Minh){' — dry run' if dry_run else ''}"
        )
        if not dry_run:
            # No surrounding transaction: each claim and each "sent" commits on its own, as in the workers.
            self._cycle(now, dry_run)
            return
        with transaction.atomic():
            self._cycle(now, dry_run)
            transaction.set_rollback(True)
        self.stdout.write("Dry run: nothing was written or sent.")

    def _cycle(self, now: dt.datetime, dry_run: bool) -> None:
        result = services.reminders_plan(now=now)
        self.stdout.write(
            f"Planned {len(result.created)} reminder(s) from {result.candidates} candidate task(s)."
        )
        for p in result.created:
            self.stdout.write(
                f"  planned task #{p.task_id} {p.kind} (offset {p.offset}, due {p.due_date}) "
                f"→ user #{p.recipient_id}: {p.title}"
            )
        digests = services.digests_send(now=now)
        if digests:
            self.stdout.write(f"Gathered {digests} daily digest(s).")
        if not dry_run:
            requeued = services.deliveries_requeue_stuck(now=now)
            if requeued:
                self.stdout.write(f"Re-queued {requeued} delivery(ies) stuck in sending.")
            total = services.SendResult()
            while True:
                batch = services.deliveries_send(now=now, limit=200)
                for name in ("sent", "retrying", "failed", "skipped"):
                    getattr(total, name).extend(getattr(batch, name))
                if batch.claimed < 200:
                    break
            for name in ("sent", "retrying", "failed", "skipped"):
                for line in getattr(total, name):
                    self.stdout.write(f"  {name}: {line}")
            self.stdout.write(
                f"Sent {len(total.sent)}, retrying {len(total.retrying)}, failed {len(total.failed)}, "
                f"skipped {len(total.skipped)}."
            )
        else:
            due = Delivery.objects.filter(
                state=DeliveryState.PENDING, next_attempt_at__lte=now
            ).select_related("notification__recipient")
            self.stdout.write(f"Would send {due.count()} delivery(ies):")
            for d in due.order_by("id")[:500]:
                self.stdout.write(
                    f"  would send {d.get_channel_display()} → {d.notification.recipient.username}: "
                    f"{d.notification.title}"
                )
