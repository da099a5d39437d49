"""import vouchers, vouchers advances|summary: payment voucher lists (Mẫu 07)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from client.commands.common import (
    import_with_remembered_map,
    json_out,
    open_home,
    out,
    parse_payment_order,
    print_problems,
    read_file,
    write_document,
)
from client.errors import EXIT_INVALID, EXIT_OK, InvalidInput, UsageError
from client.i18n import tr


def _order_lines(items: list[str] | None) -> list[dict] | None:
    from client.money import parse_vnd

    if not items:
        return None
    lines = []
    for item in items:
        code, sep, amount = item.partition("=")
        try:
            if not sep:
                raise ValueError
            lines.append({"ndkt": code.strip(), "amount": parse_vnd(amount)})
        except ValueError as exc:
            raise UsageError(tr("--order-line «{item}» phải có dạng MÃ_NDKT=SỐ_TIỀN, "
                                "ví dụ 6501=1.200.000.", item=item)) from exc
    return lines


def _others(home) -> list[dict]:
    """Every voucher list stored in this home (for duplicates and advances)."""
    from client.documents import KIND_VOUCHERS
    from client.documents.confirmations import other_documents
    from client.store.db import connect

    if not home.db_path.exists():
        return []
    conn = connect(home.db_path)
    try:
        return other_documents(conn, KIND_VOUCHERS)
    finally:
        conn.close()


def cmd_import_vouchers(args) -> int:
    from client import documents
    from client.catalogue import load
    from client.documents.checks import CheckInputs, errors, run_checks
    from client.money import format_vnd
    from client.vouchers import subtotals
    from client.vouchers.importer import import_vouchers_report, voucher_mapping

    home = open_home(args)
    unit = home.require_unit()
    today = dt.date.today()
    order = parse_payment_order(args.payment_order)
    lines = _order_lines(args.order_line)
    if lines is not None:
        if order is None:
            raise UsageError(tr("--order-line cần đi cùng --payment-order SỐ:YYYY-MM-DD."))
        order["lines"] = lines
    settles = [{"number": n} for n in args.settles or []]
    if settles and args.purpose != "payment":
        raise UsageError(tr("--settles chỉ dùng cho bảng kê thanh toán (--purpose payment)."))
    prefix = "TU" if args.purpose == "advance" else "BK"
    doc_date = args.date or today.isoformat()
    number = args.number or f"{prefix}-{doc_date[5:7]}/{doc_date[:4]}"
    budget = {"chapter": args.chapter, "sector": args.sector, "source": args.source,
              "program": args.program}
    from client.documents import KIND_VOUCHERS
    from client.store.db import connect

    conn = connect(home.db_path)
    try:
        doc, report = import_with_remembered_map(
            conn, unit.code, KIND_VOUCHERS, voucher_mapping(args.map), args.forget_map,
            lambda mapping, source: import_vouchers_report(
                Path(args.file), unit=unit.as_document_unit(), number=number,
                date=doc_date, purpose=args.purpose, budget=budget,
                prepared_by=unit.prepared_by, payment_order=order, settles=settles,
                sheet=args.sheet, mapping=mapping, mapping_source=source))
    finally:
        conn.close()
    invalid = errors(documents.validate(doc))
    if invalid:
        raise InvalidInput(tr("Bảng kê từ «{file}» chưa hợp lệ.", file=args.file), invalid)
    catalogue = load(home.path)
    problems = run_checks(doc, CheckInputs(source_rows=report.source_rows,
                                           source_name=report.file, others=_others(home),
                                           catalogue=catalogue))
    write_document(home, args.output, doc)
    if args.json:
        json_out({"output": args.output, "catalogue": catalogue.version,
                  "lines": len(doc["lines"]), "total": doc["total"], "subtotals": subtotals(doc),
                  "import": report.to_json(), "problems": [p.to_json() for p in problems]})
    else:
        for note in report.notes:
            out(note)
        out(tr("Đã tạo {output}: {vouchers} chứng từ, tổng {total} đồng (danh mục NDKT "
               "phiên bản {version}).", output=args.output, vouchers=len(doc["lines"]),
               total=format_vnd(doc["total"]), version=catalogue.version))
        for s in subtotals(doc):
            name = catalogue.name(s["ndkt"]) or tr("không có trong danh mục")
            out(f"  {s['ndkt']}  {format_vnd(s['amount']):>15}  {name}")
        print_problems(problems)
    bad = errors(problems)
    if bad:
        out(tr("Còn {errors} lỗi phải sửa trước khi ký.", errors=len(bad)))
        return EXIT_INVALID
    return EXIT_OK


def cmd_vouchers(args) -> int:
    from client.money import format_vnd
    from client.vouchers import unsettled_advances

    home = open_home(args)
    if args.vouchers_cmd == "advances":
        today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
        items = unsettled_advances(_others(home), today)
        if args.json:
            json_out(items)
            return EXIT_OK
        if not items:
            out(tr("Không có khoản tạm ứng nào chưa thanh toán."))
        for a in items:
            fields = {"number": a["number"], "date": a["date"], "total": format_vnd(a["total"]),
                      "due": a["due"]}
            if a["overdue"]:
                out(tr("  Tạm ứng số {number} ngày {date}: {total} đồng — hạn thanh toán {due} "
                       "(QUÁ HẠN {days} ngày)", days=-a["days_left"], **fields))
            else:
                out(tr("  Tạm ứng số {number} ngày {date}: {total} đồng — hạn thanh toán {due} "
                       "(còn {days} ngày)", days=a["days_left"], **fields))
        return EXIT_OK
    from client import documents
    from client.catalogue import load
    from client.vouchers import order_lines, subtotals

    doc = documents.parse(read_file(args.document, "document"))
    catalogue = load(home.path)
    rows = subtotals(doc)
    ordered = {ol.get("ndkt"): ol.get("amount") for ol in order_lines(doc) or []}
    if args.json:
        json_out({"catalogue": catalogue.version, "subtotals": rows,
                  "payment_order_lines": order_lines(doc)})
        return EXIT_OK
    out(tr("Các dòng Giấy rút dự toán theo bảng kê (danh mục NDKT phiên bản {version}):",
           version=catalogue.version))
    for s in rows:
        extra = ""
        if ordered:
            have = ordered.get(s["ndkt"])
            extra = ("  " + tr("GRDT: không có") if have is None else
                     "  " + tr("GRDT: {amount}", amount=format_vnd(have))
                     + ("" if have == s["amount"] else "  ≠"))
        out(f"  {s['ndkt']}  {format_vnd(s['amount']):>15}  {catalogue.name(s['ndkt'])}{extra}")
    out("  " + tr("Tổng cộng {total} đồng", total=format_vnd(doc.get("total"))))
    return EXIT_OK


def _import_subparsers(sub) -> argparse._SubParsersAction:
    """The ``import`` command's sub-commands (registered by ``commands.documents``)."""
    parser = sub.choices["import"]
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def register(sub) -> None:
    from client.commands.common import Parser

    i = _import_subparsers(sub).add_parser(
        "vouchers", help=tr("Bảng kê nội dung thanh toán/tạm ứng (Mẫu 07) từ Excel/CSV"))
    i.add_argument("file")
    i.add_argument("-o", "--output", required=True)
    i.add_argument("--purpose", choices=("payment", "advance"), default="payment")
    i.add_argument("--chapter", help=tr("mã chương (3 chữ số)"))
    i.add_argument("--sector", help=tr("mã ngành kinh tế/khoản (3 chữ số)"))
    i.add_argument("--source", help=tr("mã nguồn NSNN (2 chữ số)"))
    i.add_argument("--program", help=tr("mã CTMT, dự án (5 chữ số, mặc định 00000)"))
    i.add_argument("--sheet", help=tr("tên trang tính"))
    i.add_argument("--map", action="append", metavar=tr("TRƯỜNG=CỘT"),
                   help=tr("chỉ rõ cột, ví dụ amount=E (được ghi nhớ cho lần nhập sau)"))
    i.add_argument("--forget-map", action="store_true",
                   help=tr("bỏ cách ghép cột đã ghi nhớ, nhận cột theo tiêu đề"))
    i.add_argument("--number")
    i.add_argument("--date", help="YYYY-MM-DD")
    i.add_argument("--payment-order", metavar="NUMBER:YYYY-MM-DD")
    i.add_argument("--order-line", action="append", metavar=tr("NDKT=SỐ_TIỀN"),
                   help=tr("một dòng của Giấy rút dự toán (lặp lại cho mỗi mã NDKT)"))
    i.add_argument("--settles", action="append", metavar=tr("SỐ_BẢNG_KÊ_TẠM_ỨNG"),
                   help=tr("bảng kê tạm ứng mà bảng thanh toán này thanh toán"))
    i.add_argument("--json", action="store_true")
    i.set_defaults(func=cmd_import_vouchers)

    s = sub.add_parser("vouchers", help=tr("bảng kê thanh toán/tạm ứng: tạm ứng chưa thanh toán, "
                                           "tổng hợp theo mã NDKT"))
    vs = s.add_subparsers(dest="vouchers_cmd", required=True, parser_class=Parser)
    v = vs.add_parser("advances", help=tr("các khoản tạm ứng chưa thanh toán và hạn thanh toán"))
    v.add_argument("--today", help=tr("YYYY-MM-DD (mặc định hôm nay)"))
    v.add_argument("--json", action="store_true")
    v = vs.add_parser("summary", help=tr("các dòng Giấy rút dự toán (cộng theo mã NDKT)"))
    v.add_argument("document")
    v.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_vouchers)
