"""Sign-in with the province's accounts (README "Sign-in with the province's accounts"): OpenID Connect
(mozilla-django-oidc) and LDAP / Active Directory (django-auth-ldap), both off unless configured.

The account stays ours. A person signing in through either is linked to the account an administrator created
for them, by username first, then by e-mail address (one account only, never a guess between two); an
unknown person is refused with a message on the sign-in page, unless SSO_CREATE_USERS allows creating them.
Memberships stay ours too: an optional mapping (an OIDC claim pair, LDAP groups) only ever adds the mapped
membership, through `org.services.membership_add`, which audits it like any other."""

from __future__ import annotations

import logging
from collections.abc import Iterable

import jwt
import ldap
import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import View
from django_auth_ldap import config as ldap_config
from django_auth_ldap.backend import LDAPBackend, LDAPSettings
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from .models import Membership, Unit, User

logger = logging.getLogger(__name__)

# Where a backend leaves the reason it refused, for the sign-in page to show.
REFUSAL_ATTR = "sso_refusal"


def _refuse(request, message: str) -> None:
    if request is not None:
        setattr(request, REFUSAL_ATTR, message)


def refusal(request) -> str | None:
    """The readable reason a province sign-in of this request was refused, if one was."""
    return getattr(request, REFUSAL_ATTR, None)


def _unknown_message(name: str) -> str:
    return _(
        "Tài khoản “%(name)s” của bạn chưa được liên kết với tài khoản nào trong hệ thống. Hãy nhờ quản trị "
        "viên của đơn vị tạo tài khoản cho bạn (cùng tên đăng nhập hoặc địa chỉ thư điện tử)."
    ) % {"name": name}


def account_for(*, username: str | None, email: str | None) -> User | None:
    """The account an administrator created for this person: the one with this username (any case), else
    the only one with this e-mail address. None when there is none, or two share the address."""
    if username:
        user = User.objects.filter(username__iexact=username).first()
        if user is not None:
            return user
    if email:
        users = list(User.objects.filter(email__iexact=email)[:2])
        if len(users) == 1:
            return users[0]
    return None


@transaction.atomic
def sso_memberships_grant(*, user: User, grants: Iterable[tuple[str, str]], source: str) -> list[Membership]:
    """Add the memberships a province sign-in maps to (unit code, role): only adds, never takes one away;
    a unit that does not exist, or a role outside SSO_MAPPED_ROLES, is skipped and logged. Each new membership
    is written and audited by `membership_add`, the system acting (actor None)."""
    from org.services import membership_add

    wanted = {(str(code), str(role)) for code, role in grants if code and role}
    if not wanted:
        return []
    units = Unit.objects.in_bulk({code for code, _role in wanted}, field_name="code")
    added = []
    for code, role in sorted(wanted):
        unit = units.get(code)
        if unit is None or role not in settings.SSO_MAPPED_ROLES:
            logger.warning(
                "%s sign-in of %s maps to %s/%s: no such unit or role allowed", source, user, code, role
            )
            continue
        added.append(membership_add(actor=None, user=user, unit=unit, role=role))
    return added


def _create_account(*, username: str, email: str, full_name: str) -> User:
    from org.services import user_create

    return user_create(actor=None, username=username, password=None, full_name=full_name, email=email)


# ---- LDAP / Active Directory ----------------------------------------------------------------------------

_GROUP_TYPES = {
    "groupOfNames": ldap_config.GroupOfNamesType,
    "groupOfUniqueNames": ldap_config.GroupOfUniqueNamesType,
    "activeDirectory": ldap_config.ActiveDirectoryGroupType,
    "nestedActiveDirectory": ldap_config.NestedActiveDirectoryGroupType,
    "posixGroup": ldap_config.PosixGroupType,
}


def _first(attrs, name: str) -> str:
    values = attrs.get(name) or [] if name else []
    return values[0] if values else ""


class LdapBackend(LDAPBackend):
    """django-auth-ldap, its user and group searches built from LDAP_USER_SEARCH_BASE / LDAP_USER_FILTER and
    LDAP_GROUP_SEARCH_BASE / LDAP_GROUP_TYPE (AUTH_LDAP_USER_SEARCH and the like, when set, win); an account
    is linked, not built, and LDAP_GROUP_ROLES adds the mapped memberships at each sign-in."""

    @property
    def settings(self):
        if self._settings is None:
            ours = LDAPSettings(self.settings_prefix, self.default_settings)
            if ours.USER_SEARCH is None and ours.USER_DN_TEMPLATE is None and settings.LDAP_USER_SEARCH_BASE:
                ours.USER_SEARCH = ldap_config.LDAPSearch(
                    settings.LDAP_USER_SEARCH_BASE, ldap.SCOPE_SUBTREE, settings.LDAP_USER_FILTER
                )
            if ours.GROUP_SEARCH is None and settings.LDAP_GROUP_SEARCH_BASE:
                ours.GROUP_SEARCH = ldap_config.LDAPSearch(
                    settings.LDAP_GROUP_SEARCH_BASE, ldap.SCOPE_SUBTREE
                )
                group_type = _GROUP_TYPES.get(settings.LDAP_GROUP_TYPE)
                if group_type is None:
                    raise ImproperlyConfigured(f"LDAP_GROUP_TYPE must be one of {', '.join(_GROUP_TYPES)}")
                ours.GROUP_TYPE = group_type()
            if not ours.CONNECTION_OPTIONS:
                # A directory that hangs must not hold the sign-in page (the local accounts come after it).
                timeout = settings.LDAP_TIMEOUT
                ours.CONNECTION_OPTIONS = {ldap.OPT_NETWORK_TIMEOUT: timeout, ldap.OPT_TIMEOUT: timeout}
            self._settings = ours
        return self._settings

    @settings.setter
    def settings(self, value):
        self._settings = value

    def get_or_build_user(self, username, ldap_user):
        email = _first(ldap_user.attrs, settings.LDAP_ATTR_EMAIL)
        user = account_for(username=username, email=email)
        if user is None and settings.SSO_CREATE_USERS:
            user = _create_account(
                username=username,
                email=email,
                full_name=_first(ldap_user.attrs, settings.LDAP_ATTR_FULL_NAME),
            )
        if user is None:
            _refuse(ldap_user._request, _unknown_message(username))
            raise ldap_user.AuthenticationFailed(f"no account linked to LDAP user {username}")
        return user, False

    def authenticate_ldap_user(self, ldap_user, password):
        user = super().authenticate_ldap_user(ldap_user, password)
        if user is not None and settings.LDAP_GROUP_ROLES and self.settings.GROUP_SEARCH is not None:
            member_of = {dn.lower() for dn in ldap_user.group_dns}
            grants = [
                tuple(pair) for dn, pair in settings.LDAP_GROUP_ROLES.items() if dn.lower() in member_of
            ]
            sso_memberships_grant(user=user, grants=grants, source="LDAP")
        return user


# ---- OpenID Connect ---------------------------------------------------------------------------------------

_DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def oidc_discovery(url: str) -> dict:
    """The provider's discovery document (cached an hour): its endpoints, when they are not set each."""
    key = f"sso:oidc-discovery:{url}"
    document = cache.get(key)
    if document is None:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
        cache.set(key, document, 3600)
    return document


def oidc_setting(attr, *args):
    """mozilla-django-oidc's settings, an endpoint left empty read from OIDC_OP_DISCOVERY_URL."""
    if attr == "OIDC_CREATE_USER":
        return settings.SSO_CREATE_USERS
    if attr in _DISCOVERED and not getattr(settings, attr, "") and settings.OIDC_OP_DISCOVERY_URL:
        value = oidc_discovery(settings.OIDC_OP_DISCOVERY_URL).get(_DISCOVERED[attr])
        if not value:
            raise ImproperlyConfigured(f"{settings.OIDC_OP_DISCOVERY_URL} names no {_DISCOVERED[attr]}")
        return value
    return import_from_settings(attr, *args)


class OidcBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's authorization-code backend, linking the provider's person to our account (by
    OIDC_USERNAME_CLAIM, then a verified e-mail address) and applying the OIDC_UNIT_CLAIM / OIDC_ROLE_CLAIM
    mapping."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        # The endpoints are read when a callback arrives (authenticate), not for every password sign-in.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        if request is None or "code" not in request.GET or "state" not in request.GET:
            return None
        super().__init__()
        return super().authenticate(request, **kwargs)

    def _claimed(self, claims) -> tuple[str, str]:
        username = str(claims.get(settings.OIDC_USERNAME_CLAIM) or "") if settings.OIDC_USERNAME_CLAIM else ""
        email = str(claims.get("email") or "") if claims.get("email_verified", True) is not False else ""
        return username, email

    def verify_claims(self, claims):
        return any(self._claimed(claims))

    def filter_users_by_claims(self, claims):
        username, email = self._claimed(claims)
        user = account_for(username=username, email=email)
        if user is None:
            _refuse(self.request, _unknown_message(username or email or str(claims.get("sub", ""))))
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(pk=user.pk)

    def create_user(self, claims):
        username, email = self._claimed(claims)
        user = _create_account(
            username=username or email, email=email, full_name=str(claims.get("name") or "")
        )
        return self.update_user(user, claims)

    def update_user(self, user, claims):
        if settings.OIDC_UNIT_CLAIM and settings.OIDC_ROLE_CLAIM:
            grants = [(claims.get(settings.OIDC_UNIT_CLAIM), claims.get(settings.OIDC_ROLE_CLAIM))]
            sso_memberships_grant(user=user, grants=grants, source="OIDC")
        return user


def _failed_message() -> str:
    return _(
        "Không đăng nhập được bằng tài khoản một cửa. Hãy thử lại, hoặc đăng nhập bằng tài khoản "
        "của hệ thống."
    )


class OidcSignInStartView(OIDCAuthenticationRequestView):
    """GET /accounts/oidc/authenticate/: off (404) unless OIDC is configured; a provider that cannot be
    reached brings the person back to the sign-in page with a message, not a 500."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, **kwargs):
        View.__init__(self, **kwargs)

    def get(self, request):
        if not settings.OIDC_ENABLED:
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except (requests.RequestException, ValueError, ImproperlyConfigured) as exc:
            logger.warning("OIDC provider not reachable: %s", exc)
            messages.error(request, _failed_message())
            return redirect("login")
        self.OIDC_RP_CLIENT_ID = settings.OIDC_RP_CLIENT_ID
        return super().get(request)


class OidcCallbackView(OIDCAuthenticationCallbackView):
    """GET /accounts/oidc/callback/: the provider sends the person back here. Signed in: the language they
    chose last time, as on the sign-in form. Refused (unknown person, a provider error, a forged or replayed
    state): back on the sign-in page with the reason."""

    get_settings = staticmethod(oidc_setting)

    def get(self, request):
        if not settings.OIDC_ENABLED:
            raise Http404
        try:
            return super().get(request)
        except (
            requests.RequestException,
            jwt.InvalidTokenError,  # an expired or not yet valid ID token, say
            SuspiciousOperation,
            ImproperlyConfigured,
            ValueError,
        ) as exc:
            logger.warning("OIDC sign-in failed: %s", exc)
            return self.login_failure()

    def login_failure(self):
        messages.error(self.request, refusal(self.request) or _failed_message())
        return redirect(settings.LOGIN_REDIRECT_URL_FAILURE)

    def login_success(self):
        response = super().login_success()
        language = self.user.language
        if language in dict(settings.LANGUAGES):
            translation.activate(language)
            from .views import _set_language_cookie

            _set_language_cookie(response, language)
        return response
