from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def _register_fold(sender, connection, **kwargs):
    """SQLite has no `unaccent`: `reform_fold` is `plans.search.fold`, on every new connection."""
    if connection.vendor == "sqlite":
        from .search import FOLD_FUNCTION, fold

        connection.connection.create_function(FOLD_FUNCTION, 1, fold, deterministic=True)


class PlansConfig(AppConfig):
    name = "plans"
    verbose_name = _("Kế hoạch")

    def ready(self):
        connection_created.connect(_register_fold, dispatch_uid="plans.register_fold")
