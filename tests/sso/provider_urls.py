"""URLs of the test OpenID Connect provider (tests.sso.provider_settings): django-oauth-toolkit under /o/,
Django's sign-in page at /login/. Its people's claims: e-mail, preferred_username, name, and the province's
unit_code and role (kept on the user's first_name / last_name, enough for a test)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path
from oauth2_provider.oauth2_validators import OAuth2Validator


class ProvinceValidator(OAuth2Validator):
    oidc_claim_scope = None  # every claim, whatever the scopes

    def get_additional_claims(self, request):
        user = request.user
        unit_code, _, role = user.first_name.partition(":")
        claims = {"email": user.email, "email_verified": True, "preferred_username": user.username}
        claims["name"] = user.last_name
        if unit_code:
            claims |= {"unit_code": unit_code, "role": role}
        return claims


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html"), name="login"),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
