"""Helpers for the notifications tests: local moments, the mail outbox, cycles of `remind`."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command

from notifications.policy import VN_TZ
from tests import factories

FALLBACK_TEMPLATES = Path(__file__).parent / "templates"


def at(y, m, d, hh=8, mm=0) -> dt.datetime:
    """An aware moment, local Asia/Ho_Chi_Minh."""
    return dt.datetime(y, m, d, hh, mm, tzinfo=VN_TZ)


def remind(moment: dt.datetime, *args) -> str:
    out = io.StringIO()
    call_command("remind", "--at", moment.isoformat(), *args, stdout=out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def _fresh_calendar_and_mail(settings):
    """Each test starts from the national calendar (the admin table differs per test), the in-memory mail
    backend, and no webhook."""
    from org.calendar import calendar_changed

    calendar_changed()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast test users
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.WEBHOOK_URL = ""
    settings.WEBHOOK_SECRET = ""
    settings.SITE_URL = "https://cchc.example.vn"
    mail.outbox = []
    yield
    calendar_changed()


@pytest.fixture
def pages(settings):
    """The pages extend the project's base.html; until it exists, a minimal stand-in (found last)."""
    templates = [dict(t) for t in settings.TEMPLATES]
    templates[0]["DIRS"] = [*templates[0]["DIRS"], FALLBACK_TEMPLATES]
    settings.TEMPLATES = templates


@pytest.fixture
def people(world):
    """The world plus a leader of the commune (overdue reminders go to the assignee unit's leaders)."""
    world.commune_leader = factories.user("communeleader", memberships=[(world.commune, "leader")])
    return world


class SMTPStub:
    """A tiny SMTP server on 127.0.0.1 in a thread. The first `refuse` connections are answered
    `421 Service not available` (as a server going down answers); later ones accept the mail."""

    def __init__(self, refuse: int = 10**9):
        import socket
        import threading

        self.refuse = refuse
        self.connections = 0
        self.messages: list[bytes] = []
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):

        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                self.connections += 1
                if self.connections <= self.refuse:
                    conn.sendall(b"421 4.3.2 Service not available, closing channel\r\n")
                    continue
                self._session(conn)

    def _session(self, conn):
        f = conn.makefile("rb")
        conn.sendall(b"220 stub ESMTP\r\n")
        while True:
            line = f.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                conn.sendall(b"250 stub\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                data = b""
                while True:
                    chunk = f.readline()
                    if chunk in (b".\r\n", b""):
                        break
                    data += chunk
                self.messages.append(data)
                conn.sendall(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 ok\r\n")

    def close(self):
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()


@pytest.fixture
def smtp(settings):
    """Point Django's SMTP backend at a local stub; `smtp(refuse=n)` starts it."""
    stubs = []

    def start(refuse: int = 10**9) -> SMTPStub:
        stub = SMTPStub(refuse)
        stubs.append(stub)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = stub.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5
        return stub

    yield start
    for stub in stubs:
        stub.close()


class WebhookStub:
    """A local http.server in a thread recording POSTs; answers the statuses given, then 204."""

    def __init__(self, statuses=()):
        import http.server
        import threading

        self.requests: list[tuple[dict, bytes]] = []
        statuses = list(statuses)
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stub.requests.append((dict(self.headers), body))
                self.send_response(statuses.pop(0) if statuses else 204)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook(settings):
    hooks = []

    def start(*statuses) -> WebhookStub:
        hook = WebhookStub(statuses)
        hooks.append(hook)
        settings.WEBHOOK_URL = hook.url
        settings.WEBHOOK_SECRET = "bi-mat-chung"
        return hook

    yield start
    for hook in hooks:
        hook.close()


class GatewayStub:
    """A loopback http.server in a thread speaking the Zalo OA and SMS gateway shapes (README "Zalo and
    SMS"). `answers` maps a path to a list of (status, JSON body) answered in turn (the last one repeats);
    a callable instead gets (headers with lower-case names, body) and returns (status, JSON body).
    Records every request."""

    def __init__(self, answers: dict):
        import http.server
        import threading

        self.requests: list[tuple[str, dict, bytes]] = []
        self.answers = answers
        self.lock = threading.Lock()
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}  # names are case-blind
                with stub.lock:
                    stub.requests.append((self.path, headers, body))
                    answer = stub.answers[self.path]
                    if not callable(answer):
                        status, data = answer.pop(0) if len(answer) > 1 else answer[0]
                if callable(answer):
                    status, data = answer(headers, body)
                raw = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def posted(self, path: str) -> list[tuple[dict, bytes]]:
        return [(h, b) for p, h, b in self.requests if p == path]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


ZALO_MESSAGE = "/message/template"
ZALO_TOKEN = "/v4/oa/access_token"
SMS_SEND = "/sms/send"


@pytest.fixture
def gateway(settings):
    """`gateway({path: answers})` starts a stub and points the Zalo and SMS settings at it."""
    stubs = []

    def start(answers: dict) -> GatewayStub:
        stub = GatewayStub(answers)
        stubs.append(stub)
        settings.ZALO_OA_APP_ID = "app-123"
        settings.ZALO_OA_SECRET_KEY = "khoa-bi-mat"
        settings.ZALO_OA_ACCESS_TOKEN = "tok-1"
        settings.ZALO_OA_REFRESH_TOKEN = "ref-1"
        settings.ZALO_OA_TEMPLATES = {"overdue": "301", "default": "300"}
        settings.ZALO_OA_MESSAGE_URL = stub.base + ZALO_MESSAGE
        settings.ZALO_OA_TOKEN_URL = stub.base + ZALO_TOKEN
        if SMS_SEND in answers:
            settings.SMS_GATEWAY_URL = stub.base + SMS_SEND
            settings.SMS_GATEWAY_API_KEY = "sms-key"
            settings.SMS_GATEWAY_BRANDNAME = "UBND-TINH"
        return stub

    yield start
    for stub in stubs:
        stub.close()


@pytest.fixture(autouse=True)
def _no_phone_channels(settings):
    """Zalo and SMS are off unless a test starts a gateway."""
    settings.ZALO_OA_APP_ID = ""
    settings.ZALO_OA_TEMPLATES = {}
    settings.SMS_GATEWAY_URL = ""
    settings.SMS_GATEWAY_API_KEY = ""
