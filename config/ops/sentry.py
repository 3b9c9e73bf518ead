"""Sentry, only when SENTRY_DSN is set: errors of the web processes and the Celery jobs, without personal data
(no user, no cookies, no request bodies: send_default_pii off)."""

from __future__ import annotations


def sentry_init(*, dsn: str, environment: str, release: str, traces_sample_rate: float) -> bool:
    """Start the Sentry client when `dsn` is set; True when it was started. Called by the settings."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate,
    )
    return True
