"""The channels that carry notifications out of the app: email (Django's email backends, SMTP configured by
EMAIL_URL) and a webhook (a signed JSON POST for a chat bridge).

A send either returns (the channel accepted the message) or raises `ChannelError`; `permanent` errors are
not retried. Nothing here touches the database: the delivery service marks rows from what these return.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from html import escape

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

# No channel may hold a worker forever: a stuck SMTP or HTTP peer times out and the row is retried.
SEND_TIMEOUT_SECONDS = 30


class ChannelError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str
    message_id: str = ""


def _html(body: str) -> str:
    lines = []
    for line in body.splitlines():
        text = escape(line)
        for word in line.split():
            if word.startswith(("http://", "https://")):
                text = text.replace(escape(word), f'<a href="{escape(word)}">{escape(word)}</a>')
        lines.append(text)
    return '<div style="font-family: sans-serif">' + "<br>\n".join(lines) + "</div>"


def send_email(message: Message) -> None:
    """Hand one email to the configured backend. Raises ChannelError when the server refused or could not
    be reached."""
    if not message.to:
        raise ChannelError("no email address", permanent=True)
    kwargs = {}
    if getattr(settings, "EMAIL_TIMEOUT", None) is None:
        kwargs["timeout"] = SEND_TIMEOUT_SECONDS
    headers = {}
    if message.message_id:
        # A stable Message-ID lets mail clients fold the rare resend after a crash into one message.
        headers["Message-ID"] = message.message_id
    try:
        connection = get_connection(fail_silently=False, **kwargs)
        email = EmailMultiAlternatives(
            subject=message.subject.replace("\n", " "),
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers=headers,
            connection=connection,
        )
        email.attach_alternative(_html(message.body), "text/html")
        sent = email.send(fail_silently=False)
    except (TimeoutError, OSError) as exc:  # smtplib's errors are OSErrors
        raise ChannelError(f"{type(exc).__name__}: {exc}") from exc
    if sent != 1:
        raise ChannelError("the email backend did not accept the message")


def sign(body: bytes, secret: str) -> str:
    """The `X-Reform-Signature` header value: HMAC-SHA256 of the raw body with the shared secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send_webhook(payload: dict, *, url: str | None = None, secret: str | None = None) -> None:
    """POST the payload as JSON, signed. Any 2xx answer is acceptance; 4xx other than 408/429 is permanent."""
    url = url if url is not None else settings.WEBHOOK_URL
    secret = secret if secret is not None else settings.WEBHOOK_SECRET
    if not url:
        raise ChannelError("WEBHOOK_URL is not configured", permanent=True)
    body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "reform-tracker-notifications",
            "X-Reform-Signature": sign(body, secret or ""),
            "X-Reform-Delivery": str(payload.get("delivery", "")),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_SECONDS) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        permanent = 400 <= exc.code < 500 and exc.code not in (408, 425, 429)
        raise ChannelError(f"HTTP {exc.code} {exc.reason}", permanent=permanent) from exc
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        raise ChannelError(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= status < 300:
        raise ChannelError(f"HTTP {status}")
