"""How the pages colour a task's state: the one mapping is `tasks.choices.STATE_HUES`."""

from __future__ import annotations

from django import template

from ..choices import STATE_HUES

register = template.Library()


@register.filter
def state_hue(state) -> str:
    """{{ task.state|state_hue }} → "amber" for a submitted task (grey for a value no state has)."""
    return STATE_HUES.get(state, "grey")
