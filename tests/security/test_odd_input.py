"""Inputs schemathesis found answered with a server error, now each a 400 or an ordinary answer (kept as
plain tests: the fuzzing in `make test` is bounded and may not hit them again)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/api/notifications/?kind=%00",
        "/api/tasks/?q=a%00b",
        "/api/tasks/?criterion_code=%00",
        "/api/units/?code=%00",
        "/api/tasks/%00/",
    ],
)
def test_a_nul_character_in_the_query_is_a_400_not_a_database_error(world, api, url):
    response = api.as_(world.official).get(url)
    assert response.status_code in (400, 404), (url, response.status_code)
    if response.status_code == 400:
        assert response.json() == {"detail": "The request contains a NUL character."}


def test_a_nul_character_on_a_page_is_a_400_too(world, client):
    client.force_login(world.official)
    assert client.get("/tasks/?q=%00").status_code == 400
    assert client.get("/plans/?q=x%00").status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/api/tasks/?plan=99999999999999999999",
        "/api/tasks/?assignee_unit=-99999999999999999999",
        "/api/plans/?year=99999999999999999999",
    ],
)
def test_a_number_out_of_range_is_never_a_server_error(world, api, url):
    response = api.as_(world.official).get(url)
    assert response.status_code in (200, 400), (url, response.status_code, response.content)


def test_options_on_the_preferences_endpoint_describes_it(world, api):
    response = api.as_(world.official).options("/api/notifications/preferences/")
    assert response.status_code == 200
    assert response.json()["name"]


@pytest.mark.parametrize("raw", ["²", "١", "9" * 20, "-1", "1.5"])
def test_the_lead_options_of_an_id_that_is_not_one_are_empty(world, client, raw):
    """The task form's htmx call: "²" passes str.isdigit but not int(), 20 digits overflow a bigint."""
    client.force_login(world.city_leader)
    response = client.get("/tasks/lead-options/", {"assignee_unit": raw})
    assert response.status_code == 200 and response.content.decode().count("<option") == 1  # the blank one
    # A real unit id gets its people.
    response = client.get("/tasks/lead-options/", {"assignee_unit": world.commune.pk})
    assert response.content.decode().count("<option") > 1
