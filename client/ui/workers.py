"""Running core calls off the UI thread.

Every call into ``AppContext`` that may touch the token, the network or the
disk runs as a ``Task`` on the window's ``Runner``: one dedicated, long-lived
worker thread that runs tasks in order. One thread (not a pool) because the
core's SQLite connection may only be used by the thread that opened it, and
because the core's calls are not meant to run concurrently.

Results come back to the UI thread without any Python object crossing a Qt
signal: a thread queues a call and posts an empty event to one process-wide
object made on the UI thread, whose handler runs the call there (``UiHandle``
for an object that may go away, ``ui_poster`` for plain callbacks; the
runner, the dialogs' threads and the editor's pool all use them). Cross-thread ``Signal(object)`` emission from a Python thread
crashed PySide6 6.8+ under load (a refcount error in the emitted argument or
a QObject freed on the wrong thread); a posted ``QEvent`` is thread-safe by
Qt's own contract and carries nothing Python owns.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, QObject

from client.errors import KbnnError

log = logging.getLogger("client.ui.workers")

_CALL_READY = QEvent.Type(QEvent.registerEventType())


class _UiCaller(QObject):
    """Process-wide, made on the UI thread: runs there what other threads hand it."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

    def event(self, event: QEvent) -> bool:  # UI thread
        if event.type() == _CALL_READY:
            try:
                fn = self.calls.get_nowait()  # one call per posted event, in order
            except queue.Empty:
                return True
            fn()
            return True
        return super().event(event)


_UI_CALLER: _UiCaller | None = None


def _ui_caller() -> _UiCaller:
    global _UI_CALLER
    if _UI_CALLER is None or not shiboken6.isValid(_UI_CALLER):
        _UI_CALLER = _UiCaller()
    return _UI_CALLER


class UiHandle:
    """A way back to a UI object for other threads: made on the UI thread, then
    ``handle.call("method", *args)`` from any thread runs ``owner.method(*args)`` on the UI
    thread — or nothing once the owner is gone. The thread holds no reference to the owner
    (only a weak one, resolved on the UI thread), so it can never be the one that frees a
    widget; and no Python object crosses a Qt signal (see the module's docstring)."""

    def __init__(self, owner: QObject) -> None:  # UI thread
        self._ref = weakref.ref(owner)
        self._caller = _ui_caller()

    def call(self, method: str, *args: Any) -> None:  # any thread
        ref = self._ref

        def run() -> None:
            owner = ref()
            if owner is not None and shiboken6.isValid(owner):
                getattr(owner, method)(*args)

        _post(self._caller, run)


def ui_poster() -> Callable[[Callable[[], None]], None]:
    """Call on the UI thread; returns ``post(fn)``, which any thread may call to have
    ``fn()`` run on the UI thread, in order. ``fn`` must not need a widget that may be gone
    (check with ``shiboken6.isValid``), and should not be the last holder of one."""
    caller = _ui_caller()
    return lambda fn: _post(caller, fn)


def _post(caller: _UiCaller, fn: Callable[[], None]) -> None:
    caller.calls.put(fn)
    try:
        QCoreApplication.postEvent(caller, QEvent(_CALL_READY))
    except RuntimeError:  # the application is shutting down
        log.debug("UI call dropped: the application has ended")


class Task:
    """One call ``fn()``; ``on_done(result)`` or ``on_failed(exception)`` afterwards, on the UI thread."""

    def __init__(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
                 on_failed: Callable[[Exception], None] | None = None) -> None:
        self._fn: Callable[[], Any] | None = fn
        self._on_done, self._on_failed = on_done, on_failed
        self._ok = False
        self._value: Any = None

    def run(self) -> None:  # worker thread
        fn, self._fn = self._fn, None  # drop the closure (it may hold a PIN) once run
        try:
            self._value, self._ok = (fn() if fn is not None else None), True
        except Exception as exc:  # reported to the UI thread, never swallowed
            if isinstance(exc, KbnnError):
                log.info("background task failed: %s", type(exc).__name__)
            else:  # a bug: keep the stack (text only, no local variables) in the log
                log.error("background task failed:\n%s", "".join(traceback.format_exception(exc)))
            # The traceback's frames hold the task's locals (a PIN, during signing): drop them.
            exc.__traceback__ = None
            exc.__context__ = exc.__cause__ = None
            self._value, self._ok = exc, False
        finally:
            del fn

    def deliver(self) -> None:  # UI thread
        value, self._value = self._value, None
        on_done, on_failed = self._on_done, self._on_failed
        self._on_done = self._on_failed = None
        if self._ok:
            if on_done is not None:
                on_done(value)
        elif on_failed is not None:
            on_failed(value)
        else:
            log.warning("unhandled background failure: %s", value)


class Runner(QObject):
    """A serial background executor on one persistent thread, owned by the main window."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._queue: queue.SimpleQueue[Task | None] = queue.SimpleQueue()
        self._ui = UiHandle(self)
        self._pending = 0
        self._stopped = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._loop, name="kbnn-gui-worker", daemon=True)
        self._thread.start()

    def _loop(self) -> None:  # worker thread
        while True:
            task = self._queue.get()
            if task is None:
                break
            try:
                task.run()
            finally:
                # delivered on the UI thread, in order; dropped if the window has gone
                self._ui.call("_deliver", task)
                task = None
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

    def _deliver(self, task: Task) -> None:  # UI thread
        task.deliver()

    @property
    def thread_ident(self) -> int | None:
        return self._thread.ident

    def submit(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
               on_failed: Callable[[Exception], None] | None = None) -> Task:
        task = Task(fn, on_done, on_failed)
        if self._stopped:
            log.debug("task submitted after the runner stopped; ignored")
            return task
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
