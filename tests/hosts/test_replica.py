"""Reads of the dashboard and ranking pages from a PostgreSQL replica (issue 17 part 4).

The "replica" is a real second database on the same server: a copy of the test database taken with
CREATE DATABASE … TEMPLATE, after which the primary changes (a unit is renamed) as a lagging replica would
not yet show. So each test can see which database served a page, by what the page says and by the queries
each connection ran."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
import time_machine
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from org.models import Unit

pytestmark = pytest.mark.django_db(transaction=True)

OLD, NEW = "Phường Đồng Tâm", "Phường Đồng Tâm Mới"


def _admin_dsn(settings_dict) -> str:
    host, port = settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432
    password = f" password={settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    return f"host={host} port={port} user={settings_dict['USER']}{password} dbname=postgres"


@pytest.fixture
def replica(settings):
    """Copy the test database (as it is now) into a second database, configured as the `replica` alias with
    the router and middleware the settings add when DATABASE_REPLICA_URL is set. Dropped afterwards."""
    primary = connections["default"].settings_dict
    name = f"{primary['NAME']}_replica"
    connections.close_all()  # TEMPLATE needs the source database without sessions
    with psycopg.connect(_admin_dsn(primary), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{primary["NAME"]}"')
    connections.settings["replica"] = {**primary, "NAME": name}
    # Connected here, outside the test case's guard against aliases it was not declared with (it only
    # refuses to open a connection; the alias did not exist when the test case was set up).
    connections["replica"].connect()
    settings.DATABASE_ROUTERS = ["config.replica.ReplicaRouter"]
    auth = settings.MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    settings.MIDDLEWARE = [*settings.MIDDLEWARE[: auth + 1], "config.replica.ReplicaMiddleware",
                           *settings.MIDDLEWARE[auth + 1 :]]  # fmt: skip
    yield name
    connections["replica"].close()
    del connections["replica"]
    del connections.settings["replica"]
    with psycopg.connect(_admin_dsn(primary), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def get(client, url):
    """The page, and how many queries each database ran for it."""
    with (
        CaptureQueriesContext(connections["default"]) as on_primary,
        CaptureQueriesContext(connections["replica"]) as on_replica,
    ):
        page = client.get(url)
    assert page.status_code == 200, page.status_code
    return page.content.decode(), len(on_primary), len(on_replica)


def test_the_dashboard_and_ranking_read_the_replica_other_pages_the_primary(world, web, replica):
    leader = web.as_(world.city_leader)
    Unit.objects.filter(pk=world.commune.pk).update(name=NEW)  # on the primary only: the replica lags

    html, _primary, on_replica = get(leader, "/dashboard/")
    assert OLD in html and NEW not in html
    assert on_replica > 0

    _html, _primary, on_replica = get(leader, "/ranking/")
    assert on_replica > 0

    # Anything else reads the primary: a task page of the renamed commune shows its new name.
    task = world.task("in_progress")
    html, on_primary, on_replica = get(leader, f"/tasks/{task.pk}/")
    assert NEW in html and on_replica == 0 and on_primary > 0


def test_after_a_users_own_write_their_reads_stay_on_the_primary(world, web, replica, settings):
    task = world.task("submitted")
    leader = web.as_(world.city_leader)
    Unit.objects.filter(pk=world.commune.pk).update(name=NEW)

    # The leader approves the task (a write, on the primary); the dashboard they come back to is the
    # primary's, with the commune's new name.
    r = leader.post(f"/tasks/{task.pk}/approve/", {"reason": ""})
    assert r.status_code in (200, 302)
    task.refresh_from_db()
    assert task.state == "approved"
    assert "primary_pin" in r.cookies
    html, on_primary, on_replica = get(leader, "/dashboard/")
    assert NEW in html and on_replica == 0 and on_primary > 0

    # Another leader, who wrote nothing, still reads the replica.
    other = web.__class__()
    other.force_login(world.city_leader)
    html, _primary, on_replica = get(other, "/dashboard/")
    assert OLD in html and on_replica > 0

    # Once the pin has run out, the first browser reads the replica again.
    later = timezone.now() + dt.timedelta(seconds=settings.REPLICA_PIN_SECONDS + 5)
    with time_machine.travel(later, tick=False):
        html, _primary, on_replica = get(leader, "/dashboard/")
    assert OLD in html and on_replica > 0


def test_a_forged_pin_cookie_is_ignored(world, web, replica):
    leader = web.as_(world.city_leader)
    leader.cookies["primary_pin"] = "9999999999.000:forged"
    _html, _primary, on_replica = get(leader, "/dashboard/")
    assert on_replica > 0
