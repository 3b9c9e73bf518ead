"""Waiting, in tests, for what another process does: a worker, beat, a browser page."""

from __future__ import annotations

import time


def wait_for(check, *, what: str = "", timeout: float = 20.0, every: float = 0.1):
    """Poll `check()` until it returns something truthy, and return that. Once `timeout` seconds have passed,
    fail with what was awaited and the last value seen. The tests' only sleeping, always under a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() >= deadline:
            awaited = what or check.__doc__ or repr(check)
            raise AssertionError(f"gave up after {timeout:g} s waiting for {awaited}; last seen: {last!r}")
        time.sleep(every)
