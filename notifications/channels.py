"""The channels that carry notifications out of the app: email (Django's email backends, SMTP configured by
EMAIL_URL), a webhook (a signed JSON POST for a chat bridge), Zalo Official Account template messages (ZNS)
and SMS through a brandname gateway (README "Zalo and SMS" documents both requests and answers).

A send either returns (the channel accepted the message) or raises `ChannelError`; `permanent` errors are
not retried, `throttled` ones (a rate limit or quota) are retried later without using up the attempts.
Nothing here touches the database: the delivery service marks rows from what these return.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from html import escape

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

# No channel may hold a worker forever: a stuck SMTP or HTTP peer times out and the row is retried.
SEND_TIMEOUT_SECONDS = 30


class ChannelError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, throttled: bool = False):
        super().__init__(message)
        self.permanent = permanent
        self.throttled = throttled


class ZaloTokenExpired(ChannelError):
    """Zalo refused the access token (-124): refresh it and send again."""


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


def _post(request: urllib.request.Request) -> tuple[int, dict]:
    """Send the request; the HTTP status and the JSON answer ({} when there is none). A gateway that
    cannot be reached, times out or answers 5xx raises a ChannelError to retry; 429 a throttled one."""
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT_SECONDS) as response:  # noqa: S310
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
        if status == 429:
            raise ChannelError(f"HTTP 429 {exc.reason} (throttled)", throttled=True) from exc
        if status >= 500 or status in (408, 425):
            raise ChannelError(f"HTTP {status} {exc.reason}") from exc
    except (TimeoutError, urllib.error.URLError, OSError) as exc:
        raise ChannelError(f"{type(exc).__name__}: {exc}") from exc
    try:
        answer = json.loads(raw.decode() or "{}")
    except (UnicodeDecodeError, ValueError):
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    return status, answer


# Zalo ZNS error codes (https://developers.zalo.me/docs/zalo-notification-service): the token is refreshed
# on -124; a limit or quota is retried later; a number, template or user that cannot work is permanent.
# Any other non-zero code is retried with backoff and ends failed after the last attempt.
ZALO_TOKEN_EXPIRED = -124
ZALO_THROTTLED = frozenset({-133, -141, -143, -144, -145})  # outside sending hours, rate, daily quotas
ZALO_PERMANENT = frozenset(
    {
        -108,  # phone number invalid
        -109,  # template id invalid
        -111,  # template data empty
        -112,  # template data of the wrong type
        -117,  # OA or app not allowed this template
        -118,  # no Zalo account for this number, or disabled
        -119,  # the account cannot receive ZNS
        -131,  # template not approved / disabled
        -139,  # the user refused this kind of message
    }
)


def send_zalo(
    *, phone: str, template_id: str, template_data: dict, tracking_id: str, access_token: str
) -> str:
    """POST one ZNS template message; returns Zalo's msg_id. Raises ZaloTokenExpired on -124."""
    url = settings.ZALO_OA_MESSAGE_URL
    if not template_id:
        raise ChannelError("no ZNS template for this notice (ZALO_OA_TEMPLATES)", permanent=True)
    body = json.dumps(
        {
            "phone": phone,
            "template_id": template_id,
            "template_data": template_data,
            "tracking_id": tracking_id,
        },
        ensure_ascii=False,
    ).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "access_token": access_token},
    )
    status, answer = _post(request)
    error = answer.get("error")
    message = str(answer.get("message", ""))[:500]
    if status == 200 and error == 0:
        return str((answer.get("data") or {}).get("msg_id", ""))
    if not isinstance(error, int):
        raise ChannelError(f"Zalo: HTTP {status}, unexpected answer", permanent=400 <= status < 500)
    if error == ZALO_TOKEN_EXPIRED:
        raise ZaloTokenExpired(f"Zalo {error}: {message}")
    lowered = message.lower()
    if error in ZALO_THROTTLED or "quota" in lowered or "exceed" in lowered or "limit" in lowered:
        raise ChannelError(f"Zalo {error}: {message} (throttled)", throttled=True)
    raise ChannelError(f"Zalo {error}: {message}", permanent=error in ZALO_PERMANENT)


@dataclass(frozen=True)
class ZaloTokens:
    access_token: str
    refresh_token: str
    expires_in: int


def zalo_refresh(refresh_token: str) -> ZaloTokens:
    """Trade the refresh token for a new pair (Zalo voids the old refresh token)."""
    data = urllib.parse.urlencode(
        {"refresh_token": refresh_token, "app_id": settings.ZALO_OA_APP_ID, "grant_type": "refresh_token"}
    ).encode()
    request = urllib.request.Request(
        settings.ZALO_OA_TOKEN_URL,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "secret_key": settings.ZALO_OA_SECRET_KEY,
        },
    )
    _status, answer = _post(request)
    if not answer.get("access_token") or not answer.get("refresh_token"):
        detail = answer.get("error_description") or answer.get("message") or answer.get("error") or "no token"
        raise ChannelError(f"Zalo token refresh refused: {detail}")
    try:
        expires_in = int(answer.get("expires_in") or 0)
    except (TypeError, ValueError):
        expires_in = 0
    return ZaloTokens(str(answer["access_token"]), str(answer["refresh_token"]), expires_in)


# One SMS segment: 160 characters of the GSM 7-bit default alphabet. Vietnamese is sent without its marks
# (carriers bill a Unicode SMS as 70 characters a segment, and brandname templates are registered
# unaccented); characters outside the basic alphabet become spaces or their nearest ASCII.
SMS_MAX_CHARS = 160
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def unaccent(text: str) -> str:
    """Vietnamese without its marks: `Nhắc hạn đến` → `Nhac han den`."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def sms_text(title: str, url: str = "") -> str:
    """The SMS: the title, unaccented, then the link, in one segment of at most SMS_MAX_CHARS GSM
    characters. A long title is cut at a word with "..."; the link is never cut (it would not open)."""
    plain = " ".join(unaccent(title).split())
    plain = "".join(c if c in _GSM_BASIC else " " for c in plain)
    plain = " ".join(plain.split())
    room = SMS_MAX_CHARS - (len(url) + 1 if url else 0)
    if len(plain) > room:
        cut = plain[: max(room - 3, 0)]
        if " " in cut:
            cut = cut[: cut.rfind(" ")]
        plain = cut.rstrip(" ,.;:-") + "..."
    return f"{plain} {url}".strip() if url and room > 3 else plain[:SMS_MAX_CHARS]


SMS_SUCCESS_CODES = ("100", "0")
SMS_THROTTLED_CODES = ("104",)
SMS_PERMANENT_CODES = ("101", "102", "103")  # invalid number, brandname not registered, content refused


def send_sms(*, to: str, text: str, ref: str) -> str:
    """POST one SMS to the brandname gateway; returns the gateway's id for it."""
    url = settings.SMS_GATEWAY_URL
    if not url:
        raise ChannelError("SMS_GATEWAY_URL is not configured", permanent=True)
    body = json.dumps(
        {"to": to, "from": settings.SMS_GATEWAY_BRANDNAME, "text": text, "ref": ref}, ensure_ascii=False
    ).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "reform-tracker-notifications",
    }
    if settings.SMS_GATEWAY_API_KEY:
        headers["Authorization"] = f"Bearer {settings.SMS_GATEWAY_API_KEY}"
    elif settings.SMS_GATEWAY_USER:
        import base64

        pair = f"{settings.SMS_GATEWAY_USER}:{settings.SMS_GATEWAY_PASSWORD}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    status, answer = _post(urllib.request.Request(url, data=body, method="POST", headers=headers))
    code = str(answer.get("code", ""))
    message = str(answer.get("message", ""))[:500]
    if 200 <= status < 300 and code in SMS_SUCCESS_CODES:
        return str(answer.get("id", ""))
    if code in SMS_THROTTLED_CODES:
        raise ChannelError(f"SMS {code}: {message} (throttled)", throttled=True)
    if code in SMS_PERMANENT_CODES or (400 <= status < 500 and not code):
        raise ChannelError(f"SMS {code or 'HTTP ' + str(status)}: {message}", permanent=True)
    raise ChannelError(f"SMS {code or 'HTTP ' + str(status)}: {message or 'not accepted'}")
