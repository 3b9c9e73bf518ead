"""A process that cascades one task, for the fault tests (`python -m tests.faults.cascade_proc ACTOR TASK`):
the web worker of a leader who pressed "Giao cho mọi xã". With FAULT_HOLD_CASCADE=1 it stops inside the
cascade's transaction once the copies are written (file `cascade-held` in FAULT_SIGNAL_DIR) and waits there
until it is killed, so the test kills it with the copies written but not committed.
Production code is untouched: the hook wraps the cascade's batch write in this process only."""

from __future__ import annotations

import functools
import os
import sys
import time
from pathlib import Path

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402

from org.models import UnitKind  # noqa: E402
from tasks import services  # noqa: E402
from tasks.models import Task  # noqa: E402
from tasks.services import cascade  # noqa: E402

if os.environ.get("FAULT_HOLD_CASCADE"):
    signals = Path(os.environ["FAULT_SIGNAL_DIR"])
    name = "tasks_create_batch" if hasattr(cascade, "tasks_create_batch") else "tasks_create_bulk"
    write = getattr(cascade, name)

    @functools.wraps(write)
    def held(*args, **kwargs):
        result = write(*args, **kwargs)
        (signals / "cascade-held").touch()
        while True:  # until SIGKILL, the transaction still open
            time.sleep(1)
        return result

    setattr(cascade, name, held)

actor = get_user_model().objects.get(pk=int(sys.argv[1]))
task = Task.objects.get(pk=int(sys.argv[2]))
result = services.task_cascade(actor=actor, task=task, unit_kind=UnitKind.COMMUNE)
print("cascaded", result.summary(), flush=True)
