"""Voucher lines from a workbook or an accounting package's CSV -> a Mẫu 07 ``voucher-list``.

The reading is the shared spec-driven importer's (``importers.spec``: header
under titles, two-row "Chứng từ / Số | Ngày" headings, numbering rows,
subtotals, "Tổng cộng", signatures, hidden rows and columns, TCVN3/VNI/NFD
text, ``--map``, ``--sheet``). What this module adds is the voucher list's
column spec and its header: purpose, budget codes (chapter, sector, source,
programme — from the options, else from the file's own columns when an
accounting package exports them, else the defaults), payment order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from client.documents import new_voucher_list
from client.errors import InvalidInput, Problem, UsageError
from client.i18n import tr
from client.importers.spec import (
    Field,
    ImportReport,
    TableSpec,
    parse_mapping,
    read_table,
    row_role,
)

BUDGET_KEYS = ("chapter", "sector", "source", "program")
BUDGET_DIGITS = {"chapter": 3, "sector": 3, "source": 2, "program": 5}
# shown in messages through tr() (the fields' own labels are in VOUCHER_SPEC)
BUDGET_LABELS = {"chapter": "Mã chương", "sector": "Mã ngành kinh tế (khoản)",
                 "source": "Mã nguồn NSNN", "program": "Mã CTMT, dự án"}
DEFAULT_PROGRAM = "00000"

VOUCHER_SPEC = TableSpec(
    name="vouchers",
    fields=(
        Field("no", "STT", ("stt", "so tt", "tt", "so thu tu")),
        Field("voucher.number", "Số chứng từ",
              ("so chung tu", "so hd", "so hoa don", "hoa don so", "so ct",
               "so chung tu hoa don", "so hieu chung tu", "so phieu", "ct so", "so"),
              kind="code", required=True),
        Field("voucher.date", "Ngày chứng từ",
              ("ngay chung tu", "ngay ct", "ngay hoa don", "ngay hd",
               "ngay thang", "ngay lap chung tu", "ngay"),
              kind="date", required=True),
        Field("description", "Nội dung chi",
              ("noi dung chi", "noi dung", "dien giai", "noi dung thanh toan", "trich yeu",
               "noi dung kinh te", "ten hang hoa dich vu")),
        Field("ndkt", "Mã NDKT",
              ("ma ndkt", "ma ndkt tieu muc", "ma noi dung kinh te", "ndkt", "tieu muc",
               "ma tieu muc", "tm", "muc tieu muc", "ma muc tieu muc"),
              kind="code", required=True, digits=4),
        Field("amount", "Số tiền",
              ("so tien", "so tien thanh toan", "so tien de nghi thanh toan", "thanh tien",
               "tong tien", "so tien tam ung", "phat sinh no", "so tien vnd", "gia tri",
               "tien"),
              kind="amount", required=True),
        Field("budget.chapter", "Mã chương", ("ma chuong", "chuong"), kind="code", digits=3),
        Field("budget.sector", "Mã ngành kinh tế",
              ("ma nganh kinh te", "nganh kinh te", "ma khoan", "khoan", "ma nganh kt"),
              kind="code", digits=3),
        Field("budget.source", "Mã nguồn NSNN",
              ("ma nguon nsnn", "nguon nsnn", "ma nguon", "nguon", "nguon kinh phi"),
              kind="code", digits=2),
        Field("budget.program", "Mã CTMT, dự án",
              ("ma ctmt du an", "ma ctmt da", "ma ctmt", "ctmt", "ma chuong trinh muc tieu"),
              kind="code", digits=5),
    ),
    money_fields=("amount",),
    id_fields=("voucher.number",),
)


def voucher_mapping(items: list[str] | None) -> dict[str, str]:
    """``--map`` arguments for a voucher list -> ``{field: column}``."""
    return parse_mapping(items, VOUCHER_SPEC)


def _line(values: dict[str, Any]) -> dict:
    return {"voucher": {"number": values.get("voucher.number") or "",
                        "date": values.get("voucher.date") or ""},
            "description": values.get("description") or "",
            "ndkt": values.get("ndkt") or "",
            "amount": values.get("amount")}


def read_voucher_table(path: Path, *, sheet: str | int | None = None,
                       mapping: dict[str, str] | None = None,
                       mapping_source: str = "map") -> tuple[list[dict], dict, ImportReport]:
    """The voucher lines, the budget codes the file carries (one value each) and the report.

    Raises ``InvalidInput`` naming file, row and column for unreadable cells, a
    row without an amount, or budget codes that differ between rows (one list
    has one set of budget codes).
    """
    read = read_table(Path(path), VOUCHER_SPEC, sheet=sheet, mapping=mapping,
                      mapping_source=mapping_source)
    report = read.report
    rows = []
    for r in read.rows:
        v = r.values
        if not v.get("voucher.date") and not v.get("ndkt"):
            # no date, no code: a heading over a group of vouchers ("I | Dịch vụ công cộng")
            # or its "Cộng" row written in the voucher number's column, not a voucher
            text = " ".join(str(x) for k, x in v.items() if x and k != "amount")
            reason = "group" if v.get("amount") is None else (
                "subtotal" if row_role(str(v.get("voucher.number") or "")) == "subtotal" else "")
            if reason:
                report.skipped.append({"row": r.row, "reason": reason, "text": text})
                continue
        rows.append(r)
    report.source_rows = [r.row for r in rows]
    problems: list[Problem] = []
    for r in rows:
        if r.values.get("amount") is None:
            col = report.columns.get("amount", {})
            problems.append(Problem(
                "amount-missing",
                tr("Tệp «{file}», dòng {row}, cột «{heading}»: chưa có số tiền.",
                   file=report.file, row=r.row, heading=col.get("heading") or tr("Số tiền")),
                f"{report.sheet or report.file}!{col.get('column', '')}{r.row}"))
    found: dict[str, str] = {}
    for key in BUDGET_KEYS:
        values = {r.values.get(f"budget.{key}") for r in rows} - {None, ""}
        if len(values) > 1:
            problems.append(Problem(
                "budget-code-mixed",
                tr("Tệp «{file}»: cột «{label}» có nhiều giá trị khác nhau ({values}); mỗi bảng "
                   "kê chỉ một {label} — hãy tách thành các bảng kê riêng", file=report.file,
                   label=tr(BUDGET_LABELS[key]), values=", ".join(sorted(values))),
                report.file))
        elif values:
            found[key] = values.pop()
    if problems:
        more = len(problems) - 1
        message = problems[0].message
        if more:
            message = tr("{first} (và {more} lỗi khác)", first=message, more=more)
        raise InvalidInput(message, problems[:50])
    return [_line(r.values) for r in rows], found, report


def budget_codes(options: dict[str, str | None], from_file: dict[str, str]) -> dict[str, str]:
    """The list's budget codes: an option wins, else the file's column, else (programme) 00000.

    An option that contradicts the file is refused (``UsageError``), a code
    missing everywhere is left empty for the checks to name.
    """
    out: dict[str, str] = {}
    for key in BUDGET_KEYS:
        given = (options.get(key) or "").strip()
        in_file = from_file.get(key, "")
        if given and in_file and given != in_file:
            raise UsageError(tr("{label} ghi {given} nhưng tệp ghi {in_file}: hãy kiểm tra "
                                "lại.", label=tr(BUDGET_LABELS[key]), given=given,
                                in_file=in_file))
        out[key] = given or in_file or (DEFAULT_PROGRAM if key == "program" else "")
    return out


def import_vouchers_report(path: Path, *, unit: dict, number: str, date: str, purpose: str,
                           budget: dict[str, str | None], prepared_by: str,
                           payment_order: dict | None = None, settles: list[dict] | None = None,
                           sheet: str | int | None = None, mapping: dict[str, str] | None = None,
                           mapping_source: str = "map") -> tuple[dict, ImportReport]:
    """Read ``path`` and build a ``voucher-list`` (not checked: run ``documents.checks``)."""
    lines, from_file, report = read_voucher_table(Path(path), sheet=sheet, mapping=mapping,
                                                  mapping_source=mapping_source)
    codes = budget_codes(budget, from_file)
    report.extra["budget_from_file"] = from_file
    doc = new_voucher_list(unit=unit, number=number, date=date, purpose=purpose, budget=codes,
                           lines=lines, prepared_by=prepared_by, payment_order=payment_order)
    if settles:
        doc["settles"] = [dict(s) for s in settles]
    return doc, report


def import_vouchers(path: Path, **kwargs: Any) -> dict:
    """``import_vouchers_report`` without the report."""
    return import_vouchers_report(path, **kwargs)[0]


__all__ = ["BUDGET_KEYS", "VOUCHER_SPEC", "budget_codes", "import_vouchers",
           "import_vouchers_report", "read_voucher_table", "voucher_mapping"]
