import pytest
from rest_framework.test import APIClient

from tests.factories import World


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


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
