"""What every test shares: the session's clock, the test settings, the demo world and an API client.

The clock: `make test` honours TEST_NOW (an ISO date-time, read in Asia/Ho_Chi_Minh when it has no offset,
e.g. `TEST_NOW=2027-02-08T10:00`) and moves the clock of the whole session there, ticking, before any test
or fixture runs; processes the tests start (fault-test workers and beats) start at the same moment. No test
reads the real calendar: dates are built from `timezone.now()` / `timezone.localdate()`, which this moves,
or inside a `time_machine.travel` of the test's own.
"""

import datetime as dt
import os
import time
import zoneinfo

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.factories import World

LOCAL = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")


def parse_test_now(raw: str) -> dt.datetime:
    """TEST_NOW as an aware moment: an ISO date or date-time, local time (Asia/Ho_Chi_Minh) unless it has an
    offset. A bad value stops the session with a readable message."""
    try:
        moment = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        raise pytest.UsageError(
            f"TEST_NOW={raw!r} is not an ISO date-time (e.g. 2027-02-08T10:00 or 2031-06-15T09:00+07:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=LOCAL)


_traveller = None


def pytest_configure(config):
    global _traveller
    raw = os.environ.get("TEST_NOW", "").strip()
    if raw and _traveller is None:
        moment = parse_test_now(raw)
        _traveller = time_machine.travel(moment, tick=True)
        _traveller.start()
        config.stash[TEST_NOW_KEY] = moment


def pytest_unconfigure(config):
    global _traveller
    if _traveller is not None:
        _traveller.stop()
        _traveller = None


def pytest_report_header(config):
    moment = config.stash.get(TEST_NOW_KEY, None)
    return (
        f"TEST_NOW: {moment.isoformat()} (the session's clock)" if moment else "TEST_NOW: unset (real clock)"
    )


TEST_NOW_KEY = pytest.StashKey[dt.datetime]()


def session_clock_env() -> dict[str, str]:
    """Environment for a process a test starts (a worker, a beat) so that it runs on this session's clock:
    the offset between the session's "now" and the real time (`tests.faults.worker_app` applies it)."""
    if not time_machine.escape_hatch.is_travelling():
        return {}
    offset = time.time() - time_machine.escape_hatch.time.time()
    return {"FAULT_CLOCK_OFFSET": f"{offset:.6f}"}


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """For every test: evidence files in a temporary folder; a fast password hasher (the factories make many
    users); {% static %} without collectstatic's manifest (tests run with DEBUG off)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def api():
    """An API client; `api.as_(user)` signs it in with a token, as an integration would."""
    from rest_framework.authtoken.models import Token

    client = APIClient()

    def as_(user):
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    client.as_ = as_
    return client


@pytest.fixture
def web():
    """A browser-like client for the pages; `web.as_(user)` signs it in."""
    from django.test import Client

    client = Client()

    def as_(user):
        client.force_login(user)
        return client

    client.as_ = as_
    return client
