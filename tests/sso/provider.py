"""The test OpenID Connect provider as its own process (tests.sso.conftest starts it):
`python -m tests.sso.provider`. It migrates its SQLite file, registers one confidential client
(PROVIDER_CLIENT_ID, PROVIDER_CLIENT_SECRET, redirect URI PROVIDER_REDIRECT_URI, no consent screen) and its
people (PROVIDER_PEOPLE, JSON [[username, password, email, "UNIT:role" or "", name], …]), then serves on a
free loopback port, which it prints as its first line."""

from __future__ import annotations

import json
import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

os.environ["DJANGO_SETTINGS_MODULE"] = "tests.sso.provider_settings"


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def main() -> None:
    if os.environ.get("FAULT_CLOCK_OFFSET"):
        # The test session's clock (TEST_NOW, tests.conftest.session_clock_env): the tokens it signs carry
        # times the tests' process checks against its own clock.
        import datetime as dt

        import time_machine

        offset = dt.timedelta(seconds=float(os.environ["FAULT_CLOCK_OFFSET"]))
        time_machine.travel(dt.datetime.now(dt.UTC) + offset, tick=True).start()
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    User = get_user_model()
    for username, password, email, mapping, name in json.loads(os.environ["PROVIDER_PEOPLE"]):
        User.objects.create_user(username, email=email, password=password, first_name=mapping, last_name=name)
    Application.objects.create(
        name="Reform Tracker",
        client_id=os.environ["PROVIDER_CLIENT_ID"],
        client_secret=os.environ["PROVIDER_CLIENT_SECRET"],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=os.environ["PROVIDER_REDIRECT_URI"],
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    server = make_server(
        "127.0.0.1", 0, get_wsgi_application(), server_class=_Server, handler_class=_QuietHandler
    )
    print(server.server_address[1], flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
