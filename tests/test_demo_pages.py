"""The demo as `make run` starts it (SQLite, the file-system broker), walked by every demo login: each page
of its menu and the first task, plan, breakdown, round and report linked from them answers 200. The suite
itself runs on PostgreSQL, which accepts queries SQLite refuses (an ORDER BY inside a UNION): this is the
test that the embedded default works too. In a process of its own, with its own var/ folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import session_clock_env

ROOT = Path(__file__).resolve().parents[1]


def test_every_demo_login_opens_its_pages_on_the_embedded_default(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DATABASE_URL", "REDIS_URL"))}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="1", VAR_DIR=str(tmp_path / "var"))
    env.update(session_clock_env())
    run = subprocess.run(
        [sys.executable, "-m", "tests.demo_walk"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    pages = [line for line in run.stdout.splitlines() if line[:3] in ("ok ", "BAD")]
    bad = [line for line in pages if line.startswith("BAD")]
    assert run.returncode == 0 and not bad, "\n".join(bad) or run.stderr[-3000:]
    # It did walk: every login, the pages it follows from the menu included.
    assert len(pages) > 7 * 8
    assert any("/tasks/" in line and line.split()[-1].rstrip("/").split("/")[-1].isdigit() for line in pages)
    assert any("/report.pdf" in line for line in pages)
