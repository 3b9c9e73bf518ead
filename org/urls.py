"""Account pages. Not namespaced: LOGIN_URL is "login"."""

from django.urls import path

from . import sso, views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("password/", views.ChangePasswordView.as_view(), name="password_change"),
    path("language/", views.language_switch, name="language"),
    # Sign-in with the province's OpenID Connect provider (org.sso): 404 unless OIDC is configured.
    path("oidc/authenticate/", sso.OidcSignInStartView.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", sso.OidcCallbackView.as_view(), name="oidc_authentication_callback"),
]
