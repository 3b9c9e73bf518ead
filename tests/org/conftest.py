import pytest


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Every World creates eight users: a cheap hasher keeps the many small API cases quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
