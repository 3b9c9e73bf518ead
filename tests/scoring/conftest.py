import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Scoring scenarios create many users: a cheap hasher keeps them quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
