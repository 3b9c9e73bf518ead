"""What the acceptance tests share: a real Celery worker (a thread of this process, consuming the project's
queue on Redis), for the tests whose flow goes through jobs."""

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connections

from config import celery_app
from scoring import tasks as _scoring_jobs  # noqa: F401  (registers the jobs with the app)


def _close_worker_connections(**kwargs):
    # The worker thread's own database connection: closed after each job, so the test database can be
    # flushed and dropped when the test ends.
    connections.close_all()


@pytest.fixture
def worker(transactional_db):
    task_postrun.connect(_close_worker_connections, weak=False)
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=15
        ) as running:
            yield running
    finally:
        task_postrun.disconnect(_close_worker_connections)
