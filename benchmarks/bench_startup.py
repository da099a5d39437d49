"""Startup benchmark: from starting the process to the main window shown, with 10 000 dossiers
in the database, and the memory the process then uses.

    .venv/bin/python benchmarks/bench_startup.py [--dossiers 10000] [--runs 5] [--dir DIR]

Each run is a fresh child process (``QT_QPA_PLATFORM=offscreen``); the parent notes the
wall time just before starting it. The child opens the profile the way ``kbnn-client``
does (``AppContext`` + ``client.ui.app.run_gui``) and reports, through marker lines on
stdout:

* ``shown``  — the main window's first paint (what the user first sees);
* ``listed`` — the dossier list holding every dossier (it is read off the UI thread);

with the resident memory (RSS, from ``/proc/self/status``) at each, then quits.

Compared in the same run against:

* ``python -c "import PySide6.QtWidgets"`` — the interpreter plus Qt, nothing of ours;
* a bare Qt window: ``QApplication`` + an empty ``QMainWindow`` shown (first paint);
* the client over an empty database (only the unit profile).

Both profiles are set up (unit, server, account: no setup wizard) and offline: the server
address is a closed loopback port, so the first outbox sync fails at once, as on a PC
without network. The database is filled like a unit's few years of work: Mẫu 09 salary tables (the demo
table, its real ``document.json``), 15 % drafts, 10 % waiting for the head of unit, 5 %
signed, the rest sent through the outbox and in every treasury state (received, accepted,
rejected, paid), each signed one with a package blob the size of a real one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MARK = "KBNN-BENCH "
UNIT_INI = """[unit]
code = 1047665
name = Trường Tiểu học Kim Liên
treasury = KBNN Đống Đa
account = 9523.1.1047665
account_kind = estimate

[server]
url = http://127.0.0.1:9/api/v1
unit = 1047665
user = ketoan01
"""


# --------------------------------------------------------------------------- the data


def populate(home_dir: Path, count: int, seed: int = 8) -> dict:
    """Fill ``home_dir``'s database with ``count`` dossiers in every state; return facts."""
    from client import documents
    from client.home import Home
    from client.render import render_pdf
    from client.store.db import connect, transaction
    from client.store.documents import DocumentRepo
    from client.training.setup import demo_salary_table
    from client.transport.outbox import Outbox

    home_dir.mkdir(parents=True, exist_ok=True)
    (home_dir / "settings.ini").write_text(UNIT_INI, encoding="utf-8")
    home = Home(home_dir)
    unit = home.require_unit()
    base = demo_salary_table(unit)
    pdf_size = len(render_pdf(base))
    rng = random.Random(seed)
    conn = connect(home.db_path)
    repo, outbox = DocumentRepo(conn), Outbox(conn)
    started = time.perf_counter()
    states: dict[str, int] = {}
    with transaction(conn):
        for n in range(count):
            year, month = 2021 + n * 6 // count, 1 + n % 12
            doc = dict(base, id=str(uuid.UUID(int=rng.getrandbits(128))),
                       number=f"BTT-{year}-{n + 1:05d}", period={"year": year, "month": month},
                       date=f"{year}-{month:02d}-25")
            data = documents.serialize(doc)
            summary = documents.summary(doc)
            local_id = repo.add_draft(data, summary, f"Lương tháng {month:02d}/{year}")
            r = rng.random()
            if r < 0.15:
                state = "draft"
            else:
                package = data + rng.randbytes(pdf_size + 12_000)  # json + pdf + signatures
                if r < 0.25:
                    state = "signed-partial"
                    repo.set_package(local_id, package, state)
                elif r < 0.30:
                    state = "signed"
                    repo.set_package(local_id, package, state)
                else:
                    item = outbox.enqueue(package, summary, document_local_id=local_id)
                    status = rng.choices(["received", "accepted", "rejected", "paid"],
                                         [5, 10, 5, 80])[0]
                    state = {"received": "sent"}.get(status, status)
                    conn.execute(
                        "UPDATE outbox SET state = 'sent', submission_id = ?, treasury_status = ?,"
                        " attempts = 1 WHERE local_id = ?", (f"HS-{n:06d}", status, item))
                    conn.execute("UPDATE documents SET state = ? WHERE local_id = ?",
                                 (state, local_id))
            states[state] = states.get(state, 0) + 1
    conn.close()
    return {"seconds": time.perf_counter() - started,  # seconds, not money
            "db_mb": home.db_path.stat().st_size / 1024 / 1024, "states": states}


# --------------------------------------------------------------------------- child side


def _rss_kb() -> tuple[int, int]:
    """(current, peak) resident set size in KiB."""
    cur = peak = 0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1])
    except OSError:
        import resource

        peak = cur = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return cur, peak


def _say(event: str, **data: object) -> None:
    cur, peak = _rss_kb()
    print(MARK + json.dumps({"event": event, "t": time.time(), "rss_kb": cur, "peak_kb": peak,
                             **data}), flush=True)


def _first_paint_filter(on_paint):
    from PySide6.QtCore import QEvent, QObject

    class FirstPaint(QObject):
        done = False

        def eventFilter(self, obj, event):  # noqa: N802 - Qt's name
            if not self.done and event.type() == QEvent.Type.Paint:
                self.done = True
                on_paint()
            return False

    return FirstPaint()


def _listed_rows(window) -> int:
    """Rows of the dossier list: the window's ``model``, else its largest item view."""
    from PySide6.QtWidgets import QAbstractItemView

    model = getattr(window, "model", None)
    if model is not None and hasattr(model, "rowCount"):
        return model.rowCount()
    views = window.findChildren(QAbstractItemView)
    return max((v.model().rowCount() for v in views if v.model() is not None), default=0)


def child_client(home_dir: str, expect: int) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    import client.ui.app as uiapp
    from client.app import AppContext
    from client.home import Home

    original = uiapp.create_main_window
    keep: list = []

    def create(ctx):
        window = original(ctx)

        def shown() -> None:
            _say("shown")
            poll = QTimer(window)

            def check() -> None:
                rows = _listed_rows(window)
                if rows >= expect:
                    poll.stop()
                    _say("listed", rows=rows)
                    QApplication.instance().quit()

            poll.timeout.connect(check)
            poll.start(2)
            keep.append(poll)

        flt = _first_paint_filter(shown)
        window.installEventFilter(flt)
        keep.append(flt)
        QTimer.singleShot(180_000, QApplication.instance().quit)  # never hang the benchmark
        return window

    uiapp.create_main_window = create
    ctx = AppContext(Home(home_dir))
    try:
        return uiapp.run_gui(ctx, lang="vi")
    finally:
        ctx.close()


def child_bare() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.resize(1280, 800)

    def shown() -> None:
        _say("shown")
        QTimer.singleShot(0, app.quit)

    flt = _first_paint_filter(shown)
    window.installEventFilter(flt)
    window.show()
    return int(app.exec())


# --------------------------------------------------------------------------- the list's query


def list_cost(home_dir: Path, runs: int = 3) -> None:
    """What reading the dossier list costs in-process: ``DocumentRepo.list()`` (every column,
    the document and package blobs included) against a query of only the columns the list
    shows. Memory is the growth of the Python heap (tracemalloc peak)."""
    import tracemalloc

    from client.home import Home
    from client.store.db import connect
    from client.store.documents import DocumentRepo

    conn = connect(Home(home_dir).db_path)
    cols = "local_id, doc_id, kind, number, period, total, lines, state, title, created_at, updated_at"

    def repo_list() -> int:
        return len(DocumentRepo(conn).list())

    def columns_only() -> int:
        return len(conn.execute(f"SELECT {cols} FROM documents ORDER BY local_id DESC").fetchall())

    def before_blobs() -> int:  # columns stored before document_json/package in each row
        return len(conn.execute("SELECT local_id, doc_id, kind, number, period, total, lines, state"
                                " FROM documents ORDER BY local_id DESC").fetchall())

    print("\nReading the list in-process (median of 3; Python heap peak):")
    for title, fn in (("DocumentRepo.list() — every column, blobs included", repo_list),
                      ("SELECT of the list's columns only", columns_only),
                      ("… only those stored before the blobs (no dates)", before_blobs)):
        times, peaks = [], []
        for _ in range(runs):
            tracemalloc.start()
            t0 = time.perf_counter()
            n = fn()
            times.append(time.perf_counter() - t0)
            peaks.append(tracemalloc.get_traced_memory()[1] / 1024 / 1024)
            tracemalloc.stop()
        print(f"  {title:<52} {n:>6} rows  {_median(times):7.3f} s  {_median(peaks):7.0f} MB")
    conn.close()


# --------------------------------------------------------------------------- parent side


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("KBNN_CLIENT_PRESET", None)
    return env


def run_once(args: list[str], events: tuple[str, ...]) -> dict[str, dict]:
    """Start ``python args…``; return ``{event: {"s": seconds since start, "rss_mb", …}}``."""
    started = time.time()
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=_env(),
                          cwd=ROOT, timeout=300, encoding="utf-8")
    ended = time.time()
    out: dict[str, dict] = {}
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            ev = json.loads(line[len(MARK):])
            out[ev["event"]] = {"s": ev["t"] - started, "rss_mb": ev["rss_kb"] / 1024,
                                "peak_mb": ev["peak_kb"] / 1024, "rows": ev.get("rows")}
    if proc.returncode != 0 or any(e not in out for e in events if e != "exit"):
        raise SystemExit(f"child failed ({proc.returncode}): {args}\n{proc.stdout[-2000:]}\n"
                         f"{proc.stderr[-4000:]}")
    out["exit"] = {"s": ended - started, "rss_mb": None, "peak_mb": None, "rows": None}
    return out


def _median(values: list[float]) -> float:
    return statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dossiers", type=int, default=10_000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--dir", type=Path, default=None,
                   help="where the two profiles are made (kept; reused by the next run)")
    p.add_argument("--child", choices=("client", "bare"), help=argparse.SUPPRESS)
    p.add_argument("--home", help=argparse.SUPPRESS)
    p.add_argument("--expect", type=int, default=0, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child == "client":
        return child_client(a.home, a.expect)
    if a.child == "bare":
        return child_bare()

    work = Path(a.dir or tempfile.mkdtemp(prefix="kbnn-bench-startup-"))
    empty, full = work / "empty", work / "full"
    print(f"Preparing profiles in {work} …", flush=True)
    marker = full / "bench-dossiers.txt"
    if marker.is_file() and marker.read_text().strip() == str(a.dossiers) and empty.is_dir():
        for folder in (empty, full):
            (folder / "settings.ini").write_text(UNIT_INI, encoding="utf-8")
        print(f"  reusing the {a.dossiers} dossiers made before "
              f"({(full / 'kbnn.sqlite3').stat().st_size / 1024 / 1024:.0f} MB)", flush=True)
    else:
        populate(empty, 0)
        facts = populate(full, a.dossiers)
        marker.write_text(str(a.dossiers))
        print(f"  {a.dossiers} dossiers written in {facts['seconds']:.1f} s, database "
              f"{facts['db_mb']:.0f} MB; states: "
              + ", ".join(f"{k} {v}" for k, v in sorted(facts["states"].items())), flush=True)

    me = str(Path(__file__).resolve())
    cases = [
        ('python -c "import PySide6.QtWidgets"', ["-c", "import PySide6.QtWidgets"], ()),
        ("bare Qt: empty QMainWindow shown", [me, "--child", "bare"], ("shown",)),
        ("KBNN Client, empty database", [me, "--child", "client", "--home", str(empty),
                                         "--expect", "0"], ("shown", "listed")),
        ("KBNN Client, " + f"{a.dossiers:,}".replace(",", ".") + " dossiers",
         [me, "--child", "client", "--home", str(full), "--expect", str(a.dossiers)],
         ("shown", "listed")),
    ]
    run_once(cases[-1][1], cases[-1][2])  # warm the page cache once (not counted)
    rows = []
    for title, args, events in cases:
        runs = [run_once(args, events) for _ in range(a.runs)]

        def med(event: str, key: str, runs=runs) -> float | None:
            vals = [r[event][key] for r in runs if event in r and r[event][key] is not None]
            return _median(vals) if vals else None

        which = "shown" if "shown" in events else "exit"
        print(f"  {title}: {which} " + " ".join(f"{r[which]['s']:.2f}" for r in runs) + " s",
              flush=True)
        rows.append((title, med("shown", "s"), med("listed", "s"), med("exit", "s"),
                     med("shown", "rss_mb"), med("listed", "rss_mb"), med("listed", "peak_mb")))

    def f(v: float | None, fmt: str) -> str:
        return f"{'—':>10}" if v is None else format(v, fmt)

    print(f"\nMedian of {a.runs} runs each (offscreen Qt, {os.cpu_count()} CPUs); times in "
          "seconds from process start, memory RSS in MB.\n")
    head = ("case", "shown s", "listed s", "exit s", "RSS shown", "RSS listed", "peak RSS")
    width = max(len(r[0]) for r in rows)
    print(f"{head[0]:<{width}}  " + "  ".join(f"{h:>10}" for h in head[1:]))
    print("-" * (width + 2 + 12 * (len(head) - 1)))
    for title, shown, listed, ended, rss_s, rss_l, peak in rows:
        print(f"{title:<{width}}  {f(shown, '10.2f')}  {f(listed, '10.2f')}  {f(ended, '10.2f')}  "
              f"{f(rss_s, '10.0f')}  {f(rss_l, '10.0f')}  {f(peak, '10.0f')}")
    list_cost(full)
    full_row, empty_row, bare_row = rows[3], rows[2], rows[1]
    print(f"\n{a.dossiers} dossiers add {full_row[1] - empty_row[1]:+.2f} s to the window shown, "
          f"{full_row[2] - empty_row[2]:+.2f} s to the full list, "
          f"{full_row[5] - empty_row[5]:+.0f} MB RSS; the client's own start over a bare Qt "
          f"window: {empty_row[1] - bare_row[1]:+.2f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
