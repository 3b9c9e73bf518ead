"""Units (Đơn vị) in a tree, users, their memberships, and the admin table of calendar overrides."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .scoping import ScopedQuerySet, subtree_q
from .scoping import user_memberships as user_memberships  # re-exported: callers of org.models keep working
from .scoping import user_scope_paths as user_scope_paths


class UnitKind(models.TextChoices):
    PROVINCE = "province", _("Tỉnh, thành phố")
    DEPARTMENT = "department", _("Sở, ban, ngành")
    DISTRICT = "district", _("Huyện, thị xã, thành phố thuộc tỉnh")
    COMMUNE = "commune", _("Xã, phường, đặc khu")


class Role(models.TextChoices):
    OFFICIAL = "official", _("Cán bộ, chuyên viên")
    LEADER = "leader", _("Lãnh đạo")
    APPRAISER = "appraiser", _("Thẩm định viên")
    ADMIN = "admin", _("Quản trị")


class UnitQuerySet(ScopedQuerySet):
    def subtree_of(self, units_or_paths) -> UnitQuerySet:
        """Units in the subtree of any of the given units (themselves included)."""
        return self.filter(subtree_q("", _paths(units_or_paths)))

    def scope_q(self, paths: list[str]) -> Q:
        """Units a user may see (`visible_to`): the subtrees of their memberships. Every unit listing that
        reaches a user goes through here."""
        return subtree_q("", paths)


class Unit(models.Model):
    code = models.CharField(_("mã"), max_length=32, unique=True)
    name = models.CharField(_("tên"), max_length=255)
    kind = models.CharField(_("loại"), max_length=16, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("đơn vị cấp trên"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of ids ("/1/7/42/"): a subtree is one indexed prefix match, at any depth.
    path = models.CharField(max_length=255, editable=False, default="")

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("đơn vị")
        verbose_name_plural = _("đơn vị")
        ordering = ["code"]
        indexes = [models.Index(fields=["path"], name="org_unit_path_idx", opclasses=["varchar_pattern_ops"])]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=UnitKind.values), name="org_unit_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this unit, itself included."""
        return [int(p) for p in self.path.strip("/").split("/") if p]


class User(AbstractUser):
    full_name = models.CharField(_("họ và tên"), max_length=150, blank=True)
    language = models.CharField(
        _("ngôn ngữ"), max_length=8, choices=[("vi", "Tiếng Việt"), ("en", "English")], default="vi"
    )

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.username


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("vai trò"), max_length=16, choices=Role.choices)

    class Meta:
        verbose_name = _("phân công người dùng vào đơn vị")
        verbose_name_plural = _("phân công người dùng vào đơn vị")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="org_membership_unique"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="org_membership_role_valid"),
        ]
        indexes = [models.Index(fields=["unit", "role"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.unit.code}"


class CalendarDay(models.Model):
    """An exception to the national calendar: an extra day off, or a Saturday worked (làm bù)."""

    date = models.DateField(_("ngày"), unique=True)
    is_working = models.BooleanField(
        _("là ngày làm việc"), help_text=_("Đánh dấu nếu là ngày làm bù; bỏ trống nếu là ngày nghỉ thêm.")
    )
    note = models.CharField(_("ghi chú"), max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("ngày điều chỉnh lịch làm việc")
        verbose_name_plural = _("lịch làm việc: ngày điều chỉnh")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m/%Y} — {_('làm việc') if self.is_working else _('nghỉ')}"


class UserSession(AbstractBaseSession):
    """A web session (Django's database session) that knows whose it is, so that ending every session of a
    user is one indexed delete (`org.accounts.user_sign_out_everywhere`). The engine is `org.sessions`."""

    # A plain id, not a foreign key: a session may outlive, or briefly precede, the row it names.
    user_id = models.BigIntegerField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("phiên đăng nhập")
        verbose_name_plural = _("phiên đăng nhập")

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore


class AuditAction(models.TextChoices):
    """Every write a user makes outside a task's own history (tasks keep theirs in `TaskEvent`). One
    vocabulary for all apps, as Zulip's audit log has one event type list: the apps above write these
    values through `org.audit`, and the admin and the pages show them."""

    UNIT_CREATED = "unit_created", pgettext_lazy("audit", "Tạo đơn vị")
    UNIT_CHANGED = "unit_changed", pgettext_lazy("audit", "Sửa đơn vị")
    USER_CREATED = "user_created", pgettext_lazy("audit", "Tạo người dùng")
    USER_CHANGED = "user_changed", pgettext_lazy("audit", "Sửa người dùng")
    MEMBERSHIP_ADDED = "membership_added", pgettext_lazy("audit", "Phân công vào đơn vị")
    MEMBERSHIP_REMOVED = "membership_removed", pgettext_lazy("audit", "Thôi phân công")
    CALENDAR_DAY_SET = "calendar_day_set", pgettext_lazy("audit", "Điều chỉnh lịch làm việc")
    PLAN_CREATED = "plan_created", pgettext_lazy("audit", "Tạo kế hoạch")
    PLAN_CHANGED = "plan_changed", pgettext_lazy("audit", "Sửa kế hoạch")
    PLAN_ISSUED = "plan_issued", pgettext_lazy("audit", "Ban hành kế hoạch")
    PLAN_CLOSED = "plan_closed", pgettext_lazy("audit", "Kết thúc kế hoạch")
    CRITERIA_SET_IMPORTED = "criteria_set_imported", pgettext_lazy("audit", "Nhập bộ tiêu chí")
    CRITERIA_SET_CHANGED = "criteria_set_changed", pgettext_lazy("audit", "Sửa bộ tiêu chí")
    CRITERIA_SET_DELETED = "criteria_set_deleted", pgettext_lazy("audit", "Xoá bộ tiêu chí")
    APPRAISAL_SAVED = "appraisal_saved", pgettext_lazy("audit", "Lưu điểm thẩm định")
    SURVEY_IMPORTED = "survey_imported", pgettext_lazy("audit", "Nhập kết quả điều tra xã hội học")
    ROUND_STEP = "round_step", pgettext_lazy("audit", "Chuyển giai đoạn kỳ đánh giá")
    SELF_ASSESSMENT_SAVED = "self_assessment_saved", pgettext_lazy("audit", "Lưu tự đánh giá")
    SELF_ASSESSMENT_SUBMITTED = "self_assessment_submitted", pgettext_lazy("audit", "Gửi tự đánh giá")
    CRITERION_EVIDENCE_ADDED = "criterion_evidence_added", pgettext_lazy("audit", "Thêm tài liệu kiểm chứng")
    EXPLANATION_ANSWERED = "explanation_answered", pgettext_lazy("audit", "Giải trình")
    ADJUSTMENT_SAVED = "adjustment_saved", pgettext_lazy("audit", "Lưu điểm thưởng, điểm trừ")
    RESULTS_PUBLISHED = "results_published", pgettext_lazy("audit", "Công bố kết quả")


class AppendOnlyQuerySet(models.QuerySet):
    """The rows of an `AppendOnlyModel`: no bulk update or delete either."""

    def update(self, **kwargs):
        raise TypeError(self.model.append_only_message)

    def delete(self):
        raise TypeError(self.model.append_only_message)


class AppendOnlyModel(models.Model):
    """A record that is only ever added to, such as the audit trail here and a task's history: a trail that
    can be rewritten proves nothing. A row is saved once, never changed or deleted (its queryset derives
    from `AppendOnlyQuerySet`)."""

    append_only_message = "This record is append-only."

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError(self.append_only_message)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(self.append_only_message)


class AuditEntryQuerySet(AppendOnlyQuerySet, ScopedQuerySet):
    def scope_q(self, paths: list[str]) -> Q:
        """Entries about units in the user's subtrees (`visible_to`; a superuser sees all; an entry with no
        unit, such as a calendar change, only a superuser)."""
        return subtree_q("unit__", paths)

    def about(self, obj) -> AuditEntryQuerySet:
        """The entries whose subject is `obj` (newest first)."""
        ct = ContentType.objects.get_for_model(type(obj))
        return self.filter(subject_type=ct, subject_id=obj.pk).order_by("-at", "-id")


class AuditEntry(AppendOnlyModel):
    """Who changed what, when, in which unit, and the fields before and after (`changes`: {field: [old,
    new]}). Written by the service that makes the change, in the same transaction (`org.audit`)."""

    append_only_message = "The audit trail is append-only."

    at = models.DateTimeField(_("thời điểm"), default=timezone.now, db_index=True)
    # None: the operator running a management command (they act as the system, SPEC §6).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thực hiện"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(_("hành động"), max_length=32, choices=AuditAction.choices)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.BigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    subject_repr = models.CharField(_("đối tượng"), max_length=255)
    # The unit the change concerns: whose administrators and leaders may read the entry.
    unit = models.ForeignKey(
        Unit, verbose_name=_("đơn vị"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changes = models.JSONField(_("thay đổi"), default=dict, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("nhật ký thao tác")
        verbose_name_plural = _("nhật ký thao tác")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "at"], name="org_audit_subject_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=AuditAction.values), name="org_audit_action_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M} {self.get_action_display()} {self.subject_repr}"


def _paths(units_or_paths) -> list[str]:
    return [u if isinstance(u, str) else u.path for u in units_or_paths]
