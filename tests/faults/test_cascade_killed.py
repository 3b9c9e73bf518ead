"""A cascade whose process is killed (SIGKILL) after writing its copies, before its commit, then run again:
it finishes once, every unit with exactly one copy (the unique key per template and unit), one history row
each, its event handed on after the commit; a third run creates nothing. Real processes and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import pytest
from django.utils import timezone

from org.models import UnitKind
from tasks.choices import TaskAction
from tasks.models import Outbox, Task, TaskEvent
from tasks.services import task_cascade
from tests.factories import unit
from tests.faults.procs import ROOT
from tests.polling import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _cascade_process(procs, actor, task, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.faults.cascade_proc", str(actor.pk), str(task.pk)],
        cwd=ROOT,
        env=procs.env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_cascade_killed_before_its_commit_leaves_nothing_and_finishes_once_when_run_again(world, procs):
    communes = [world.commune, world.other_commune]
    communes += [unit(f"XK{i:02d}", kind=UnitKind.COMMUNE, parent=world.city) for i in range(10)]
    source = world.task(
        "draft",
        unit=world.city,
        title="Niêm yết thủ tục hành chính",
        due=timezone.localdate() + dt.timedelta(30),
    )
    before = {"events": TaskEvent.objects.count(), "outbox": Outbox.objects.count()}

    first = _cascade_process(procs, world.city_leader, source, FAULT_HOLD_CASCADE=1)
    try:
        held = procs.signal_dir / "cascade-held"
        wait_for(held.exists, timeout=60, what="the cascade has written its copies, uncommitted")
        assert first.poll() is None
        # Written but not committed: nobody else sees a copy yet.
        assert not Task.objects.filter(source=source).exists()
    finally:
        first.kill()
        first.wait(timeout=30)
    assert first.returncode == -9

    # The killed transaction is rolled back whole: no copy, no history row, no outbox event.
    assert not Task.objects.filter(source=source).exists()
    assert TaskEvent.objects.count() == before["events"]
    assert Outbox.objects.count() == before["outbox"]

    # The leader presses again (another web worker): every commune gets its copy, once.
    second = _cascade_process(procs, world.city_leader, source)
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 0, out
    assert "'created': 12" in out
    copies = Task.objects.filter(source=source)
    assert sorted(copies.values_list("assignee_unit_id", flat=True)) == sorted(u.pk for u in communes)
    assert TaskEvent.objects.filter(task__source=source, action=TaskAction.ASSIGN).count() == 12
    assert not Outbox.objects.exists()  # its event was handed to the broker after the commit

    # A third press (or a retried request) creates nothing and says so.
    again = task_cascade(actor=world.city_leader, task=source, unit_kind=UnitKind.COMMUNE)
    assert again.summary() == {"created": 0, "existing": 12, "units": 12}
    assert Task.objects.filter(source=source).count() == 12
