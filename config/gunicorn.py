"""gunicorn's settings file (`gunicorn -c config/gunicorn.py config.wsgi:application`): with
PROMETHEUS_MULTIPROC_DIR set, django-prometheus's per-process metrics are summed over the workers
(prometheus_client's multiprocess mode): the folder starts empty, and a worker that exits is marked dead."""

import os
import shutil
from pathlib import Path


def on_starting(server):
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
