"""Running core calls off the UI thread.

Every call into ``AppContext`` that may touch the token, the network or the
disk runs as a ``Task`` on the window's ``Runner``: one dedicated, long-lived
worker thread that runs tasks in order. One thread (not a pool) because the
core's SQLite connection may only be used by the thread that opened it, and
because the core's calls are not meant to run concurrently. Results come
back through Qt signals, delivered queued on the UI thread.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Signal, Slot

from client.errors import KbnnError

log = logging.getLogger("client.ui.workers")


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(object)


class Task(QRunnable):
    """One call ``fn()``; ``done(result)`` or ``failed(exception)`` afterwards."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self._fn: Callable[[], Any] | None = fn
        self.signals = _Signals()

    def run(self) -> None:  # worker thread
        fn, self._fn = self._fn, None  # drop the closure (it may hold a PIN) once run
        try:
            result = fn() if fn is not None else None
        except Exception as exc:  # reported to the UI thread, never swallowed
            if isinstance(exc, KbnnError):
                log.info("background task failed: %s", type(exc).__name__)
            else:  # a bug: keep the stack (text only, no local variables) in the log
                log.error("background task failed:\n%s", "".join(traceback.format_exception(exc)))
            # The traceback's frames hold the task's locals (a PIN, during signing): drop them.
            exc.__traceback__ = None
            exc.__context__ = exc.__cause__ = None
            self.signals.failed.emit(exc)
        else:
            self.signals.done.emit(result)
        finally:
            del fn


class _Relay(QObject):
    """Lives on the UI thread, so the task's signals reach it queued, on that thread."""

    def __init__(self, runner: Runner, task: Task, on_done: Callable[[Any], None] | None,
                 on_failed: Callable[[Exception], None] | None) -> None:
        super().__init__(runner)
        self._runner, self._task = runner, task
        self._on_done, self._on_failed = on_done, on_failed

    def _finish(self) -> None:
        self._runner._relays.discard(self)
        self.deleteLater()

    @Slot(object)
    def done(self, result: Any) -> None:
        self._finish()
        if self._on_done is not None:
            self._on_done(result)

    @Slot(object)
    def failed(self, exc: Exception) -> None:
        self._finish()
        if self._on_failed is not None:
            self._on_failed(exc)
        else:
            log.warning("unhandled background failure: %s", exc)


class Runner(QObject):
    """A serial background executor on one persistent thread, owned by the main window."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: queue.SimpleQueue[Task | None] = queue.SimpleQueue()
        self._relays: set[_Relay] = set()
        self._pending = 0
        self._stopped = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="kbnn-gui-worker", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            task = self._queue.get()
            if task is None:
                break
            try:
                task.run()
            finally:
                task = None
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

    @property
    def thread_ident(self) -> int | None:
        return self._thread.ident

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
               on_failed: Callable[[Exception], None] | None = None) -> Task:
        task = Task(fn)
        if self._stopped:
            log.debug("task submitted after the runner stopped; ignored")
            return task
        relay = _Relay(self, task, on_done, on_failed)
        self._relays.add(relay)
        task.signals.done.connect(relay.done)
        task.signals.failed.connect(relay.failed)
        with self._cond:
            self._pending += 1
        self._queue.put(task)
        return task

    @property
    def busy(self) -> bool:
        with self._cond:
            return self._pending > 0

    def wait(self, msecs: int = 30_000) -> bool:
        """Block until every submitted task has run (results are still to be delivered)."""
        deadline = time.monotonic() + msecs / 1000
        with self._cond:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def stop(self, msecs: int = 30_000) -> bool:
        """Finish queued tasks, then end the thread."""
        self._stopped = True
        self._queue.put(None)
        self._thread.join(msecs / 1000)
        return not self._thread.is_alive()
