"""Units (Đơn vị) in a tree, users, their memberships, and the admin table of calendar overrides."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


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


class UnitQuerySet(models.QuerySet):
    def subtree_of(self, units_or_paths) -> UnitQuerySet:
        """Units in the subtree of any of the given units (themselves included)."""
        return self.filter(subtree_q("", _paths(units_or_paths)))

    def visible_to(self, user) -> UnitQuerySet:
        """Units a user may see: everything for a superuser, else the subtrees of their memberships.
        Every unit listing that reaches a user goes through here."""
        if not user.is_authenticated:
            return self.none()
        if user.is_superuser:
            return self
        return self.filter(subtree_q("", user_scope_paths(user)))


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


def _paths(units_or_paths) -> list[str]:
    return [u if isinstance(u, str) else u.path for u in units_or_paths]


def subtree_q(prefix: str, paths: list[str]) -> Q:
    """Q matching rows whose unit (reached through `prefix`, e.g. "assignee_unit__") lies in one of the
    subtrees given by their materialised paths. No paths → matches nothing."""
    q = Q(pk__in=[])
    for path in _minimal_paths(paths):
        q |= Q(**{f"{prefix}path__startswith": path})
    return q


def _minimal_paths(paths: list[str]) -> list[str]:
    """Drop paths inside another path of the list: a province leader who is also a city official needs one
    prefix, not two."""
    result: list[str] = []
    for p in sorted(set(paths), key=len):
        if not any(p.startswith(r) for r in result):
            result.append(p)
    return result


def user_memberships(user) -> list[tuple[int, str, str]]:
    """(unit_id, unit_path, role) for each membership of the user, cached on the user object (one query per
    request, whatever asks: visibility here, roles in `org.selectors`)."""
    cached = getattr(user, "_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).values_list("unit_id", "unit__path", "role"))
        user._memberships = cached
    return cached


def user_scope_paths(user) -> list[str]:
    """Paths of the units where the user holds a membership."""
    return sorted({path for _unit, path, _role in user_memberships(user)})
