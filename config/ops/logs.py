"""Log lines as JSON (LOG_FORMAT=json: one object per line, for the province's log collector) or for a person
reading a console (LOG_FORMAT=console, `make run`'s default), from the standard `logging` calls the code
already makes. structlog formats every record and adds the context bound for the request or job being served
(`request_id`, `task_name`, `task_id`: config.ops.request_id, config.ops.signals) and any `extra=` fields.

Imported by the settings (LOGGING): nothing from Django here."""

from __future__ import annotations

import structlog

FORMATS = ("json", "console")

_PRE_CHAIN = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _renderers(fmt: str) -> list:
    if fmt == "json":
        return [
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ]
    return [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback),
    ]


def logging_config(*, fmt: str, level: str) -> dict:
    """The LOGGING dict for `fmt` ("json" or "console"); anything else is refused at start-up."""
    if fmt not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            fmt: {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": _renderers(fmt),
                "foreign_pre_chain": _PRE_CHAIN,
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": fmt}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.request": {"level": "ERROR"},
            # django-health-check logs every failed check with its traceback, at every probe; the cause of a
            # failure is logged once per probe by config.ops.health, an unexpected error still at ERROR.
            "health_check": {"level": "ERROR"},
            # PDF documents (org.documents): WeasyPrint logs each rendering step and fontTools each font
            # subset at INFO; a refused or missing resource is still a WARNING/ERROR.
            "weasyprint.progress": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }


def configure_structlog() -> None:
    """structlog's own loggers (`structlog.get_logger()`) go through the same `logging` handlers."""
    structlog.configure(
        processors=[*_PRE_CHAIN[:3], structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
