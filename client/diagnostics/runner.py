"""Running the checks: concurrently, each with its own time limit, each independent.

Every check runs on its own daemon thread (a check stuck in a DNS lookup or a
slow disk can neither hold up the others nor keep the process alive at exit).
A check that raises, or does not finish in time, becomes a ``failed`` result;
the others are unaffected.
"""

from __future__ import annotations

import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from client import __version__
from client.diagnostics.checks import CHECKS, CheckSpec, DiagnosticEnv
from client.diagnostics.model import FAILED, CheckResult, Report
from client.home import Home
from client.i18n import tr

log = logging.getLogger("client.diagnostics")


def check_list() -> list[dict]:
    """``[{"id", "title", "title_en"}]`` in report order (the GUI shows them before results)."""
    return [{"id": c.id, "title": c.title, "title_en": c.title_en} for c in CHECKS]


def _run_one(spec: CheckSpec, env: DiagnosticEnv) -> CheckResult:
    try:
        return spec.titled(spec.fn(env))
    except Exception as exc:  # noqa: BLE001 - one check failing never stops the others
        log.warning("diagnostic check %s failed: %s", spec.id, type(exc).__name__, exc_info=True)
        return CheckResult(spec.id, FAILED, spec.display_title,
                           tr("Lỗi khi kiểm tra: {error}: {message}", error=type(exc).__name__,
                              message=exc),
                           tr("Gửi gói hỗ trợ (báo cáo và nhật ký) cho bộ phận kỹ thuật."),
                           {"exception": type(exc).__name__})


def _notify(on_result: Callable[[CheckResult], None] | None, result: CheckResult) -> None:
    """Hand ``result`` to the caller's callback; a failing callback never stops the run."""
    if on_result is not None:
        try:
            on_result(result)
        except Exception:  # noqa: BLE001
            log.debug("on_result callback failed", exc_info=True)


def run_diagnostics(home: Home, *, module: str | None = None, only: Iterable[str] | None = None,
                    checks: list[CheckSpec] | None = None, env: DiagnosticEnv | None = None,
                    on_result: Callable[[CheckResult], None] | None = None,
                    timeout_scale: float = 1.0) -> Report:
    """Run every check (or those in ``only``) concurrently and return the report.

    ``on_result`` is called from worker threads as each result arrives (the GUI
    forwards it to the UI thread with a signal). ``module`` checks that PKCS#11
    module only (``--module``).
    """
    env = env or DiagnosticEnv(home, module=module)
    specs = list(checks if checks is not None else CHECKS)
    if only is not None:
        wanted = set(only)
        specs = [s for s in specs if s.id in wanted]
    futures: list[tuple[CheckSpec, concurrent.futures.Future, float]] = []
    for spec in specs:
        fut: concurrent.futures.Future[CheckResult] = concurrent.futures.Future()

        def work(spec: CheckSpec = spec, fut: concurrent.futures.Future = fut) -> None:
            result = _run_one(spec, env)
            if fut.set_running_or_notify_cancel():
                fut.set_result(result)
                _notify(on_result, result)

        started = time.monotonic()
        threading.Thread(target=work, name=f"diag-{spec.id}", daemon=True).start()
        futures.append((spec, fut, started + spec.timeout * timeout_scale))

    results: list[CheckResult] = []
    for spec, fut, deadline in futures:
        try:
            results.append(fut.result(timeout=max(0.0, deadline - time.monotonic())))
        except concurrent.futures.TimeoutError:
            if not fut.cancel():  # finished just now
                results.append(fut.result())
                continue
            result = CheckResult(
                spec.id, FAILED, spec.display_title,
                tr("Kiểm tra không xong sau {seconds:g} giây.", seconds=spec.timeout * timeout_scale),
                tr("Thiết bị hoặc dịch vụ tương ứng không phản hồi; thử lại, nếu vẫn vậy hãy gửi "
                   "gói hỗ trợ cho bộ phận kỹ thuật."),
                {"timeout_seconds": spec.timeout * timeout_scale})
            results.append(result)
            _notify(on_result, result)
    return Report(__version__, datetime.now(UTC), results, str(home.path))
