import pytest

from org.calendar import calendar_changed


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Every World creates eight users: a cheap hasher keeps hundreds of table cases quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def fresh_calendar():
    """The working calendar is cached per process under a version kept in Redis. A test that changes the
    admin calendar table rolls its rows back, so it must also drop the cached calendar built from them."""
    calendar_changed()
    yield
    calendar_changed()
