"""A user whose password changes or who is deactivated is signed out everywhere, whatever changed it: the
password page, the admin, `changepassword`, the API or a shell. Thin: the work is in `org.accounts`."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from .models import User

_WATCHED = {"password", "is_active"}


def _is_sign_in_rehash(user: User, update_fields) -> bool:
    # Django upgrades a password's hash at sign-in (check_password's setter): same password, new hash,
    # saved with update_fields=["password"] after clearing `_password` (set_password() fills it, save()
    # clears it).
    return update_fields is not None and set(update_fields) == {"password"} and user._password is None


@receiver(pre_save, sender=User, dispatch_uid="org.user_sign_out_on_change.detect")
def _detect(sender, instance: User, update_fields=None, raw=False, **kwargs) -> None:
    instance._sign_out_everywhere = False
    if raw or instance.pk is None or (update_fields is not None and not _WATCHED & set(update_fields)):
        return
    stored = User.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if stored is None:
        return
    password_changed = stored["password"] != instance.password and not _is_sign_in_rehash(
        instance, update_fields
    )
    deactivated = stored["is_active"] and not instance.is_active
    instance._sign_out_everywhere = password_changed or deactivated


@receiver(post_save, sender=User, dispatch_uid="org.user_sign_out_on_change.act")
def _act(sender, instance: User, created=False, raw=False, **kwargs) -> None:
    if getattr(instance, "_sign_out_everywhere", False):
        instance._sign_out_everywhere = False
        from .accounts import user_sign_out_everywhere

        # In the saving transaction where there is one: a save that rolls back ends nothing.
        with transaction.atomic():
            user_sign_out_everywhere(user=instance)
