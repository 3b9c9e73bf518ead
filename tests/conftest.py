import pytest
from rest_framework.test import APIClient

from tests.factories import World


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
