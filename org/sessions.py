"""The session engine (SESSION_ENGINE = "org.sessions"): Django's database sessions, each row carrying the id
of its signed-in user, as Django's documentation shows for extending the database-backed engine."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):
        from .models import UserSession

        return UserSession

    def create_model_instance(self, data):
        obj = super().create_model_instance(data)
        try:
            obj.user_id = int(data.get(SESSION_KEY))
        except (TypeError, ValueError):  # not signed in (or a foreign value): no user
            obj.user_id = None
        return obj
