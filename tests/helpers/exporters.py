"""Exporters that let a test hold an SDK batch processor's worker exactly where it wants it."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

# How long a held export waits when a test forgets to release it: a bound on hanging, never a measurement.
SAFETY_SECONDS = 60.0


class GatedExporter:
    """Forwards to ``inner``, but every ``export`` first waits until ``release()``.

    ``entered`` is set as soon as one export has started: from then on the worker thread is provably busy
    (it takes one batch and is stuck in this call), so what the application submits next can only queue
    up or be dropped, however fast or slow the machine is. ``threads`` records where exports ran.
    """

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.entered = threading.Event()
        self._open = threading.Event()
        self._lock = threading.Lock()
        self.started = 0
        self.finished = 0
        self.threads: set[int] = set()

    def export(self, batch: Sequence[Any]) -> Any:
        with self._lock:
            self.started += 1
            self.threads.add(threading.get_ident())
        self.entered.set()
        self._open.wait(SAFETY_SECONDS)
        try:
            return self.inner.export(batch)
        finally:
            with self._lock:
                self.finished += 1

    def release(self) -> None:
        """Let every held and future export through."""
        self._open.set()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return bool(self.inner.force_flush(timeout_millis))

    def shutdown(self) -> None:
        """Does not release held exports: a bounded shutdown must be seen returning while one hangs."""
        self.inner.shutdown()
