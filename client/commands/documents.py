"""unit, import, render, words: preparing documents."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from client.commands.common import (
    import_with_remembered_map,
    json_out,
    open_home,
    out,
    parse_payment_order,
    parse_period,
    print_problems,
    read_file,
    write_document,
    write_file,
)
from client.errors import EXIT_INVALID, EXIT_OK, InvalidInput, UsageError
from client.i18n import tr


def cmd_unit(args) -> int:
    from client.home import Unit

    home = open_home(args)
    if args.unit_cmd == "set":
        current = home.unit()
        unit = Unit(code=args.code, name=args.name, treasury=args.treasury, account=args.account,
                    account_kind=args.account_kind,
                    prepared_by=args.prepared_by if args.prepared_by is not None
                    else (current.prepared_by if current else ""))
        home.set_unit(unit)
        out(tr("Đã lưu thông tin đơn vị {code} — {name}.", code=unit.code, name=unit.name))
        return EXIT_OK
    unit = home.require_unit()
    if args.json:
        json_out(vars(unit))
    else:
        fields = {"code": unit.code, "name": unit.name, "treasury": unit.treasury,
                  "account": unit.account, "prepared_by": unit.prepared_by}
        if unit.account_kind == "estimate":
            out(tr("Mã đơn vị:     {code}\nTên đơn vị:    {name}\nKBNN:          {treasury}\n"
                   "Tài khoản:     {account} (dự toán)\nNgười lập:     {prepared_by}", **fields))
        else:
            out(tr("Mã đơn vị:     {code}\nTên đơn vị:    {name}\nKBNN:          {treasury}\n"
                   "Tài khoản:     {account} (tiền gửi)\nNgười lập:     {prepared_by}", **fields))
    return EXIT_OK


def _unit_conn(args):
    from client.store.db import connect

    home = open_home(args)
    return home.require_unit(), connect(home.db_path)


class _JsonReported(Exception):
    """The import failed and ``--json`` already printed why."""


def _import_or_report(args, **kwargs):
    """``import_salary_report``; with ``--json`` a failure is printed as JSON too."""
    from client.importers.salary import import_salary_report

    try:
        return import_salary_report(Path(args.file), **kwargs)
    except InvalidInput as exc:
        retried = kwargs.get("mapping_source") == "remembered" and kwargs.get("mapping")
        if args.json and not retried:
            json_out({"output": None, "document": None, "report": None,
                      "error": exc.message, "problems": [p.to_json() for p in exc.problems]})
            raise _JsonReported from exc
        raise


def cmd_import_salary(args) -> int:
    try:
        return _cmd_import_salary(args)
    except _JsonReported:
        return EXIT_INVALID


def _cmd_import_salary(args) -> int:
    from client.documents import KIND_SALARY
    from client.documents.checks import CheckInputs, errors, run_checks
    from client.documents.confirmations import submitted_documents
    from client.importers.salary import salary_mapping
    from client.money import format_vnd

    unit, conn = _unit_conn(args)
    try:
        today = dt.date.today()
        period = parse_period(args.period) or {"year": today.year, "month": today.month}
        number = args.number or f"{period['month']:02d}/{period['year']}-BTT"
        common = {"unit": unit.as_document_unit(), "number": number,
                  "date": args.date or today.isoformat(), "period": period,
                  "prepared_by": unit.prepared_by,
                  "payment_order": parse_payment_order(args.payment_order), "sheet": args.sheet}
        doc, report = import_with_remembered_map(
            conn, unit.code, KIND_SALARY, salary_mapping(args.map), args.forget_map,
            lambda mapping, source: _import_or_report(args, mapping=mapping,
                                                      mapping_source=source, **common))
        key = f"{period['year']:04d}-{period['month']:02d}"
        inputs = CheckInputs(payment_order_amount=args.payment_order_amount,
                             submitted=submitted_documents(conn, KIND_SALARY, key),
                             source_rows=report.source_rows, source_name=report.file)
        problems = list(report.problems) + run_checks(doc, inputs)
    finally:
        conn.close()
    errs = errors(problems)
    if not errs:
        write_document(open_home(args), args.output, doc)
    if args.json:
        json_out({"output": None if errs else args.output,
                  "document": None if errs else documents_summary(doc),
                  "report": report.to_json(), "problems": [p.to_json() for p in problems]})
        return EXIT_INVALID if errs else EXIT_OK
    for note in report.notes:
        out(f"  · {note}")
    if errs:
        raise InvalidInput(tr("Bảng lương từ «{file}» có {errors} lỗi, chưa ghi {output}.",
                              file=args.file, errors=len(errs), output=args.output), problems)
    print_problems(problems)
    out(tr("Đã tạo {output}: {people} người, tổng {total} đồng.", output=args.output,
           people=len(doc["lines"]), total=format_vnd(doc["total"])))
    return EXIT_OK


def documents_summary(doc: dict) -> dict:
    from client.documents import summary

    return summary(doc)


def cmd_validate(args) -> int:
    from client import documents
    from client.documents.checks import CheckInputs, errors, run_checks, warnings
    from client.documents.confirmations import submitted_documents
    from client.store.db import connect

    doc = documents.parse(read_file(args.document, "document"))
    submitted: list[dict] = []
    period = doc.get("period") if isinstance(doc.get("period"), dict) else None
    home = open_home(args)
    if period and home.db_path.exists():
        conn = connect(home.db_path)
        try:
            submitted = submitted_documents(
                conn, str(doc.get("kind")),
                f"{period.get('year', 0):04d}-{period.get('month', 0):02d}")
        finally:
            conn.close()
    from client.catalogue import load
    from client.documents.confirmations import other_documents

    others: list[dict] = []
    if home.db_path.exists() and doc.get("kind") == documents.KIND_VOUCHERS:
        # the unit's other lists: the same voucher twice, advances not yet settled
        conn = connect(home.db_path)
        try:
            others = other_documents(conn, str(doc.get("kind")))
        finally:
            conn.close()
    problems = run_checks(doc, CheckInputs(payment_order_amount=args.payment_order_amount,
                                           submitted=submitted, others=others,
                                           catalogue=load(home.path)))
    errs, warns = errors(problems), warnings(problems)
    if args.json:
        json_out({"ok": not errs, "errors": len(errs), "warnings": len(warns),
                  "problems": [p.to_json() for p in problems]})
    else:
        print_problems(problems)
        if errs:
            out(tr("«{document}»: {errors} lỗi (phải sửa trước khi ký), {warnings} cảnh báo.",
                   document=args.document, errors=len(errs), warnings=len(warns)))
        elif warns:
            out(tr("«{document}»: không có lỗi; {warnings} cảnh báo cần người ký xác nhận.",
                   document=args.document, warnings=len(warns)))
        else:
            out(tr("«{document}»: hợp lệ, không có lỗi hay cảnh báo.", document=args.document))
    return EXIT_INVALID if errs else EXIT_OK


def cmd_render(args) -> int:
    from client import documents
    from client.render import render_pdf

    doc = documents.parse(read_file(args.document, "document"))
    errors = [p for p in documents.validate(doc) if p.severity == "error"]
    if errors:
        raise InvalidInput(tr("Tài liệu «{document}» chưa hợp lệ.", document=args.document), errors)
    sheet = None
    if args.c02a or args.c02a_xlsx:
        from client.payroll.month import sheet_for
        from client.store.db import connect

        home = open_home(args)
        if home.db_path.exists():
            conn = connect(home.db_path)
            try:
                sheet = sheet_for(conn, str(doc.get("id", "")))
            finally:
                conn.close()
        if sheet is None:
            raise InvalidInput(tr("Tài liệu «{document}» không được tính từ danh sách cán bộ "
                                  "trên máy này (kbnn-client payroll compute), nên không có bảng "
                                  "C02a-HD.", document=args.document))
    write_file(args.output, render_pdf(doc))
    written = [args.output]
    if args.xlsx and doc.get("kind") == documents.KIND_VOUCHERS:
        from client.catalogue import load
        from client.vouchers.export import mau07_xlsx

        names = {e.code: e.name for e in load(open_home(args).path).entries}
        write_file(args.xlsx, mau07_xlsx(doc, names))
        written.append(args.xlsx)
    elif args.xlsx:
        from client.export import mau09_xlsx

        if doc.get("kind") != documents.KIND_SALARY:
            raise InvalidInput(tr("--xlsx hiện chỉ dùng cho Mẫu 09."))
        write_file(args.xlsx, mau09_xlsx(doc))
        written.append(args.xlsx)
    if sheet is not None:
        sheet.unit = sheet.unit or dict(doc.get("unit") or {})
        if args.c02a:
            from client.render.c02a import render_c02a

            write_file(args.c02a, render_c02a(sheet, date=doc.get("date"),
                                              number=str(doc.get("number", ""))))
            written.append(args.c02a)
        if args.c02a_xlsx:
            from client.export import c02a_xlsx

            write_file(args.c02a_xlsx, c02a_xlsx(sheet))
            written.append(args.c02a_xlsx)
    out(tr("Đã in ra {files}.", files=", ".join(written)))
    return EXIT_OK


def cmd_words(args) -> int:
    from client.money import amount_in_words, parse_vnd

    try:
        amount = parse_vnd(args.amount)
    except ValueError as exc:
        raise UsageError(tr("«{text}» không phải là số tiền (số nguyên đồng).",
                            text=args.amount)) from exc
    out(amount_in_words(amount))
    return EXIT_OK


def _amount(text: str) -> int:
    import argparse

    from client.money import parse_vnd

    try:
        return parse_vnd(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            tr("«{text}» không phải là số tiền (số nguyên đồng)", text=text)) from exc


def register(sub) -> None:
    from client.commands.common import Parser

    s = sub.add_parser("unit", help=tr("thông tin đơn vị dùng trên các bảng kê"))
    us = s.add_subparsers(dest="unit_cmd", required=True, parser_class=Parser)
    u = us.add_parser("set")
    u.add_argument("--code", required=True)
    u.add_argument("--name", required=True)
    u.add_argument("--treasury", required=True)
    u.add_argument("--account", required=True)
    u.add_argument("--account-kind", required=True, choices=("estimate", "deposit"))
    u.add_argument("--prepared-by")
    u = us.add_parser("show")
    u.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_unit)

    s = sub.add_parser("import", help=tr("nhập bảng lương từ Excel/CSV"))
    isub = s.add_subparsers(dest="import_kind", required=True, parser_class=Parser)
    i = isub.add_parser("salary", help=tr("Bảng thanh toán cho đối tượng thụ hưởng (Mẫu 09)"))
    i.add_argument("file")
    i.add_argument("-o", "--output", required=True)
    i.add_argument("--period", help="YYYY-MM")
    i.add_argument("--number")
    i.add_argument("--date", help="YYYY-MM-DD")
    i.add_argument("--payment-order", metavar="NUMBER:YYYY-MM-DD")
    i.add_argument("--payment-order-amount", type=_amount, metavar=tr("SỐ_TIỀN"),
                   help=tr("số tiền trên Giấy rút dự toán/Ủy nhiệm chi, để đối chiếu tổng cộng"))
    i.add_argument("--sheet", help=tr("tên hoặc số thứ tự trang trong tệp"))
    i.add_argument("--map", action="append", metavar="FIELD=COLUMN",
                   help=tr("chỉ rõ cột, ví dụ amount=E hoặc \"Họ và tên=Họ tên NV\" (được ghi nhớ)"))
    i.add_argument("--forget-map", action="store_true",
                   help=tr("bỏ cách ghép cột đã ghi nhớ, nhận cột theo tiêu đề"))
    i.add_argument("--json", action="store_true", help=tr("báo cáo nhập dạng JSON"))
    i.set_defaults(func=cmd_import_salary)

    s = sub.add_parser("validate", help=tr("kiểm tra tài liệu trước khi ký"))
    s.add_argument("document")
    s.add_argument("--payment-order-amount", type=_amount, metavar=tr("SỐ_TIỀN"))
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_validate)

    s = sub.add_parser("render", help=tr("in tài liệu ra PDF theo mẫu"))
    s.add_argument("document")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--xlsx", help=tr("cũng ghi bảng ra tệp Excel (.xlsx)"))
    s.add_argument("--c02a", help=tr("cũng in bảng lương C02a-HD (bảng tính từ danh sách cán bộ)"))
    s.add_argument("--c02a-xlsx", help=tr("bảng lương C02a-HD ra tệp Excel (.xlsx)"))
    s.set_defaults(func=cmd_render)

    s = sub.add_parser("words", help=tr("đọc số tiền bằng chữ"))
    s.add_argument("amount")
    s.set_defaults(func=cmd_words)
