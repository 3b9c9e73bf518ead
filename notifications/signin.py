"""At sign-in, whatever the hour: "Bạn có 3 nhiệm vụ quá hạn và 2 nhiệm vụ sắp đến hạn", each part a link to
"Việc của tôi" on that tab. The counts are the tabs' own (`tasks.selectors.bucket_counts` over
`my_task_list`, with `tasks.status.overdue_q`): one aggregate query, so the message, the tabs and the
dashboard never disagree. Nothing is said when nothing is overdue or due soon."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tasks.selectors import bucket_counts, due_soon_until, my_task_list


def deadline_counts(*, user, today: dt.date | None = None) -> dict[str, int]:
    """How many of the user's tasks are overdue and due soon, as "Việc của tôi" counts them (one query)."""
    today = today or timezone.localdate()
    return bucket_counts(
        my_task_list(user=user, today=today),
        user=user,
        today=today,
        soon_until=due_soon_until(today),
        buckets=("overdue", "due_soon"),
    )


def deadline_summary(counts: dict[str, int]) -> str:
    """The message (safe HTML, its parts linking to the tabs), or "" when there is nothing to say."""
    mine = reverse("tasks:mine")
    parts = []
    if counts.get("overdue"):
        n = counts["overdue"]
        text = ngettext("%(n)d nhiệm vụ quá hạn", "%(n)d nhiệm vụ quá hạn", n) % {"n": n}
        parts.append(format_html('<a href="{}?tab=overdue">{}</a>', mine, text))
    if counts.get("due_soon"):
        n = counts["due_soon"]
        text = ngettext("%(n)d nhiệm vụ sắp đến hạn", "%(n)d nhiệm vụ sắp đến hạn", n) % {"n": n}
        parts.append(format_html('<a href="{}?tab=due_soon">{}</a>', mine, text))
    if not parts:
        return ""
    if len(parts) == 2:
        return format_html(_("Bạn có {overdue} và {soon}."), overdue=parts[0], soon=parts[1])
    return format_html(_("Bạn có {what}."), what=parts[0])


@receiver(user_logged_in, dispatch_uid="notifications.signin_deadline_summary")
def signin_deadline_summary(sender, request, user, **kwargs) -> None:
    """Tell who signs in what is overdue or due soon (a message on the next page, in their language)."""
    if request is None or not hasattr(request, "_messages"):
        return  # signed in outside a page (a test's force_login, a script): no one to tell
    counts = deadline_counts(user=user)
    # In the language the next page speaks: the sign-in switches to the user's own (org.views.SignInView).
    with translation.override(user.language or translation.get_language()):
        text = deadline_summary(counts)
    if text:
        messages.warning(request, text, fail_silently=True)
