from django.apps import AppConfig


class ConfigConfig(AppConfig):
    name = "config"
    verbose_name = "Reform Tracker"

    def ready(self):
        # Celery's signals (heartbeats, recompute timings, the request id into jobs), in every process.
        from config.ops import logs, signals  # noqa: F401

        logs.configure_structlog()
