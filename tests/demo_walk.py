"""`make run`'s own stack, walked page by page (`python -m tests.demo_walk`, run by tests/test_demo_pages.py):
the embedded default (SQLite, the file-system broker) with the demo loaded, each demo login opening the
pages of its top menu and the first task, plan, breakdown and round it is shown, as the test client of the
same process. Prints one line per page and exits non-zero if any answered other than 200 (or a redirect to
a page that answers 200). A query the demo's SQLite refuses (PostgreSQL accepts more) fails here."""

from __future__ import annotations

import datetime as dt
import os
import re
import sys

import django

django.setup()

if os.environ.get("FAULT_CLOCK_OFFSET"):  # the test session's clock (TEST_NOW), as tests.faults.worker_app
    import time_machine

    offset = dt.timedelta(seconds=float(os.environ["FAULT_CLOCK_OFFSET"]))
    time_machine.travel(dt.datetime.now(dt.UTC) + offset, tick=True).start()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

# Besides the top menu's own links (read from each login's home page), these pages every login may open.
ALWAYS = ["/", "/notifications/", "/notifications/preferences/", "/tasks/?view=table", "/tasks/export.xlsx"]
# The first link of each kind on the pages above, followed as a person would.
FOLLOW = [
    r'href="(/tasks/\d+/)"',
    r'href="(/plans/\d+/)"',
    r'href="(/ranking/\d+/units/\d+/)"',
    r'href="(/round/\d+/)"',
    r'href="(/plans/\d+/series/)"',
    r'href="(/plans/\d+/report\.pdf)"',
]
LOGINS = ["admin", "lanhdao.tinh", "thamdinh", "lanhdao.tp", "chuyenvien.tp", "canbo.dt", "lanhdao.dt"]


def main() -> int:
    assert settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), "the demo's default is SQLite"
    call_command("migrate", verbosity=0)
    call_command("load_demo", "--if-empty", stdout=sys.stderr)
    failures = 0
    for username in LOGINS:
        client = Client(raise_request_exception=False)
        client.force_login(get_user_model().objects.get(username=username))
        home = client.get("/", follow=True).content.decode()
        nav = re.search(r'<nav class="mainnav".*?</nav>', home, re.S)
        menu = re.findall(r'href="(/[^"#]*)"', nav.group(0)) if nav else []
        seen, pages = set(), ALWAYS + menu
        while pages:
            url = pages.pop(0)
            if url in seen:
                continue
            seen.add(url)
            response = client.get(url, follow=True)
            ok = response.status_code == 200
            failures += not ok
            print(f"{'ok ' if ok else 'BAD'} {response.status_code} {username} {url}", flush=True)
            if ok and response.get("Content-Type", "").startswith("text/html"):
                html = response.content.decode()
                for pattern in FOLLOW:
                    found = re.search(pattern, html)
                    if found and found.group(1) not in seen:
                        pages.append(found.group(1))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
