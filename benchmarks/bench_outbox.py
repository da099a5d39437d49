"""Outbox benchmark: the cost of the durable commit per package, and the throughput of
flushing a queue to the sandbox treasury over loopback.

    .venv/bin/python benchmarks/bench_outbox.py [--count 1000] [--size 65536] [--dir DIR]

Part 1, the durable commit (``Outbox.enqueue``: package bytes + idempotency key + the
outbox row in one transaction) with the client's settings (WAL, ``synchronous=FULL``),
against the same with ``synchronous=NORMAL`` and ``OFF``, and against what a user would
otherwise do — save each package as a file: write + fsync + rename + fsync of the folder
(and, for reference, the same without any fsync).

Part 2, flushing ``--count`` queued packages to a sandbox on loopback with
``Outbox.flush`` (a durable record before and after every send), against posting the same
number of packages straight with ``TreasuryClient.submit`` (same HTTP path, nothing
recorded): the difference is what the outbox's bookkeeping costs. Each run gets its own
fresh sandbox. The packages are small fake ASiC-E zips checked by a fake verifier (what is
measured is the outbox, not signature checking).

``--dir`` should be on the disk the client's home lives on (fsync on a tmpfs is free).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from client.sandbox.server import start_sandbox  # noqa: E402
from client.store.db import connect  # noqa: E402
from client.transport.api import TreasuryClient  # noqa: E402
from client.transport.outbox import Outbox  # noqa: E402
from tests.integration.sandbox_support import (  # noqa: E402
    PASSWORD,
    UNIT,
    USER,
    FakeVerifier,
    document,
    fake_package,
    signers_for,
)


def _packages(count: int, size: int, prefix: str) -> list[tuple[bytes, dict]]:
    """``count`` distinct fake packages of about ``size`` bytes, with their summaries."""
    out = []
    for n in range(1, count + 1):
        doc = document(number=f"{prefix}-{n}", total=1_000_000 + n)
        pad = os.urandom(max(0, size - 600))  # incompressible: the zip keeps its size
        summary = {"kind": doc["kind"], "number": doc["number"], "total": doc["total"]}
        out.append((fake_package(doc, padding=pad), summary))
    return out


def _stats(name: str, durations: list[float], count: int, total: float) -> dict:
    ms = sorted(d * 1000 for d in durations)
    return {"name": name, "count": count, "total": total,
            "mean": statistics.fmean(ms) if ms else 0.0,
            "p50": ms[len(ms) // 2] if ms else 0.0,
            "p95": ms[min(len(ms) - 1, int(len(ms) * 0.95))] if ms else 0.0,
            "rate": count / total if total > 0 else 0.0}


def _table(title: str, rows: list[dict], base: str) -> None:
    ref = next(r for r in rows if r["name"] == base)
    print(f"\n{title} — relative to: {base.strip()}")
    head = f"{'variant':<66} {'n':>5} {'total s':>8} {'ms each':>8} {'p50 ms':>8} " \
           f"{'p95 ms':>8} {'per s':>8} {'relative':>9}"
    print(head)
    print("-" * len(head))
    for r in rows:
        rel = r["mean"] / ref["mean"] if ref["mean"] else 0.0
        print(f"{r['name']:<66} {r['count']:>5} {r['total']:>8.2f} {r['mean']:>8.2f} "
              f"{r['p50']:>8.2f} {r['p95']:>8.2f} {r['rate']:>8.0f} {rel:>8.2f}x")


# -- part 1: the durable commit ------------------------------------------------------------
#
# The variants take turns package by package, so a burst of disk activity elsewhere on the
# machine (other processes' fsyncs) falls on all of them alike.

class _Enqueue:
    def __init__(self, folder: Path, synchronous: str) -> None:
        self.conn = connect(folder / f"enqueue-{synchronous.lower()}" / "kbnn.sqlite3")
        # connect() gives the client's own settings (WAL, synchronous=FULL); then vary.
        self.conn.execute(f"PRAGMA synchronous = {synchronous}")
        self.outbox = Outbox(self.conn)
        self.name = "Outbox.enqueue, WAL, synchronous=" + synchronous + (
            " (client)" if synchronous == "FULL" else "")

    def __call__(self, package: bytes, summary: dict) -> None:
        self.outbox.enqueue(package, summary)

    def close(self, count: int) -> None:
        assert self.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == count
        self.conn.close()


class _FileWrite:
    def __init__(self, folder: Path, durable: bool) -> None:
        self.dir = folder / ("files-fsync" if durable else "files-nosync")
        self.dir.mkdir(parents=True)
        self.durable = durable
        self.name = ("file write + fsync + rename + fsync dir" if durable
                     else "file write + rename, no fsync (not durable)")

    def __call__(self, package: bytes, summary: dict) -> None:
        final = self.dir / f"{summary['number']}.asice"
        tmp = final.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, package)
            if self.durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, final)
        if self.durable:
            dfd = os.open(self.dir, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def close(self, count: int) -> None:
        assert len(list(self.dir.glob("*.asice"))) == count


def bench_commits(folder: Path, count: int, size: int) -> list[dict]:
    variants = [_Enqueue(folder, "FULL"), _Enqueue(folder, "NORMAL"), _Enqueue(folder, "OFF"),
                _FileWrite(folder, True), _FileWrite(folder, False)]
    pkgs = _packages(count, size, "C")
    durations: list[list[float]] = [[] for _ in variants]
    for package, summary in pkgs:
        for v, d in zip(variants, durations, strict=True):
            s = time.perf_counter()
            v(package, summary)
            d.append(time.perf_counter() - s)
    for v in variants:
        v.close(count)
    return [_stats(v.name, d, count, sum(d)) for v, d in zip(variants, durations, strict=True)]


# -- part 2: flushing to the sandbox ---------------------------------------------------------
#
# Both ways run at the same time in turns of ``chunk`` packages, each against its own fresh
# sandbox: the outbox flushes the next ``chunk`` queued items (``flush(only=...)``), then
# the bare loop posts the next ``chunk`` packages.

def _sandbox(folder: Path):
    return start_sandbox(data_dir=folder, advance=0, units=[(UNIT, USER, PASSWORD)],
                         signers=signers_for(), verifier=FakeVerifier())


def _client(url: str) -> TreasuryClient:
    return TreasuryClient(url, unit_code=UNIT, username=USER, password=lambda: PASSWORD,
                          timeout=(5.0, 60.0))


def bench_flush(folder: Path, count: int, size: int, chunk: int = 50) -> list[dict]:
    srv_q, srv_d = _sandbox(folder / "sandbox-flush"), _sandbox(folder / "sandbox-direct")
    conn = connect(folder / "flush" / "kbnn.sqlite3")
    api_q, api_d = _client(srv_q.base_url), _client(srv_d.base_url)
    try:
        ob = Outbox(conn)
        ids = [ob.enqueue(p, s) for p, s in _packages(count, size, "Q")]
        direct_pkgs = [p for p, _ in _packages(count, size, "D")]
        api_q.login()  # logging in is not part of what is measured
        api_d.login()
        flush_d: list[float] = []
        direct_d: list[float] = []
        in_submit: list[float] = []  # time the flush spent inside the HTTP call
        real_submit = api_q.submit

        def timed_submit(package: bytes, key: str):
            s = time.perf_counter()
            try:
                return real_submit(package, key)
            finally:
                in_submit.append(time.perf_counter() - s)

        api_q.submit = timed_submit  # type: ignore[method-assign]
        total_q = total_d = 0.0
        for start in range(0, count, chunk):
            last = [time.perf_counter()]

            def progress(done: int, total: int, last: list[float] = last) -> None:
                now = time.perf_counter()
                flush_d.append(now - last[0])
                last[0] = now

            t0 = last[0] = time.perf_counter()
            result = ob.flush(api_q, only=ids[start:start + chunk], progress=progress)
            total_q += time.perf_counter() - t0
            assert result.failed == 0 and result.sent == len(ids[start:start + chunk]), result
            t0 = time.perf_counter()
            for package in direct_pkgs[start:start + chunk]:
                s = time.perf_counter()
                answer = api_d.submit(package, str(uuid.uuid4()))
                assert answer.status == 201, answer.status
                direct_d.append(time.perf_counter() - s)
            total_d += time.perf_counter() - t0
        for api in (api_q, api_d):
            held = len(api.changes(None, limit=500))
            assert held == count, f"the treasury holds {held}, expected {count}"
        assert len(ob.items(("sent",))) == count
        bookkeeping = [f - h for f, h in zip(flush_d, in_submit, strict=True)]
        return [_stats("Outbox.flush (durable before and after each send)", flush_d, count,
                       total_q),
                _stats("TreasuryClient.submit in a loop (nothing recorded)", direct_d, count,
                       total_d),
                _stats("  of which outbox bookkeeping (outside HTTP)", bookkeeping, count,
                       sum(bookkeeping))]
    finally:
        api_q.close()
        api_d.close()
        conn.close()
        srv_q.stop()
        srv_d.stop()


# -- part 3: reading the queue ---------------------------------------------------------------
#
# What the GUI does on every refresh (list the items, count what waits) and what every enqueue
# does (look for the same package), with the packages kept apart from the outbox rows
# (migration 4) against the earlier layout with each package inside its row.

_OLD_ITEMS = ("SELECT local_id, document_local_id, submission_id, state, treasury_status,"
              " status_text, reason, problems_json, idempotency_key, document_number, kind,"
              " total, attempts, next_try, last_error, created_at, updated_at,"
              " delivery_uncertain, last_attempt_at, last_http_status, sent_at, package_sha256,"
              " (receipt IS NOT NULL) AS has_receipt FROM outbox ORDER BY local_id DESC")
_SUMMARY = ("SELECT SUM(state IN ('queued', 'sending')), SUM(state = 'needs-attention'),"
            " SUM(state = 'sent' AND (treasury_status IS NULL OR treasury_status NOT IN"
            " ('rejected', 'paid'))), MIN(CASE WHEN state = 'queued' THEN next_try END)"
            " FROM outbox")
_DUP = "SELECT local_id, state FROM outbox WHERE package_sha256 = ? AND state != 'cancelled'"


def bench_reads(folder: Path, count: int, size: int, repeat: int = 20) -> list[dict]:
    from client.store.db import MIGRATIONS, open_db

    new = connect(folder / "reads-new" / "kbnn.sqlite3")
    old = open_db(folder / "reads-old" / "kbnn.sqlite3", MIGRATIONS[:3])
    ob = Outbox(new)
    pkgs = _packages(count, size, "R")
    for package, summary in pkgs:
        ob.enqueue(package, summary)
    with old:  # the earlier layout: the package inside the row
        old.execute("BEGIN")
        for (package, summary), n in zip(pkgs, range(1, count + 1), strict=True):
            old.execute(
                "INSERT INTO outbox (local_id, package, package_sha256, idempotency_key, state,"
                " document_number, kind, total, created_at, updated_at) VALUES"
                " (?, ?, ?, ?, 'queued', ?, ?, ?, '2026-01-01', '2026-01-01')",
                (n, package, f"sha-{n}", str(uuid.uuid4()), summary["number"], summary["kind"],
                 summary["total"]))
        old.execute("COMMIT")
    rows = []
    for name, conn, items in (("split", new, lambda: ob.items()),
                              ("in-row", old, lambda: old.execute(_OLD_ITEMS).fetchall())):
        durations = []
        for _ in range(repeat):
            s = time.perf_counter()
            assert len(items()) == count
            conn.execute(_SUMMARY).fetchone()
            conn.execute(_DUP, ("absent",)).fetchall()
            durations.append(time.perf_counter() - s)
        label = ("packages apart (migration 4, client)" if name == "split"
                 else "package inside the row (before)")
        rows.append(_stats(f"list + summary + dup check, {label}", durations, repeat,
                           sum(durations)))
    new.close()
    old.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=1000, help="packages per run (default 1000)")
    ap.add_argument("--size", type=int, default=64 * 1024,
                    help="bytes per package (default 65536; a signed salary table is 50-200 KB)")
    ap.add_argument("--dir", type=Path, default=None,
                    help="work folder (default: a temporary folder under the system's)")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-outbox-", dir=args.dir) as tmp:
        folder = Path(tmp)
        print(f"{args.count} packages of {args.size} bytes; work folder {folder}; "
              f"Python {sys.version.split()[0]}, SQLite {__import__('sqlite3').sqlite_version}")
        commits = bench_commits(folder, args.count, args.size)
        _table("1. Durable commit per package (enqueue before any network)", commits,
               commits[0]["name"])
        flushes = bench_flush(folder, args.count, args.size)
        _table("2. Flushing the queue to the sandbox over loopback", flushes, flushes[1]["name"])
        print(f"\nFlush: {flushes[0]['rate']:.0f} packages/s through the outbox, "
              f"{flushes[1]['rate']:.0f} packages/s posted bare; the outbox's own work is "
              f"{flushes[2]['mean']:.2f} ms per package (two durable transactions), the rest "
              "is the treasury's answer (its own durable commit and checks).")
        reads = bench_reads(folder, args.count, args.size)
        _table(f"3. Reading a queue of {args.count} items (per GUI refresh; n = repetitions)",
               reads, reads[0]["name"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
