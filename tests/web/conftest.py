import pytest
from django.test import Client


@pytest.fixture(autouse=True)
def _web_settings(settings):
    """Tests run with DEBUG off and no collectstatic: resolve {% static %} without the manifest. A fast
    password hasher: every test signs in users made by the World factory."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def web():
    """A browser-like client; `web.as_(user)` signs it in."""
    client = Client()

    def as_(user):
        client.force_login(user)
        return client

    client.as_ = as_
    return client
