from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrgConfig(AppConfig):
    name = "org"
    verbose_name = _("Tổ chức")

    def ready(self):
        # A password change or a deactivation, through any path (pages, admin, API, shell), signs the user
        # out everywhere.
        from . import receivers  # noqa: F401
