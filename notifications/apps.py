from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Thông báo, nhắc việc")

    def ready(self) -> None:
        from . import (
            receivers,  # noqa: F401  (task event notices, round notices)
            signin,  # noqa: F401  (the deadline summary at sign-in)
        )
