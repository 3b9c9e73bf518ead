"""LDAP / Active Directory sign-in against a real slapd (tests.sso.slapd) through the real sign-in form: a
person of the directory is linked to the account an administrator created (by username, else by e-mail), an
unknown one is refused with a message, a wrong password is refused, a group mapping adds the mapped
membership (audited), local accounts keep signing in, and the login throttle covers LDAP attempts."""

from __future__ import annotations

import pytest
from django.test import Client

from org.models import AuditAction, AuditEntry, Membership, User
from tests.sso.conftest import LDAP_PASSWORD

pytestmark = pytest.mark.django_db

LOCAL_PASSWORD = "Secret-pass-123"  # tests.factories.user
UNLINKED = ("chưa được liên kết", "is not linked")


def sign_in(client: Client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def signed_in_as(client: Client) -> User | None:
    pk = client.session.get("_auth_user_id")
    return User.objects.get(pk=pk) if pk else None


def test_a_linked_person_signs_in_with_their_directory_password(world, ldap_on):
    client = Client()
    response = sign_in(client, "official", LDAP_PASSWORD)
    assert response.status_code == 302
    assert signed_in_as(client) == world.official
    # The account stays ours: its local data is not overwritten by the directory's.
    world.official.refresh_from_db()
    assert world.official.email == "official@example.vn"
    assert client.get("/my-tasks/").status_code == 200


def test_a_person_is_linked_by_e_mail_when_the_username_differs(world, ldap_on):
    client = Client()
    assert sign_in(client, "nguyenvanb", LDAP_PASSWORD).status_code == 302
    assert signed_in_as(client) == world.city_leader


def test_an_unknown_person_is_refused_with_a_message_and_no_account_is_made(world, ldap_on):
    users = User.objects.count()
    client = Client()
    response = sign_in(client, "lequangc", LDAP_PASSWORD)
    assert response.status_code == 200
    page = response.content.decode()
    assert any(words in page for words in UNLINKED)
    assert "lequangc" in page
    assert signed_in_as(client) is None
    assert User.objects.count() == users


def test_a_wrong_password_is_refused(world, ldap_on):
    client = Client()
    response = sign_in(client, "official", "not-the-password")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="username"' in page
    assert not any(words in page for words in UNLINKED)
    assert signed_in_as(client) is None


def test_a_group_mapping_adds_the_mapped_membership_once_and_audited(world, ldap_on):
    assert not Membership.objects.filter(user=world.colleague, unit=world.commune, role="leader").exists()
    for _ in range(2):
        client = Client()
        assert sign_in(client, "colleague", LDAP_PASSWORD).status_code == 302
        assert signed_in_as(client) == world.colleague
    assert Membership.objects.filter(user=world.colleague, unit=world.commune, role="leader").count() == 1
    # A mapping never grants the administrator's role.
    assert not Membership.objects.filter(user=world.colleague, role="admin").exists()
    # The memberships they had stay.
    assert Membership.objects.filter(user=world.colleague, unit=world.commune, role="official").exists()
    added = AuditEntry.objects.about(world.colleague).filter(action=AuditAction.MEMBERSHIP_ADDED)
    assert [e.changes for e in added if e.changes["role"][1] == "leader"] == [
        {"unit": [None, "X01"], "role": [None, "leader"]}
    ]
    # Not a member of a mapped group: no membership added.
    client = Client()
    assert sign_in(client, "official", LDAP_PASSWORD).status_code == 302
    assert set(world.official.memberships.values_list("unit__code", "role")) == {("X01", "official")}


def test_local_accounts_keep_signing_in(world, ldap_on):
    # Not in the directory at all.
    client = Client()
    assert sign_in(client, "stranger", LOCAL_PASSWORD).status_code == 302
    assert signed_in_as(client) == world.stranger
    # In the directory, with their local password.
    client = Client()
    assert sign_in(client, "official", LOCAL_PASSWORD).status_code == 302
    assert signed_in_as(client) == world.official


def test_the_login_throttle_covers_directory_sign_ins(world, ldap_on):
    client = Client()
    for _ in range(4):
        assert sign_in(client, "nguyenvanb", "wrong").status_code == 200
    assert sign_in(client, "nguyenvanb", "wrong").status_code == 429
    # Locked: the right directory password does not get through.
    assert sign_in(client, "nguyenvanb", LDAP_PASSWORD).status_code == 429
    assert signed_in_as(client) is None


def test_sso_create_users_creates_the_unknown_person(world, ldap_on, settings):
    settings.SSO_CREATE_USERS = True
    settings.AUTH_LDAP_NO_NEW_USERS = False
    client = Client()
    assert sign_in(client, "lequangc", LDAP_PASSWORD).status_code == 302
    user = signed_in_as(client)
    assert (user.username, user.email, user.full_name) == ("lequangc", "lequangc@tinh.vn", "Le Quang C")
    assert not user.has_usable_password()
    assert AuditEntry.objects.about(user).filter(action=AuditAction.USER_CREATED).exists()


def test_without_ldap_settings_the_directory_is_not_asked(world, slapd):
    client = Client()
    assert sign_in(client, "official", LDAP_PASSWORD).status_code == 200
    assert signed_in_as(client) is None


def test_a_directory_that_does_not_answer_leaves_the_local_accounts_working(world, ldap_on, settings):
    settings.AUTH_LDAP_SERVER_URI = "ldap://127.0.0.1:9"  # nothing listens there
    client = Client()
    response = sign_in(client, "official", LDAP_PASSWORD)
    assert response.status_code == 200  # refused, with the form again: not a 500
    assert signed_in_as(client) is None
    assert sign_in(client, "official", LOCAL_PASSWORD).status_code == 302
    assert signed_in_as(client) == world.official


def test_a_deactivated_account_does_not_sign_in_through_the_directory(world, ldap_on):
    User.objects.filter(pk=world.official.pk).update(is_active=False)
    client = Client()
    response = sign_in(client, "official", LDAP_PASSWORD)
    assert response.status_code == 200
    assert signed_in_as(client) is None
