"""Fixtures that start servers (PostgreSQL, Prometheus) and must stop them however the run ends."""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Iterator


def _interrupted(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """A time limit's SIGTERM interrupts the tests like Ctrl-C, so pytest still tears the
    enclosing fixture down (its server stopped, its directory removed)."""
    previous = signal.signal(signal.SIGTERM, _interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
