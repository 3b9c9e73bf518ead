import pytest


@pytest.fixture(autouse=True)
def _security_settings(settings):
    """A fast password hasher (many users sign in); {% static %} without collectstatic's manifest."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
