"""A real slapd on loopback for the LDAP tests (tests.sso.slapd) and a real OpenID Connect provider in its own
process (tests.sso.provider), one each for the session, and the settings that turn each sign-in on against
them (as the README's LDAP_* and OIDC_* settings do)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache

from tests.conftest import session_clock_env
from tests.sso.slapd import ROOT_DN, ROOT_PASSWORD, SUFFIX, Slapd

LDAP_PASSWORD = "Ldap-pass-456"
GROUPS = f"ou=groups,{SUFFIX}"
PEOPLE = f"ou=people,{SUFFIX}"


def _person(uid: str, *, mail: str, cn: str, password: str = LDAP_PASSWORD) -> str:
    return (
        f"dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {cn}\nsn: {cn.split()[-1]}\n"
        f"mail: {mail}\nuserPassword: {password}\n"
    )


def _group(cn: str, *members: str) -> str:
    lines = "".join(f"member: uid={m},{PEOPLE}\n" for m in members)
    return f"dn: cn={cn},{GROUPS}\nobjectClass: groupOfNames\ncn: {cn}\n{lines}"


DIRECTORY = "\n".join(
    [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Tinh Yen Bai\ndc: tinh\n",
        f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
        f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
        # Same username as an account here.
        _person("official", mail="official.ldap@tinh.vn", cn="Nguyen Van Official"),
        # Another username, the e-mail address of an account here (the city's leader).
        _person("nguyenvanb", mail="leader@example.vn", cn="Nguyen Van B"),
        # Nobody here.
        _person("lequangc", mail="lequangc@tinh.vn", cn="Le Quang C"),
        _person("colleague", mail="colleague@example.vn", cn="Tran Thi Colleague"),
        _group("x01-leaders", "colleague"),
        _group("x01-admins", "colleague"),
        _group("other-group", "official"),
    ]
)


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    server = Slapd(tmp_path_factory.mktemp("slapd"), DIRECTORY).start()
    yield server
    server.stop()


@pytest.fixture
def ldap_on(settings, slapd):
    """LDAP sign-in on, against the test's slapd, with a group mapping: x01-leaders → (X01, leader), and
    x01-admins → (X01, admin), a role a mapping may not grant."""
    settings.LDAP_SERVER_URI = settings.AUTH_LDAP_SERVER_URI = slapd.uri
    settings.LDAP_ENABLED = True
    settings.AUTH_LDAP_BIND_DN = ROOT_DN
    settings.AUTH_LDAP_BIND_PASSWORD = ROOT_PASSWORD
    settings.LDAP_USER_SEARCH_BASE = PEOPLE
    settings.LDAP_USER_FILTER = "(uid=%(user)s)"
    settings.LDAP_GROUP_SEARCH_BASE = GROUPS
    settings.LDAP_GROUP_TYPE = "groupOfNames"
    settings.LDAP_GROUP_ROLES = {
        f"cn=x01-leaders,{GROUPS}": ["X01", "leader"],
        f"CN=X01-Admins,{GROUPS}": ["X01", "admin"],
    }
    settings.AUTHENTICATION_BACKENDS = [
        "config.auth.LoginThrottleBackend",
        "org.sso.LdapBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    return slapd


# ---- The OpenID Connect provider (tests.sso.provider), its own Django process on loopback ----------------

CLIENT_ID = "reform-tracker"
CLIENT_SECRET = "client-secret-for-tests-0123456789"
IDP_PASSWORD = "Idp-pass-789"
# username, password, e-mail, "UNIT:role" claims or "", name
PROVIDER_PEOPLE = [
    ["official", IDP_PASSWORD, "official.idp@tinh.vn", "", "Official"],  # our username
    ["nguyenvanb", IDP_PASSWORD, "leader@example.vn", "", "Nguyen Van B"],  # our leader's e-mail
    ["colleague", IDP_PASSWORD, "colleague@example.vn", "X01:leader", "Colleague"],  # with a mapping
    ["outsider", IDP_PASSWORD, "outsider@tinh.vn", "", "Outsider"],  # nobody here
    ["promoted", IDP_PASSWORD, "promoted@tinh.vn", "X01:admin", "Promoted"],
]


class Provider:
    def __init__(self, workdir):
        self.workdir = workdir
        self.proc = None
        self.url = ""

    def start(self):
        env = {
            k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")
        } | session_clock_env()
        env |= {
            "PROVIDER_DB": str(self.workdir / "provider.sqlite3"),
            "PROVIDER_CLIENT_ID": CLIENT_ID,
            "PROVIDER_CLIENT_SECRET": CLIENT_SECRET,
            # Django's test client is the browser: our callback as it sees it.
            "PROVIDER_REDIRECT_URI": "http://testserver/accounts/oidc/callback/",
            "PROVIDER_PEOPLE": json.dumps(PROVIDER_PEOPLE),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.sso.provider"],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline().strip()
        if not line.isdigit():
            self.stop()
            raise RuntimeError(f"the OIDC provider did not start: {line} {self.proc.stderr.read()}")
        self.url = f"http://127.0.0.1:{line}"
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory):
    provider = Provider(tmp_path_factory.mktemp("oidc-provider")).start()
    yield provider
    provider.stop()


@pytest.fixture
def oidc_on(settings, oidc_provider):
    """OpenID Connect sign-in on, against the test's provider, its endpoints from its discovery document, and
    the unit_code / role claim mapping."""
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_DISCOVERY_URL = f"{oidc_provider.url}/o/.well-known/openid-configuration"
    settings.OIDC_UNIT_CLAIM = "unit_code"
    settings.OIDC_ROLE_CLAIM = "role"
    settings.AUTHENTICATION_BACKENDS = [
        "config.auth.LoginThrottleBackend",
        "org.sso.OidcBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    cache.delete(f"sso:oidc-discovery:{settings.OIDC_OP_DISCOVERY_URL}")
    return oidc_provider
