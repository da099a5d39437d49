"""payroll, staff: the staff register and the month's salary table computed from it."""

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
    write_document,
)
from client.errors import EXIT_INVALID, EXIT_OK, UsageError
from client.i18n import tr


def _connect(args):
    from client.store.db import connect

    home = open_home(args)
    return home, connect(home.db_path)


def _month(text: str) -> tuple[int, int]:
    period = parse_period(text)
    if period is None:
        raise UsageError(tr("Cần --month YYYY-MM."))
    return period["year"], period["month"]


def _days(values: list[str] | None) -> dict[str, str]:
    """``--days CODE=N`` (repeatable) as {code: "N"}; ``CODE=`` brings back the full month."""
    out: dict[str, str] = {}
    for text in values or []:
        code, sep, days = text.partition("=")
        if not sep or not code.strip():
            raise UsageError(tr("--days cần dạng MÃ=SỐ_NGÀY (mã cán bộ hoặc số tài khoản), ví "
                                "dụ --days NV01=11; «NV01=» để trả đủ tháng."))
        out[code.strip()] = days.strip()
    return out


def _print_checks(doc: dict, conn, json_mode: bool) -> list:
    from client.documents import KIND_SALARY
    from client.documents.checks import CheckInputs, run_checks
    from client.documents.confirmations import submitted_documents

    period = f"{doc['period']['year']:04d}-{doc['period']['month']:02d}"
    problems = run_checks(doc, CheckInputs(submitted=submitted_documents(
        conn, KIND_SALARY, period)))
    if not json_mode:
        print_problems(problems)
    return problems


def cmd_payroll_compute(args) -> int:
    from client.money import format_vnd
    from client.payroll.month import compute_payroll, copy_last_month, summary_of
    from client.payroll.rules import load_rules

    home, conn = _connect(args)
    try:
        year, month = _month(args.month)
        number = args.number or f"{month:02d}/{year}-BTT"
        date = args.date or dt.date.today().isoformat()
        order = parse_payment_order(args.payment_order)
        days = _days(getattr(args, "days", None))
        if args.payroll_cmd == "copy":
            result = copy_last_month(conn, year=year, month=month, number=number, date=date,
                                     payment_order=order)
        else:
            unit = home.require_unit()
            rules = load_rules(Path(args.rules)) if args.rules else load_rules()
            result = compute_payroll(conn, year=year, month=month,
                                     unit=unit.as_document_unit(), number=number, date=date,
                                     prepared_by=unit.prepared_by, payment_order=order,
                                     rules=rules, days=days)
        doc = result.doc
        problems = _print_checks(doc, conn, args.json)
        write_document(home, args.output, doc)
        if args.json:
            data = summary_of(result)
            data["output"] = args.output
            data["problems"] = [p.to_json() for p in problems]
            if result.sheet is not None:
                data["base_salary"] = result.sheet.base_salary
                data["rules_version"] = result.sheet.rules_version
                data["standard_days"] = result.sheet.standard_days
                from client.payroll.compute import person_key

                data["days"] = {person_key(r): r.days for r in result.sheet.rows if r.days}
            json_out(data)
        else:
            out(tr("Đã tạo {output}: {people} người, tổng {total} đồng (bản nháp #{draft}).",
                   output=args.output, people=len(doc["lines"]), total=format_vnd(doc["total"]),
                   draft=result.local_id))
            if result.sheet is not None:
                out(tr("Lương cơ sở {amount} đồng ({source}).",
                       amount=format_vnd(result.sheet.base_salary),
                       source=result.sheet.base_salary_source))
                partial = [r for r in result.sheet.rows if r.days]
                if partial:
                    out(tr("Ngày hưởng lương (ngày công chuẩn {standard}): {people}.",
                           standard=result.sheet.standard_days,
                           people="; ".join(f"{r.name} {result.sheet.days_text(r)}"
                                            for r in partial)))
            if doc.get("changes"):
                out(tr("Thuyết minh thay đổi so với tháng trước (bản nháp, hãy đọc lại):"))
                out(doc["changes"]["explanation"])
        return EXIT_INVALID if any(p.severity == "error" for p in problems) else EXIT_OK
    finally:
        conn.close()


def cmd_staff_import(args) -> int:
    from client.importers.spec import parse_mapping
    from client.payroll.rules import load_rules
    from client.payroll.staff_import import read_staff, staff_spec
    from client.payroll.staff_repo import MappingRepo, StaffRepo

    rules = load_rules(Path(args.rules)) if args.rules else load_rules()
    mapping = parse_mapping(args.map, staff_spec(rules))
    home, conn = _connect(args)
    try:
        unit = home.unit()
        unit_code = unit.code if unit else ""
        if not mapping:
            mapping = MappingRepo(conn).get(unit_code, "staff")
        people, report = read_staff(Path(args.file), rules, sheet=args.sheet,
                                    mapping=mapping or None)
        changes = StaffRepo(conn).upsert_many(people, deactivate_missing=args.deactivate_missing)
        if args.map:
            MappingRepo(conn).set(unit_code, "staff", mapping)
    finally:
        conn.close()
    if args.json:
        json_out({"people": len(people), **changes, "report": report.to_json()})
        return EXIT_OK
    for note in report.notes:
        out(f"  · {note}")
    out(tr("Đã nạp {people} người từ «{file}»: thêm {added}, cập nhật {updated}, "
           "thôi trả lương {deactivated}.", people=len(people), file=args.file,
           added=len(changes["added"]), updated=len(changes["updated"]),
           deactivated=len(changes["deactivated"])))
    return EXIT_OK


def cmd_staff_list(args) -> int:
    from client.documents import PART_LABELS
    from client.money import format_vnd
    from client.payroll.rules import load_rules
    from client.payroll.staff import INSURANCE_VI
    from client.payroll.staff_repo import StaffRepo

    rules = load_rules()

    _, conn = _connect(args)
    try:
        people = StaffRepo(conn).list(active_only=not args.all)
    finally:
        conn.close()
    if args.json:
        json_out([p.to_json() for p in people])
        return EXIT_OK
    if not people:
        out(tr("Danh sách cán bộ chưa có ai: dùng «kbnn-client staff import TỆP»."))
        return EXIT_OK
    for p in people:
        items = {i.key: i for i in rules.pay_items}
        coef = ", ".join(
            f"{items[k].short if k in items else k} {v.replace('.', ',')}"
            + ("%" if k in items and items[k].kind == "percent" else "")
            for k, v in p.coefficients.items())
        amounts = ", ".join(f"{tr(PART_LABELS[k]) if k in PART_LABELS else k} {format_vnd(v)}"
                            for k, v in p.amounts.items())
        category = rules.category(p.category)
        insurance = (tr(INSURANCE_VI[p.insurance]) if p.insurance in INSURANCE_VI
                     else p.insurance)
        line = tr("{position:>4}. {name} — {account} ({bank}) — {category}; {pay}; "
                  "NPT {dependants}; bảo hiểm {insurance}", position=p.position, name=p.name,
                  account=p.account, bank=p.bank,
                  category=category.label if category else p.category,
                  pay="; ".join(x for x in (coef, amounts) if x), dependants=p.dependants,
                  insurance=insurance)
        out(line if p.active else line + " " + tr("[thôi trả lương]"))
    return EXIT_OK


def register(sub) -> None:
    from client.commands.common import Parser

    s = sub.add_parser("payroll", help=tr("tính bảng lương tháng từ danh sách cán bộ"))
    ps = s.add_subparsers(dest="payroll_cmd", required=True, parser_class=Parser)
    helps = {"compute": tr("tính lương tháng (C02a-HD) và lập Mẫu 09"),
             "copy": tr("lập bảng tháng mới từ bảng tháng trước")}
    for name, text in helps.items():
        p = ps.add_parser(name, help=text)
        p.add_argument("--month", required=True, help="YYYY-MM")
        p.add_argument("-o", "--output", required=True)
        p.add_argument("--number")
        p.add_argument("--date", help="YYYY-MM-DD")
        p.add_argument("--payment-order", metavar="NUMBER:YYYY-MM-DD")
        p.add_argument("--json", action="store_true")
        if name == "compute":
            p.add_argument("--rules", help=tr("tệp quy định tính lương (mặc định: tệp đi kèm)"))
            p.add_argument("--days", action="append", metavar="CODE=DAYS",
                           help=tr("số ngày hưởng lương trong tháng của một cán bộ (mã cán bộ "
                                   "hoặc số tài khoản), lặp lại cho nhiều người; mặc định đủ "
                                   "tháng; được giữ khi tính lại tháng này; «MÃ=» để trả đủ "
                                   "tháng"))
        p.set_defaults(func=cmd_payroll_compute)

    s = sub.add_parser("staff", help=tr("danh sách cán bộ hưởng lương"))
    ss = s.add_subparsers(dest="staff_cmd", required=True, parser_class=Parser)
    p = ss.add_parser("import", help=tr("nạp danh sách cán bộ từ Excel/CSV"))
    p.add_argument("file")
    p.add_argument("--sheet")
    p.add_argument("--map", action="append", metavar="FIELD=COLUMN")
    p.add_argument("--deactivate-missing", action="store_true",
                   help=tr("người không có trong tệp thôi được trả lương"))
    p.add_argument("--rules")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_staff_import)
    p = ss.add_parser("list", help=tr("xem danh sách cán bộ"))
    p.add_argument("--all", action="store_true", help=tr("cả người đã thôi trả lương"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_staff_list)
