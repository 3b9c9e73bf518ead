"""The load test's users (run by `make load`, against gunicorn on the loopback address only).

- Officials (6 in 10): read their tasks through the API and the pages, open a task, read notifications,
  and now and then upload an evidence file to one of their tasks and submit it.
- Leaders (2 in 10): list the submitted tasks and approve those of their share (each approval goes through
  the outbox to a Celery worker, which recomputes the unit's scores), and look at the approval tab.
- Viewers (2 in 10): the dashboard, the ranking page and table, a unit's breakdown.

One simulated user in ten signs in on the sign-in page and takes an API token with its password; the
others come with the session and token they already hold (people stay signed in for days).
Any answer other than the expected one counts as a failure; `make load` fails if there is one.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
from pathlib import Path

from locust import HttpUser, between, task

ACCOUNTS_FILE = Path(os.environ.get("LOAD_ACCOUNTS", Path(__file__).with_name("accounts.json")))
ACCOUNTS = json.loads(ACCOUNTS_FILE.read_text())
PASSWORD = ACCOUNTS["password"]
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
PDF += b"% " + b"bao cao kiem chung " * 1500 + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"  # about 30 KB

_officials = itertools.cycle(ACCOUNTS["officials"])
_leaders = itertools.count()
_viewers = itertools.cycle(ACCOUNTS["viewers"])
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


_signed_in = itertools.count()
# One simulated user in SIGN_IN_EVERY signs in on the page and takes a token with its password (each costs
# a deliberately slow password hash); the others arrive with the session and token they already hold.
SIGN_IN_EVERY = int(os.environ.get("LOAD_SIGN_IN_EVERY", "10"))


class SignedIn(HttpUser):
    abstract = True
    wait_time = between(1, 3)

    def sign_in(self, account: dict) -> None:
        if next(_signed_in) % SIGN_IN_EVERY:
            self.client.cookies.set("sessionid", account["session"])
            self.auth = {"Authorization": f"Token {account['token']}"}
            return
        body = {"username": account["username"], "password": PASSWORD}
        api = self.client.post("/api/auth/token/", json=body, name="api: token")
        self.auth = {"Authorization": f"Token {api.json()['token']}"}
        page = self.client.get("/accounts/login/", name="page: sign-in")
        token = CSRF.search(page.text).group(1)
        with self.client.post(
            "/accounts/login/",
            {"username": account["username"], "password": PASSWORD, "csrfmiddlewaretoken": token},
            name="page: sign-in (POST)",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in answered {response.status_code}")

    def api_get(self, url: str, name: str):
        return self.client.get(url, headers=self.auth, name=name)


class Official(SignedIn):
    weight = 6

    def on_start(self):
        account = next(_officials)
        self.tasks_todo = list(account["tasks"])
        self.tasks_all = list(account["tasks"])
        self.sign_in(account)

    @task(5)
    def my_tasks_api(self):
        self.api_get("/api/tasks/?mine=true", "api: my tasks")

    @task(3)
    def my_tasks_page(self):
        self.client.get("/my-tasks/", name="page: my tasks")

    @task(2)
    def task_page(self):
        self.client.get(f"/tasks/{random.choice(self.tasks_all)}/", name="page: task")

    @task(1)
    def notifications(self):
        self.api_get("/api/notifications/", "api: notifications")

    @task(1)
    def upload_and_submit(self):
        if not self.tasks_todo:
            return self.my_tasks_api()
        task_id = self.tasks_todo.pop()
        self.client.post(
            f"/api/tasks/{task_id}/evidence/",
            data={"doc_number": "12/BC-UBND", "description": "Báo cáo kết quả", "metric_value": "97.5"},
            files={"file": ("bao-cao.pdf", PDF, "application/pdf")},
            headers=self.auth,
            name="api: upload evidence",
        )
        self.client.post(f"/api/tasks/{task_id}/submit/", json={}, headers=self.auth, name="api: submit task")


class Leader(SignedIn):
    weight = 2

    def on_start(self):
        self.index = next(_leaders) % len(ACCOUNTS["leaders"])
        self.share = len(ACCOUNTS["leaders"])
        self.sign_in(ACCOUNTS["leaders"][self.index])

    @task(3)
    def approve_submitted(self):
        listing = self.api_get(
            f"/api/tasks/?state=submitted&plan={ACCOUNTS['plan']}&page_size=100", "api: submitted tasks"
        )
        mine = [t["id"] for t in listing.json()["results"] if t["id"] % self.share == self.index]
        if mine:
            self.client.post(
                f"/api/tasks/{mine[0]}/approve/", json={}, headers=self.auth, name="api: approve task"
            )

    @task(2)
    def to_approve_page(self):
        self.client.get("/tasks/?tab=to_approve", name="page: to approve")


class Viewer(SignedIn):
    weight = 2

    def on_start(self):
        self.sign_in(next(_viewers))

    @task(2)
    def dashboard(self):
        self.client.get("/dashboard/", name="page: dashboard")

    @task(2)
    def ranking_page(self):
        self.client.get("/ranking/", name="page: ranking")

    @task(2)
    def ranking_api(self):
        cs, city = ACCOUNTS["criteria_set"], ACCOUNTS["city"]
        self.api_get(f"/api/criteria-sets/{cs}/scores/?parent={city}", "api: ranking table")

    @task(1)
    def breakdown(self):
        cs, unit = ACCOUNTS["criteria_set"], random.choice(ACCOUNTS["communes"])
        self.client.get(f"/ranking/{cs}/units/{unit}/", name="page: unit breakdown")
        self.api_get(f"/api/criteria-sets/{cs}/scores/{unit}/", "api: unit breakdown")
