"""Salary lines from a workbook or CSV -> a Mẫu 09 ``salary-table``.

The sheet may have title rows above the header, a two-row header ("Trong đó"
over the seven part columns), a column-number row (1, 2, 3 …), group heading
rows ("I. Công chức"), "Cộng" subtotals, a "Tổng cộng" row and signatures
(see ``importers.spec``, which does the reading). Only cells that cannot be
read stop the import; everything else the document can hold is left to the
checks (``documents.checks``), which name the problem by line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from client.documents import PART_KEYS, PART_LABELS, new_salary_table
from client.i18n import tr
from client.importers.banks import recognise
from client.importers.spec import Field, ImportReport, TableSpec, parse_mapping, read_table

# Heading keys (see tabular.heading_key) per field, preferred first.
_PART_HEADINGS: dict[str, tuple[str, ...]] = {
    "salary": ("luong va phu cap theo luong", "tien luong va phu cap theo luong",
               "luong va cac khoan phu cap theo luong", "luong va phu cap", "tien luong",
               "luong"),
    "contract_wage": ("tien cong lao dong thuong xuyen theo hop dong",
                      "tien cong lao dong thuong xuyen", "tien cong theo hop dong",
                      "tien cong hop dong", "tien cong", "luong hop dong"),
    "extra_income": ("tien thu nhap tang them", "thu nhap tang them", "tntt"),
    "bonus": ("tien thuong", "thuong"),
    "other_allowance": ("tien phu cap va tro cap khac", "phu cap va tro cap khac",
                        "phu cap tro cap khac", "tien phu cap tro cap khac", "phu cap khac",
                        "tro cap khac"),
    "lump_sum": ("tien khoan", "khoan"),
    "scholarship": ("tien hoc bong", "hoc bong"),
}

SALARY_SPEC = TableSpec(
    name="salary",
    fields=(
        Field("no", "STT", ("stt", "so tt", "tt", "so thu tu")),
        Field("group", "Nhóm", ("nhom", "bo phan", "phong ban", "nhom doi tuong", "doi tuong",
                                "don vi", "to")),
        Field("name", "Họ và tên", ("ho va ten", "ho ten", "ho va ten nguoi huong",
                                    "ho ten nguoi huong", "ten nguoi huong", "nguoi huong",
                                    "ho va ten nguoi nhan", "ho ten nguoi nhan",
                                    "ho va ten can bo", "ho ten can bo", "ten can bo",
                                    "ho va ten cbcc"), required=True),
        Field("account", "Số tài khoản",
              ("so tai khoan", "so tai khoan nguoi huong", "stk", "so tk", "so tk nguoi huong",
               "so tai khoan ngan hang", "so tk ngan hang", "tai khoan", "tai khoan nguoi huong",
               "so tai khoan ca nhan", "tk ngan hang", "so tai khoan the atm", "tk"),
              kind="account", required=True),
        Field("bank", "Tên ngân hàng",
              ("ten ngan hang", "ngan hang", "ngan hang nguoi huong", "tai ngan hang",
               "ngan hang mo tai khoan", "ngan hang noi mo tai khoan", "noi mo tai khoan",
               "noi mo tk", "ten ngan hang nguoi huong", "mo tai", "ngan hang mo tk"),
              required=True),
        Field("amount", "Tổng số",
              ("so tien", "so tien thuc linh", "thuc linh", "so thuc linh", "tong so tien",
               "tong so", "so tien chuyen khoan", "thuc nhan", "so tien duoc linh",
               "so tien thuc nhan", "tong so tien thuc linh", "con duoc linh", "so tien chuyen",
               "tong thu nhap thuc linh"),
              kind="amount"),
        *(Field(f"parts.{key}", PART_LABELS[key], _PART_HEADINGS[key], kind="amount")
          for key in PART_KEYS),
        Field("note", "Ghi chú", ("ghi chu", "ghi chu khac")),
    ),
    one_of=(("amount", "parts"),),
    money_fields=("amount", "parts"),
    id_fields=("account",),
    group_field="group",
)

FIELD_NAMES_VI = {"name": "Họ và tên", "account": "Số tài khoản", "bank": "Ngân hàng",
                  "amount": "Số tiền"}


def _line(values: dict[str, Any], group: str) -> dict:
    parts_found = {k.split(".", 1)[1]: v for k, v in values.items() if k.startswith("parts.")}
    line: dict[str, Any] = {
        "name": values.get("name") or "",
        "account": values.get("account") or "",
        "bank": values.get("bank") or "",
        "group": group,
        "note": values.get("note") or "",
    }
    amount = values.get("amount")
    if parts_found:
        full = {key: parts_found.get(key) or 0 for key in PART_KEYS}
        line["parts"] = full
        line["amount"] = amount if amount is not None else sum(full.values())
    else:
        line["amount"] = amount
    return line


def read_salary_table(path: Path, *, sheet: str | int | None = None,
                      mapping: dict[str, str] | None = None,
                      mapping_source: str = "map") -> tuple[list[dict], ImportReport]:
    """The salary lines of a workbook or CSV and the import report.

    ``mapping`` is ``{field: column}`` (see ``spec.parse_mapping``). Raises
    ``InvalidInput`` naming file, row and column when the file cannot be read,
    has no recognisable header, or has unreadable cells.
    """
    read = read_table(Path(path), SALARY_SPEC, sheet=sheet, mapping=mapping,
                      mapping_source=mapping_source)
    lines = [_line(r.values, r.group) for r in read.rows]
    report = read.report
    banks: dict[str, dict | None] = {}
    for line in lines:
        text = line["bank"]
        if text not in banks:
            match = recognise(text)
            banks[text] = match.to_json() if match else None
    report.extra["banks"] = [{"text": text, "recognised": found}
                             for text, found in banks.items()]
    unknown = [text for text, found in banks.items() if found is None and text]
    if unknown:
        report.notes.append(tr("Chưa nhận ra ngân hàng: {banks}.",
                               banks=", ".join(f"«{t}»" for t in unknown)))
    missing_amount = [r for r, line in zip(read.rows, lines, strict=True)
                      if line["amount"] is None]
    if missing_amount:
        from client.errors import InvalidInput, Problem
        from client.importers.tabular import column_letter

        col = report.columns.get("amount", {})
        heading = col.get("heading") or tr("Số tiền")
        problems = [Problem("amount-missing",
                            tr("Tệp «{file}», dòng {row}, cột «{heading}»: chưa có số tiền.",
                               file=report.file, row=r.row, heading=heading),
                            f"{report.sheet or report.file}!{col.get('column', column_letter(0))}"
                            f"{r.row}") for r in missing_amount]
        more = len(problems) - 1
        message = problems[0].message
        if more:
            message = tr("{first} (và {more} lỗi khác)", first=message, more=more)
        raise InvalidInput(message, problems[:50])
    return lines, report


def read_salary_lines(path: Path) -> list[dict]:
    """The salary lines of a CSV or workbook (dicts for ``new_salary_table``)."""
    return read_salary_table(path)[0]


def read_salary(path: Path) -> tuple[list[dict], list[str]]:
    """Like ``read_salary_lines``, plus notes for the user (Vietnamese), e.g. that
    text typed in TCVN3 or VNI was converted to Unicode."""
    lines, report = read_salary_table(path)
    # the sheet's conversion notes (both mention Unicode, in every language)
    return lines, [n for n in report.notes if "bảng mã cũ" in n or "NFC" in n or "Unicode" in n]


def import_salary_report(path: Path, *, unit: dict, number: str, date: str, period: dict,
                         prepared_by: str, payment_order: dict | None = None,
                         sheet: str | int | None = None, mapping: dict[str, str] | None = None,
                         mapping_source: str = "map", changes: dict | None = None
                         ) -> tuple[dict, ImportReport]:
    """Read ``path`` and build a ``salary-table`` (not checked: run ``documents.checks``)."""
    lines, report = read_salary_table(Path(path), sheet=sheet, mapping=mapping,
                                      mapping_source=mapping_source)
    doc = new_salary_table(unit=unit, number=number, date=date, period=period, lines=lines,
                           prepared_by=prepared_by, payment_order=payment_order, changes=changes)
    return doc, report


def import_salary(path: Path, *, unit: dict, number: str, date: str, period: dict,
                  prepared_by: str, payment_order: dict | None = None,
                  sheet: str | int | None = None, mapping: dict[str, str] | None = None) -> dict:
    """Read ``path`` and build a ``salary-table`` (not validated: call ``validate``)."""
    return import_salary_report(path, unit=unit, number=number, date=date, period=period,
                                prepared_by=prepared_by, payment_order=payment_order,
                                sheet=sheet, mapping=mapping)[0]


def salary_mapping(items: list[str] | None) -> dict[str, str]:
    """``--map`` arguments for a salary table -> ``{field: column}``."""
    return parse_mapping(items, SALARY_SPEC)


__all__ = ["FIELD_NAMES_VI", "SALARY_SPEC", "import_salary", "import_salary_report",
           "read_salary", "read_salary_lines", "read_salary_table", "salary_mapping"]
