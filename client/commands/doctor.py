"""doctor: diagnostics for treasury IT (the same checks as the GUI's diagnostics screen)."""

from __future__ import annotations

import sys

from client.commands.common import open_home, out
from client.errors import EXIT_INVALID, EXIT_OK
from client.i18n import tr


def cmd_doctor(args) -> int:
    from client.diagnostics import FAILED, run_diagnostics, save_support_bundle
    from client.home import setup_logging

    home = open_home(args)
    setup_logging(home)
    report = run_diagnostics(home, module=args.module, only=args.only or None)
    if args.json:
        out(report.to_json_text())
    else:
        out(report.to_text())
    if args.bundle:
        path = save_support_bundle(home, report, args.bundle)
        print(tr("Đã lưu gói hỗ trợ: {path}", path=path),
              file=sys.stderr if args.json else sys.stdout)
    return EXIT_INVALID if report.status == FAILED else EXIT_OK


def register(sub) -> None:
    s = sub.add_parser("doctor", help=tr("kiểm tra máy: token, chứng thư số, mạng, Kho bạc, "
                                         "dữ liệu"))
    s.add_argument("--json", action="store_true", help=tr("in báo cáo dạng JSON"))
    s.add_argument("--module", metavar="PATH", help=tr("chỉ kiểm tra thư viện PKCS#11 này"))
    s.add_argument("--bundle", metavar="FILE.zip",
                   help=tr("lưu gói hỗ trợ (báo cáo + nhật ký, đã xóa mật khẩu/PIN)"))
    s.add_argument("--only", action="append", metavar="ID", help=tr("chỉ chạy mục kiểm tra này"))
    s.set_defaults(func=cmd_doctor)
