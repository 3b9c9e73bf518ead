"""What the bell's menu shows of a notice: who it comes from. An event notice names its actor in one line of
its text (`texts.ACTOR_LABELS`: "Người duyệt: …", in the recipient's language when it was made); a reminder
and a round notice come from the system itself. Pure: read from the stored text, no query."""

from __future__ import annotations

import functools

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from .texts import ACTOR_LABELS


@functools.lru_cache(maxsize=64)
def _actor_prefixes(kind: str) -> tuple[str, ...]:
    """The start of the actor's line of `kind` in every language of the site ("Người duyệt: ")."""
    label = ACTOR_LABELS.get(kind)
    if not label:
        return ()
    prefixes = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            prefix = _(label).split("%(name)s", 1)[0]
        if prefix.strip():
            prefixes.add(prefix)
    return tuple(sorted(prefixes, key=len, reverse=True))


def notice_actor(kind: str, body: str) -> str:
    """The name of who acted, as the notice's text gives it; "" when the text names no one."""
    prefixes = _actor_prefixes(kind)
    for line in (body or "").splitlines():
        for prefix in prefixes:
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
    return ""


def notice_sender(kind: str, body: str) -> str:
    """Who the bell says a notice is from: the actor of an event, else the reminder system."""
    return notice_actor(kind, body) or ("" if kind in ACTOR_LABELS else _("Hệ thống nhắc việc"))
