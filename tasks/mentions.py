"""`@username` mentions in a comment (ý kiến trao đổi): finding them in the text, and drawing the text with
the mentions that reached someone highlighted. Pure functions: no queries (the service resolves the names,
`tasks.selectors.task_viewers_named`, in one query)."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# An "@" that does not follow a letter, digit or a username's punctuation (so "a@b.vn", an e-mail address,
# is no mention), then a username: letters, digits and . + - _ (Django's username characters but "@").
MENTION_RE = re.compile(r"(?<![\w.@+-])@(\w[\w.+-]*)")


def _name(match: re.Match) -> str:
    # A sentence may end right after a name: "… @leader." mentions "leader".
    return match.group(1).rstrip(".")


def mention_names(text: str) -> list[str]:
    """The usernames `text` mentions, in order of first appearance, each once (as written)."""
    seen: dict[str, str] = {}
    for match in MENTION_RE.finditer(text):
        name = _name(match)
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def render_mentions(text: str, mentioned: dict[str, str]) -> SafeString:
    """`text` as HTML: escaped, line breaks kept, and each `@name` of `mentioned` (lower-cased username →
    display name) highlighted with the person's name as its title. Names that reached no one stay text."""
    parts: list[str] = []
    last = 0
    for match in MENTION_RE.finditer(text):
        name = _name(match)
        person = mentioned.get(name.lower())
        if person is None:
            continue
        end = match.start() + 1 + len(name)
        parts.append(escape(text[last : match.start()]))
        parts.append(f'<span class="mention" title="{escape(person)}">@{escape(name)}</span>')
        last = end
    parts.append(escape(text[last:]))
    html = "".join(parts).replace("\r\n", "\n").replace("\n", "<br>")
    return mark_safe(html)  # noqa: S308 — every piece of user text above went through escape()
