import pytest

from org.calendar import calendar_changed


@pytest.fixture
def fresh_calendar():
    """The working calendar is cached per process. A test that changes the admin calendar table rolls its
    rows back, so it must also drop the cached calendar built from them."""
    calendar_changed()
    yield
    calendar_changed()
