"""Signing in with the province's account in a real browser (Debian's Chromium through Playwright): the
sign-in page offers both the local form and the SSO button; the button leads to the province's provider
(django-oauth-toolkit with OIDC, its own process on loopback: tests.sso.provider), whose sign-in brings the
official back to their tasks, signed in to the account an administrator created for them.

Screenshots: tests/browser/screenshots/sso-sign-in-*.png."""

from __future__ import annotations

import re
import sqlite3

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot
from tests.sso import conftest as sso
from tests.sso.conftest import CLIENT_ID, IDP_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The provider and the settings that turn OpenID Connect on, as in tests/sso/.
oidc_provider = sso.oidc_provider
oidc_on = sso.oidc_on


@pytest.fixture
def provider_knows_the_live_server(oidc_on, live_server):
    """The provider's client also accepts the live server's callback (the browser's; the test client's is
    registered at start)."""
    callback = f"{live_server.url}/accounts/oidc/callback/"
    with sqlite3.connect(oidc_on.workdir / "provider.sqlite3") as db:
        (uris,) = db.execute(
            "SELECT redirect_uris FROM oauth2_provider_application WHERE client_id = ?", (CLIENT_ID,)
        ).fetchone()
        if callback not in uris.split():
            db.execute(
                "UPDATE oauth2_provider_application SET redirect_uris = ? WHERE client_id = ?",
                (f"{uris} {callback}", CLIENT_ID),
            )
    return oidc_on


def test_an_official_signs_in_with_the_province_account(world, provider_knows_the_live_server, browse):
    page = browse()
    page.goto("/accounts/login/")
    expect(page.locator("input[name=password]")).to_be_visible()
    button = page.get_by_role("link", name="Đăng nhập bằng tài khoản một cửa (SSO)")
    expect(button).to_be_visible()
    shot(page, "sso-sign-in")

    button.click()
    # The province's own sign-in page.
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/login/"))
    page.fill("input[name=username]", "official")
    page.fill("input[name=password]", IDP_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    # Back home, signed in as the account of the same username.
    page.wait_for_url(re.compile(r"/my-tasks/$"))
    expect(page.get_by_text(world.official.display_name).first).to_be_visible()


def test_an_unknown_person_is_told_on_the_sign_in_page(world, provider_knows_the_live_server, browse):
    page = browse()
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Đăng nhập bằng tài khoản một cửa (SSO)").click()
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/login/"))
    page.fill("input[name=username]", "outsider")
    page.fill("input[name=password]", IDP_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_text(re.compile("chưa được liên kết"))).to_be_visible()
    shot(page, "sso-refused")
