"""unit, import, render, words: preparing documents."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from client.commands.common import (
    json_out,
    open_home,
    out,
    parse_payment_order,
    parse_period,
    print_problems,
    read_file,
    write_file,
)
from client.errors import EXIT_OK, InvalidInput, UsageError


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
        out(f"Đã lưu thông tin đơn vị {unit.code} — {unit.name}.")
        return EXIT_OK
    unit = home.require_unit()
    if args.json:
        json_out(vars(unit))
    else:
        kind = "dự toán" if unit.account_kind == "estimate" else "tiền gửi"
        out(f"Mã đơn vị:     {unit.code}\nTên đơn vị:    {unit.name}\nKBNN:          {unit.treasury}\n"
            f"Tài khoản:     {unit.account} ({kind})\nNgười lập:     {unit.prepared_by}")
    return EXIT_OK


def cmd_import_salary(args) -> int:
    from client import documents
    from client.importers.salary import import_salary
    from client.money import format_vnd

    unit = open_home(args).require_unit()
    today = dt.date.today()
    period = parse_period(args.period) or {"year": today.year, "month": today.month}
    number = args.number or f"{period['month']:02d}/{period['year']}-BTT"
    doc = import_salary(Path(args.file), unit=unit.as_document_unit(), number=number,
                        date=args.date or today.isoformat(), period=period,
                        prepared_by=unit.prepared_by, payment_order=parse_payment_order(args.payment_order))
    problems = documents.validate(doc)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise InvalidInput(f"Bảng lương từ «{args.file}» chưa hợp lệ.", errors)
    print_problems(problems)
    write_file(args.output, documents.serialize(doc))
    out(f"Đã tạo {args.output}: {len(doc['lines'])} người, tổng {format_vnd(doc['total'])} đồng.")
    return EXIT_OK


def cmd_render(args) -> int:
    from client import documents
    from client.render import render_pdf

    doc = documents.parse(read_file(args.document, "tài liệu"))
    errors = [p for p in documents.validate(doc) if p.severity == "error"]
    if errors:
        raise InvalidInput(f"Tài liệu «{args.document}» chưa hợp lệ.", errors)
    write_file(args.output, render_pdf(doc))
    out(f"Đã in ra {args.output}.")
    return EXIT_OK


def cmd_words(args) -> int:
    from client.money import amount_in_words, parse_vnd

    try:
        amount = parse_vnd(args.amount)
    except ValueError as exc:
        raise UsageError(f"«{args.amount}» không phải là số tiền (số nguyên đồng).") from exc
    out(amount_in_words(amount))
    return EXIT_OK


def register(sub) -> None:
    from client.commands.common import Parser

    s = sub.add_parser("unit", help="thông tin đơn vị dùng trên các bảng kê")
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

    s = sub.add_parser("import", help="nhập bảng lương từ Excel/CSV")
    isub = s.add_subparsers(dest="import_kind", required=True, parser_class=Parser)
    i = isub.add_parser("salary", help="Bảng thanh toán cho đối tượng thụ hưởng (Mẫu 09)")
    i.add_argument("file")
    i.add_argument("-o", "--output", required=True)
    i.add_argument("--period", help="YYYY-MM")
    i.add_argument("--number")
    i.add_argument("--date", help="YYYY-MM-DD")
    i.add_argument("--payment-order", metavar="NUMBER:YYYY-MM-DD")
    i.set_defaults(func=cmd_import_salary)

    s = sub.add_parser("render", help="in tài liệu ra PDF theo mẫu")
    s.add_argument("document")
    s.add_argument("-o", "--output", required=True)
    s.set_defaults(func=cmd_render)

    s = sub.add_parser("words", help="đọc số tiền bằng chữ")
    s.add_argument("amount")
    s.set_defaults(func=cmd_words)
