"""A real slapd on loopback for the LDAP tests (tests.sso.slapd), one for the module's tests, and the
settings that turn LDAP sign-in on against it (as the README's LDAP_* settings do)."""

from __future__ import annotations

import pytest

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
