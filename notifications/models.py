"""The reminder policy settings, users' channel preferences, and the notification ledger.

`Notification` is both the in-app row and the ledger. Each row is one of three kinds: a task reminder
(unique key: task, recipient, kind, effective due date, offset), a task event notice (event id, recipient,
kind), or a round notice of the assessment round (SPEC §3a: criteria set, unit, recipient, kind, deadline or
decision date, offset or published version). The keys make every one of them at most once whatever runs
twice. `Delivery` is one channel's attempt to carry it (email, webhook), claimed by workers with
`select_for_update(skip_locked=True)` and marked sent only after the channel accepted it.
`Digest` is one user's daily email, which carries the deliveries held for it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .links import absolute_url, round_path, round_url, task_path, task_url  # noqa: F401  (the notices' pages)
from .phones import NORMALIZED_REGEX as PHONE_REGEX
from .policy import InvalidPolicy, ReminderPolicy

log = logging.getLogger(__name__)

EVENT_KINDS = (
    "assigned",
    "submitted",
    "returned",
    "approved",
    "extension_requested",
    "extension_decided",
    "mentioned",  # named with @username in a comment on the task (keyed by the comment's event)
)
# The assessment round's notices (SPEC §3a): they carry `criteria_set` and `unit` instead of `task`.
ROUND_DUE_KINDS = ("self_assessment_due", "explanation_due")
ROUND_KINDS = (*ROUND_DUE_KINDS, "results_published")

KIND_LABELS = {
    "due_7": _("Nhắc trước hạn 7 ngày"),
    "due_3": _("Nhắc trước hạn 3 ngày"),
    "due_1": _("Nhắc trước hạn 1 ngày"),
    "due_0": _("Nhắc đến hạn"),
    "at_risk": _("Nguy cơ trễ hạn"),
    "overdue": _("Quá hạn"),
    "escalation": _("Báo cáo lãnh đạo (quá hạn)"),
    "assigned": _("Được giao nhiệm vụ"),
    "submitted": _("Trình duyệt"),
    "returned": _("Bị trả lại"),
    "approved": _("Được duyệt"),
    "extension_requested": _("Đề nghị gia hạn"),
    "extension_decided": _("Quyết định gia hạn"),
    "mentioned": _("Được nhắc đến trong ý kiến"),
    "self_assessment_due": _("Nhắc hạn tự đánh giá"),
    "explanation_due": _("Nhắc hạn giải trình"),
    "results_published": _("Công bố kết quả đánh giá"),
}

# A before-due kind is due_<k> for whatever offsets the policy has; the others are fixed.
_KIND_REGEX = r"^(due_[0-9]+|at_risk|overdue|escalation)$"


def kind_label(kind: str) -> str:
    if kind in KIND_LABELS:
        return str(KIND_LABELS[kind])
    if kind.startswith("due_"):
        return str(_("Nhắc trước hạn %(n)s ngày")) % {"n": kind[4:]}
    return kind


class ReminderPolicySetting(models.Model):
    """The reminder policy as admins edit it: one global row (no plan) and optional per-plan rows. A
    per-plan row stores only the fields it changes, on top of the global policy."""

    plan = models.ForeignKey(
        "plans.Plan",
        verbose_name=_("kế hoạch"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Để trống: chính sách chung cho mọi kế hoạch."),
    )
    data = models.JSONField(
        _("thiết lập"),
        default=dict,
        blank=True,
        help_text=_(
            'JSON, ví dụ {"before_offsets": [7, 3, 1, 0], "overdue_first": 1, "overdue_every": 3, '
            '"escalation_first": 5, "escalation_every": 5, "at_risk_min_length": 20, '
            '"at_risk_progress_below": 50, "send_at": "08:00", "send_until": "17:00"}. '
            "Trường bỏ trống lấy giá trị mặc định (hoặc của chính sách chung)."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("chính sách nhắc việc")
        verbose_name_plural = _("chính sách nhắc việc")
        constraints = [
            # One global row (plan NULL counts as plan 0) and at most one row per plan.
            models.UniqueConstraint(Coalesce("plan", Value(0)), name="notifications_policy_one_per_plan"),
        ]

    def __str__(self) -> str:
        return str(_("Chính sách chung")) if self.plan_id is None else f"{_('Kế hoạch')} {self.plan}"

    @classmethod
    def global_policy(cls) -> ReminderPolicy:
        """The global policy: the global row's, or the defaults when there is no such row or it does not
        validate (edited outside the admin: logged, never a reason to send nothing or to fail a page)."""
        row = cls.objects.filter(plan__isnull=True).first()
        if row is None:
            return ReminderPolicy()
        try:
            return row.policy()
        except InvalidPolicy as exc:
            log.error("the global reminder policy is invalid, using the defaults: %s", exc)
            return ReminderPolicy()

    def policy(self, base: ReminderPolicy | None = None) -> ReminderPolicy:
        """The policy this row gives, over `base` (the global policy) for a per-plan row."""
        base = base or ReminderPolicy()
        return ReminderPolicy.from_dict({**base.to_dict(), **(self.data or {})})

    def clean(self) -> None:
        base = ReminderPolicySetting.global_policy() if self.plan_id is not None else None
        try:
            self.policy(base)
        except InvalidPolicy as exc:
            raise ValidationError(
                {"data": [f"{name}: {message}" for name, message in exc.errors.items()]}
            ) from None


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", _("Gửi ngay")
    DIGEST = "digest", _("Tóm tắt hằng ngày (07:30 ngày làm việc)")
    OFF = "off", _("Không gửi email")


class NotificationPreference(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    email_mode = models.CharField(
        _("nhận email"), max_length=10, choices=EmailMode.choices, default=EmailMode.IMMEDIATE
    )
    # The Zalo and SMS channels: each opted into by the user, both to this mobile number (`84xxxxxxxxx`,
    # normalized by `phones.normalize_vn_mobile`).
    phone = models.CharField(_("số điện thoại di động"), max_length=11, blank=True)
    zalo_enabled = models.BooleanField(_("nhận qua Zalo"), default=False)
    sms_enabled = models.BooleanField(_("nhận qua SMS"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("tùy chọn thông báo")
        verbose_name_plural = _("tùy chọn thông báo")
        constraints = [
            models.CheckConstraint(
                condition=Q(email_mode__in=EmailMode.values), name="notifications_pref_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=PHONE_REGEX), name="notifications_pref_phone_vn"
            ),
            # Opting into Zalo or SMS needs the number they go to.
            models.CheckConstraint(
                condition=~Q(phone="") | Q(zalo_enabled=False, sms_enabled=False),
                name="notifications_pref_phone_for_opt_in",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_email_mode_display()}"

    def clean(self) -> None:
        """The number as people write it becomes `84xxxxxxxxx` (the admin's form); opting in needs one."""
        from .phones import normalize_vn_mobile

        if self.phone:
            try:
                self.phone = normalize_vn_mobile(self.phone)
            except ValidationError as exc:
                raise ValidationError({"phone": exc.messages}) from None
        if (self.zalo_enabled or self.sms_enabled) and not self.phone:
            raise ValidationError(
                {"phone": [_("Cần số điện thoại di động để nhận thông báo qua Zalo hoặc SMS.")]}
            )


class Notification(models.Model):
    """One notice to one user, shown in the app and carried by the deliveries. Exactly one of:

    - a task reminder: `task` and `plan` set, no event id; unique per task, recipient, kind, effective due
      date and offset;
    - a task event notice: `task`, `plan` and `event_id` set; unique per event id, recipient and kind;
    - a round notice (SPEC §3a): `criteria_set` and `unit` set, no task; unique per criteria set, unit,
      recipient, kind, due date and offset. For `self_assessment_due` and `explanation_due` the due date is
      the round's deadline and the offset the working days before it; for `results_published` the due
      date is the decision date and the offset the published version, so that a republication after a
      correction notifies again and a repeat never does."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người nhận"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("loại"), max_length=32)
    task = models.ForeignKey(
        "tasks.Task",
        verbose_name=_("nhiệm vụ"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    plan = models.ForeignKey(
        "plans.Plan",
        verbose_name=_("kế hoạch"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # Round notices only: the criteria set whose round it is about, and the scored unit.
    criteria_set = models.ForeignKey(
        "criteria.CriteriaSet",
        verbose_name=_("bộ tiêu chí"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the round notices' unique index starts with it
    )
    unit = models.ForeignKey(
        "org.Unit",
        verbose_name=_("đơn vị"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    title = models.CharField(_("tiêu đề"), max_length=500)
    body = models.TextField(_("nội dung"), blank=True)
    due_date = models.DateField(_("hạn (thực tế)"), null=True, blank=True)
    # Working days before the effective due date (>= 0), or minus working days overdue (reminders); working
    # days before the round's deadline, or the published version (round notices).
    offset = models.SmallIntegerField(_("độ lệch (ngày làm việc)"), null=True, blank=True)
    # The outbox row of the task event; event notices only.
    event_id = models.BigIntegerField(_("mã sự kiện"), null=True, blank=True)
    created_at = models.DateTimeField(_("thời điểm tạo"), default=timezone.now)
    read_at = models.DateTimeField(_("đã đọc lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("thông báo")
        verbose_name_plural = _("thông báo")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["task", "recipient", "kind", "due_date", "offset"],
                condition=Q(event_id__isnull=True),
                name="notifications_reminder_once",
            ),
            models.UniqueConstraint(
                fields=["event_id", "recipient", "kind"],
                condition=Q(event_id__isnull=False),
                name="notifications_notice_once",
            ),
            # Columns in lookup order: the planner reads a set's rows of one kind, deadline and offset.
            models.UniqueConstraint(
                fields=["criteria_set", "kind", "due_date", "offset", "unit", "recipient"],
                condition=Q(criteria_set__isnull=False),
                name="notifications_round_notice_once",
            ),
            models.CheckConstraint(
                condition=(
                    Q(  # a task reminder
                        task__isnull=False,
                        plan__isnull=False,
                        criteria_set__isnull=True,
                        unit__isnull=True,
                        event_id__isnull=True,
                        offset__isnull=False,
                        due_date__isnull=False,
                        kind__regex=_KIND_REGEX,
                    )
                    | Q(  # a task event notice
                        task__isnull=False,
                        plan__isnull=False,
                        criteria_set__isnull=True,
                        unit__isnull=True,
                        event_id__isnull=False,
                        offset__isnull=True,
                        kind__in=EVENT_KINDS,
                    )
                    | Q(  # a round notice
                        task__isnull=True,
                        plan__isnull=True,
                        criteria_set__isnull=False,
                        unit__isnull=False,
                        event_id__isnull=True,
                        offset__isnull=False,
                        due_date__isnull=False,
                        kind__in=ROUND_KINDS,
                    )
                ),
                name="notifications_reminder_or_notice",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notif_recipient_unread"),
            models.Index(fields=["recipient", "-created_at"], name="notif_recipient_recent"),
            models.Index(fields=["task", "kind", "due_date", "offset"], name="notif_task_key"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_kind_display(self) -> str:
        return kind_label(self.kind)

    @property
    def url(self) -> str:
        return absolute_url(self.url_path)

    @property
    def url_path(self) -> str:
        """The page the notice is about: the task's, or for a round notice the unit's self-assessment
        (deadlines) or the set's ranking (results)."""
        if self.task_id is not None:
            return task_path(self.task_id)
        if self.criteria_set_id is not None:
            return round_path(self.kind, self.criteria_set_id, self.unit_id)
        return "/"


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook")
    ZALO = "zalo", _("Zalo (ZNS)")
    SMS = "sms", _("SMS")


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Chờ gửi")
    SENDING = "sending", _("Đang gửi")
    SENT = "sent", _("Đã gửi")
    FAILED = "failed", _("Thất bại")
    SKIPPED = "skipped", _("Bỏ qua")
    DIGEST = "digest", _("Chờ bản tóm tắt")


class Sendable(models.Model):
    """What a worker claims and sends: the state, the attempts with their back-off, the claim (for the
    sweeper) and the last error. Shared by a delivery and a digest."""

    state = models.CharField(
        _("trạng thái"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("số lần thử"), default=0)
    next_attempt_at = models.DateTimeField(_("thử lại lúc"), null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("đã gửi lúc"), null=True, blank=True)
    last_error = models.TextField(_("lỗi gần nhất"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        # `%(class)s` gives each table its own names (notif_digest_due, notif_delivery_due, …).
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=DeliveryState.values), name="notifications_%(class)s_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notif_%(class)s_due"),
            models.Index(fields=["state", "claimed_at"], name="notif_%(class)s_claimed"),
        ]


class Digest(Sendable):
    """One user's daily email for one working day, carrying the email deliveries held for it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người nhận"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("ngày"))

    class Meta(Sendable.Meta):
        verbose_name = _("bản tóm tắt hằng ngày")
        verbose_name_plural = _("bản tóm tắt hằng ngày")
        ordering = ["-day", "recipient_id"]
        constraints = [
            *Sendable.Meta.constraints,
            models.UniqueConstraint(fields=["recipient", "day"], name="notifications_digest_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} — {self.day:%d/%m/%Y}"


class Delivery(Sendable):
    """One channel carrying one notification. Pending rows are claimed by workers (skip locked), sent, and
    marked sent only after the channel accepted them; failures back off and are kept, with the error."""

    notification = models.ForeignKey(
        Notification, verbose_name=_("thông báo"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("kênh"), max_length=10, choices=Channel.choices)
    digest = models.ForeignKey(
        Digest,
        verbose_name=_("bản tóm tắt"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )

    class Meta(Sendable.Meta):
        verbose_name = _("lượt gửi")
        verbose_name_plural = _("lượt gửi")
        ordering = ["-created_at", "-id"]
        constraints = [
            *Sendable.Meta.constraints,
            models.UniqueConstraint(fields=["notification", "channel"], name="notifications_delivery_once"),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="notifications_delivery_channel_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} — {self.notification}"


class ZaloToken(models.Model):
    """The Zalo Official Account's current tokens: one row. Zalo's refresh token is single-use (a refresh
    returns a new pair and voids the old refresh token), so a refresh is done under this row's lock
    (`select_for_update`): a second worker waiting on the lock finds the new token and uses it rather than
    refreshing with a voided one. The first row is seeded from ZALO_OA_ACCESS_TOKEN and
    ZALO_OA_REFRESH_TOKEN."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    access_token = models.TextField(_("access token"), blank=True)
    refresh_token = models.TextField(_("refresh token"), blank=True)
    expires_at = models.DateTimeField(_("hết hạn lúc"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("làm mới lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("mã truy cập Zalo OA")
        verbose_name_plural = _("mã truy cập Zalo OA")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="notifications_zalo_token_one_row")]

    def __str__(self) -> str:
        if self.refreshed_at is None:
            return "Zalo OA"
        return f"Zalo OA ({self.refreshed_at:%d/%m/%Y %H:%M})"


class CalendarFeed(models.Model):
    """A user's secret calendar feed address (the deadlines of their open tasks as iCalendar), which Outlook
    and phone calendars subscribe to without a session. Revoking gives a new token: the old address answers
    404 from then on.

    The token is stored as it is, unique, rather than hashed: it only ever reads deadlines that the same
    database holds in clear, so someone reading this table learns nothing the task table does not tell them,
    and keeping it lets the user see and copy their address again (a second phone, a new Outlook) instead of
    having to revoke it and break the calendars already subscribed. 32 random bytes (`secrets`), 256 bits:
    not guessable, and looked up by the unique index in one query."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("người dùng"),
    )
    token = models.CharField(_("mã bí mật"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("tạo lúc"), default=timezone.now)

    class Meta:
        verbose_name = _("lịch hạn nhiệm vụ (iCal)")
        verbose_name_plural = _("lịch hạn nhiệm vụ (iCal)")
        constraints = [
            # Long enough to be unguessable whatever writes the row.
            models.CheckConstraint(
                condition=Q(token__regex=r"^[A-Za-z0-9_-]{43,64}$"), name="notifications_feed_token_strong"
            ),
        ]

    def __str__(self) -> str:
        return str(self.user)
