"""Reads about plans (the plan pages, which also show tasks, live in `tasks.views.plans`)."""

from __future__ import annotations

from org.models import AuditEntry

from .models import Plan


def plan_audit_entries(plan: Plan, *, limit: int = 50) -> list[AuditEntry]:
    """The plan's audit entries, newest first: created, changed (fields before and after), issued, closed."""
    return list(AuditEntry.objects.about(plan).select_related("actor")[:limit])
