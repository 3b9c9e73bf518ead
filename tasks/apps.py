from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    name = "tasks"
    verbose_name = _("Nhiệm vụ")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (keeps effective due dates in step with the calendar)
