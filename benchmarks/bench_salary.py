"""Salary tables at scale: a 10 000-row workbook imported and checked, and its Mẫu 09 rendered,
each beside the tool a unit would otherwise use on the same file.

    .venv/bin/python -m benchmarks.bench_salary [--rows 10000] [--repeat 3]

1. import + check: ``importers.salary`` (header search under merged title rows, two-row
   heading, groups and subtotals, account cleaning, legacy-text detection) + ``run_checks``,
   beside ``pandas.read_excel`` of the same file (which only reads the cells);
2. Mẫu 09 PDF: ``render.render_pdf`` of the imported document, beside LibreOffice's headless
   PDF export (``soffice --convert-to pdf``) of the same workbook.

Each line says "skipped" when the other tool is not installed (pandas; libreoffice-calc).
The best of ``--repeat`` runs is reported (LibreOffice: one run, it is slow to start).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GROUPS = ("I. Công chức", "II. Viên chức", "III. Hợp đồng lao động")
BANKS = ("Vietcombank - CN Sài Gòn", "VietinBank - CN Quận 1", "BIDV - CN Bến Thành",
         "Agribank - CN Sài Gòn", "Techcombank")
PARTS = ["Lương và phụ cấp theo lương", "Tiền công hợp đồng", "Thu nhập tăng thêm",
         "Tiền thưởng", "Phụ cấp khác", "Tiền khoán", "Học bổng"]


def build_workbook(path: Path, rows: int) -> int:
    """A Mẫu 09 workbook as units keep it; returns its total."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Lương"
    ws["A1"] = "TRƯỜNG TIỂU HỌC HÒA BÌNH"
    ws.merge_cells("A1:E1")
    ws["A3"] = "BẢNG THANH TOÁN CHO ĐỐI TƯỢNG THỤ HƯỞNG"
    ws.merge_cells("A3:M3")
    ws.append(["STT", "Họ và tên", "Số tài khoản", "Tên ngân hàng", "Tổng số", "Trong đó",
               None, None, None, None, None, None, "Ghi chú"])  # row 4
    ws.append([None] * 5 + PARTS + [None])
    ws.merge_cells("F4:L4")
    for col in "ABCDEM":
        ws.merge_cells(f"{col}4:{col}5")
    total = 0
    per_group = -(-rows // len(GROUPS))
    n = 0
    for group in GROUPS:
        ws.append([None, group])
        sub = 0
        for _ in range(per_group):
            if n == rows:
                break
            n += 1
            salary, bonus = 5_000_000 + n * 37 % 9_000_000, (n % 4) * 250_000
            account = f"{n:013d}"
            ws.append([n, f"Nguyễn Thị Thanh Hương {n}", f"{account[:4]} {account[4:]}",
                       BANKS[n % len(BANKS)], f"{salary + bonus:,}".replace(",", "."), salary,
                       None, None, bonus or None, None, None, None, ""])
            sub += salary + bonus
        ws.append([None, "Cộng", None, None, sub])
        total += sub
    ws.append([None, "Tổng cộng", None, None, total])
    ws.append([None, "Người lập bảng", None, "Kế toán trưởng", None, "Thủ trưởng đơn vị"])
    wb.save(path)
    return total


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def ours_import(path: Path) -> dict:
    from client.documents.checks import CheckInputs, run_checks
    from client.importers.salary import import_salary_report

    unit = {"code": "1047665", "name": "Trường Tiểu học Hòa Bình", "treasury": "KBNN Quận 1",
            "account": "9523.1.1047665", "account_kind": "estimate"}
    doc, report = import_salary_report(path, unit=unit, number="07/2026-BTT", date="2026-07-25",
                                       period={"year": 2026, "month": 7}, prepared_by="Hằng")
    problems = run_checks(doc, CheckInputs(source_rows=report.source_rows))
    if any(p.severity == "error" for p in problems):
        raise SystemExit(f"unexpected errors: {problems[:3]}")
    return doc


def pandas_read(path: Path, engine: str):
    import pandas

    return pandas.read_excel(path, header=[3, 4], engine=engine)


def soffice_pdf(path: Path, out_dir: Path) -> Path:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    profile = out_dir / "lo-profile"
    subprocess.run([soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out_dir), str(path)],
                   check=True, capture_output=True, timeout=900)
    return out_dir / (path.stem + ".pdf")


def pages(pdf: Path) -> str:
    if not shutil.which("pdfinfo"):
        return "?"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    return next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    from client.render import render_pdf

    table: list[tuple[str, str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        book = tmp_path / "luong-10000.xlsx"
        total = build_workbook(book, args.rows)
        size = book.stat().st_size // 1024
        amount = f"{total:,}".replace(",", ".")
        print(f"Workbook: {args.rows} rows, {size} KiB, total {amount} đồng")

        t_ours, doc = best(lambda: ours_import(book), args.repeat)
        assert doc["total"] == total and len(doc["lines"]) == args.rows  # type: ignore[index]
        try:
            import pandas  # noqa: F401

            for engine in ("openpyxl", "calamine"):
                try:
                    t_pd, _ = best(lambda e=engine: pandas_read(book, e), args.repeat)
                except ImportError:
                    table.append(("import + check", f"{t_ours:.2f} s",
                                  f"pandas ({engine}): skipped", "–"))
                    continue
                table.append(("import + check", f"{t_ours:.2f} s",
                              f"pandas.read_excel, engine={engine} {t_pd:.2f} s",
                              f"{t_ours / t_pd:.2f}×"))
        except ImportError:
            table.append(("import + check", f"{t_ours:.2f} s", "pandas: skipped (not installed)",
                          "–"))

        t_pdf, pdf = best(lambda: render_pdf(doc), args.repeat)
        ours_pdf = tmp_path / "mau09.pdf"
        ours_pdf.write_bytes(pdf)  # type: ignore[arg-type]
        if shutil.which("soffice") or shutil.which("libreoffice"):
            start = time.perf_counter()
            lo_pdf = soffice_pdf(book, tmp_path)
            t_lo = time.perf_counter() - start
            table.append(("Mẫu 09 PDF", f"{t_pdf:.2f} s ({pages(ours_pdf)} pages)",
                          f"LibreOffice headless {t_lo:.2f} s ({pages(lo_pdf)} pages)",
                          f"{t_pdf / t_lo:.2f}×"))
        else:
            table.append(("Mẫu 09 PDF", f"{t_pdf:.2f} s ({pages(ours_pdf)} pages)",
                          "LibreOffice: skipped (not installed)", "–"))

    head = ("step", "kbnn-client", "alternative on the same file", "ours / theirs")
    widths = [max(len(r[i]) for r in [head, *table]) for i in range(4)]
    for row in [head, tuple("-" * w for w in widths), *table]:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
