"""OpenID Connect sign-in against a real provider (django-oauth-toolkit with OIDC, its own process on
loopback: tests.sso.provider): the authorization-code flow walked as a browser walks it, our pages through
Django's test client and the provider's through `requests`: our sign-in page's SSO button → the provider's
sign-in → (no consent screen) → our callback, which fetches the token, checks the ID token's signature
against the provider's keys, reads the person's claims and links them to our account."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlparse

import pytest
import requests
from django.test import Client

from org.models import AuditAction, AuditEntry, Membership, User
from tests.sso.conftest import IDP_PASSWORD

pytestmark = pytest.mark.django_db

SSO_BUTTON = ("Đăng nhập bằng tài khoản một cửa (SSO)", "single sign-on")
UNLINKED = ("chưa được liên kết", "is not linked")


def signed_in_as(client: Client) -> User | None:
    pk = client.session.get("_auth_user_id")
    return User.objects.get(pk=pk) if pk else None


def walk(client: Client, provider, username: str, password: str = IDP_PASSWORD):
    """Click the SSO button, sign in at the provider, come back: our callback's answer."""
    page = client.get("/accounts/login/").content.decode()
    start = re.search(r'href="(/accounts/oidc/authenticate/[^"]*)"', page).group(1)
    response = client.get(start)
    assert response.status_code == 302
    authorize = response["Location"]
    assert authorize.startswith(f"{provider.url}/o/authorize/")
    browser = requests.Session()
    to_login = browser.get(authorize, allow_redirects=False)
    assert to_login.status_code == 302
    login_url = urljoin(provider.url, to_login.headers["Location"])
    form = browser.get(login_url)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    signed_in = browser.post(
        login_url,
        data={
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": csrf,
            "next": parse_qs(urlparse(login_url).query)["next"][0],
        },
        allow_redirects=False,
    )
    assert signed_in.status_code == 302, signed_in.text
    back = browser.get(urljoin(provider.url, signed_in.headers["Location"]), allow_redirects=False)
    assert back.status_code == 302
    callback = urlparse(back.headers["Location"])
    assert (callback.netloc, callback.path) == ("testserver", "/accounts/oidc/callback/")
    assert "code" in parse_qs(callback.query)
    return client.get(f"{callback.path}?{callback.query}")


def test_the_sign_in_page_offers_both_when_oidc_is_configured(world, oidc_on):
    page = Client().get("/accounts/login/").content.decode()
    assert 'name="password"' in page
    assert any(words in page for words in SSO_BUTTON)


def test_a_linked_person_signs_in_through_the_provider(world, oidc_on):
    client = Client()
    response = walk(client, oidc_on, "official")
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_as(client) == world.official
    assert client.get("/my-tasks/").status_code == 200
    # Their account is not changed by the provider's data.
    world.official.refresh_from_db()
    assert world.official.email == "official@example.vn"


def test_a_person_is_linked_by_e_mail(world, oidc_on):
    client = Client()
    assert walk(client, oidc_on, "nguyenvanb").status_code == 302
    assert signed_in_as(client) == world.city_leader


def test_the_claims_add_the_mapped_membership_audited(world, oidc_on):
    client = Client()
    assert walk(client, oidc_on, "colleague").status_code == 302
    assert signed_in_as(client) == world.colleague
    assert Membership.objects.filter(user=world.colleague, unit=world.commune, role="leader").exists()
    entry = AuditEntry.objects.about(world.colleague).filter(action=AuditAction.MEMBERSHIP_ADDED).first()
    assert entry.changes == {"unit": [None, "X01"], "role": [None, "leader"]}
    assert entry.actor is None  # the system, on the provider's word


def test_a_mapping_never_grants_the_administrators_role(world, oidc_on):
    promoted = User.objects.create_user("promoted", email="promoted@tinh.vn")
    client = Client()
    assert walk(client, oidc_on, "promoted").status_code == 302
    assert signed_in_as(client) == promoted
    assert not Membership.objects.filter(user=promoted).exists()


def test_an_unknown_person_is_refused_with_a_message_on_the_sign_in_page(world, oidc_on):
    users = User.objects.count()
    client = Client()
    response = walk(client, oidc_on, "outsider")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert signed_in_as(client) is None
    page = client.get(response["Location"]).content.decode()
    assert any(words in page for words in UNLINKED)
    assert "outsider" in page
    assert User.objects.count() == users


def test_a_callback_with_a_state_we_never_sent_is_refused_not_a_500(world, oidc_on):
    client = Client()
    client.get("/accounts/oidc/authenticate/")  # a state of ours in the session, not this one
    response = client.get("/accounts/oidc/callback/?code=forged&state=not-ours")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert signed_in_as(client) is None


def test_a_provider_that_does_not_answer_brings_a_message_not_a_500(world, oidc_on, settings):
    settings.OIDC_OP_DISCOVERY_URL = "http://127.0.0.1:9/.well-known/openid-configuration"
    client = Client()
    response = client.get("/accounts/oidc/authenticate/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert "một cửa" in client.get("/accounts/login/").content.decode()


def test_without_oidc_settings_there_is_no_button_and_no_endpoint(world):
    page = Client().get("/accounts/login/").content.decode()
    assert not any(words in page for words in SSO_BUTTON)
    assert Client().get("/accounts/oidc/authenticate/").status_code == 404
    assert Client().get("/accounts/oidc/callback/?code=x&state=y").status_code == 404


def test_a_deactivated_account_does_not_sign_in_through_the_provider(world, oidc_on):
    User.objects.filter(pk=world.official.pk).update(is_active=False)
    client = Client()
    response = walk(client, oidc_on, "official")
    assert response["Location"] == "/accounts/login/"
    assert signed_in_as(client) is None
    assert "một cửa" in client.get("/accounts/login/").content.decode()
