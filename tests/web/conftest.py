import pytest
from django.test import Client


@pytest.fixture
def web():
    """A browser-like client; `web.as_(user)` signs it in."""
    client = Client()

    def as_(user):
        client.force_login(user)
        return client

    client.as_ = as_
    return client
