"""Users and their memberships: creating a user, granting and taking away a role in a unit, what changed
on a user (for the audit trail), the interface language they chose."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..audit import audit_record, changes_between, snapshot
from ..models import AuditAction, Membership, Role, Unit, User
from ..permissions import can_administer


@transaction.atomic
def user_create(
    *,
    actor=None,
    username: str,
    password: str | None,
    full_name: str = "",
    email: str = "",
    memberships: list[tuple[Unit, str]] = (),
    is_superuser: bool = False,
    language: str = "vi",
) -> User:
    """Create a user with their memberships in one transaction. An administrator creates users only with
    memberships in their subtree (at least one, so the user stays theirs to manage); only a superuser
    creates superusers."""
    if actor is not None and not actor.is_superuser:
        if is_superuser:
            raise PermissionDenied(_("Chỉ quản trị hệ thống mới tạo được tài khoản quản trị hệ thống."))
        if not memberships:
            raise ValidationError(
                {"memberships": [_("Phân công người dùng vào một đơn vị thuộc phạm vi bạn quản trị.")]}
            )
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": ["A user with that username already exists."]})
    user = User(
        username=username,
        full_name=full_name,
        email=email,
        is_superuser=is_superuser,
        is_staff=is_superuser,
        language=language,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit_record(
        actor=actor,
        action=AuditAction.USER_CREATED,
        subject=user,
        unit=memberships[0][0] if memberships else None,
        changes=changes_between({}, {"username": username, "is_superuser": is_superuser}),
    )
    for unit, role in memberships:
        membership_add(actor=actor, user=user, unit=unit, role=role)
    return user


@transaction.atomic
def membership_add(*, actor=None, user: User, unit: Unit, role: str) -> Membership:
    """Grant `role` in `unit`: an administrator grants memberships only in their subtree."""
    if actor is not None and not can_administer(actor, unit):
        raise ValidationError({"memberships": [_("Chọn đơn vị thuộc phạm vi bạn quản trị.")]})
    if role not in Role.values:
        raise ValidationError({"role": [f"'{role}' is not one of {', '.join(Role.values)}"]})
    membership, created = Membership.objects.get_or_create(user=user, unit=unit, role=role)
    if role == Role.ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    if created:
        audit_record(
            actor=actor,
            action=AuditAction.MEMBERSHIP_ADDED,
            subject=user,
            unit=unit,
            changes={"unit": [None, unit.code], "role": [None, role]},
        )
    return membership


@transaction.atomic
def membership_remove(*, actor=None, membership: Membership) -> None:
    """Take a membership away: an administrator only in their subtree."""
    if actor is not None and not can_administer(actor, membership.unit):
        raise ValidationError({"memberships": [_("Chọn đơn vị thuộc phạm vi bạn quản trị.")]})
    audit_record(
        actor=actor,
        action=AuditAction.MEMBERSHIP_REMOVED,
        subject=membership.user,
        unit=membership.unit,
        changes={"unit": [membership.unit.code, None], "role": [membership.role, None]},
    )
    membership.delete()


#: The fields of a user their audit entries compare (a password change is recorded, never its value).
USER_AUDITED = ("username", "full_name", "email", "is_active", "is_staff", "is_superuser", "password")


def user_changes(before: dict, user: User) -> dict:
    """What changed on a user, the password shown only as changed."""
    changes = changes_between(before, snapshot(user, USER_AUDITED))
    if "password" in changes:
        changes["password"] = ["***", "***"]
    return changes


def user_set_language(*, user: User, language: str) -> User:
    """Remember the interface language a user chose; it is applied again at each sign-in."""
    from django.conf import settings

    if language not in dict(settings.LANGUAGES):
        raise ValidationError({"language": [f"'{language}' is not an available language."]})
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
