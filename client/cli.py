"""``kbnn-client``: the headless front end, over the same core as the GUI.

Exit codes: 0 done; 1 invalid input, failed verification or a treasury
rejection; 2 wrong usage; 3 the treasury could not be reached (queued items
stay queued); 4 a token or PIN problem. Each area's commands live in
``client.commands``.
"""

from __future__ import annotations

import argparse
import sys

from client.commands import (
    catalogue,
    doctor,
    documents,
    gui,
    payroll,
    sandbox,
    settings,
    signing,
    training,
    treasury,
    vouchers,
)
from client.commands.common import Parser, print_problems
from client.errors import KbnnError
from client.i18n import set_language

COMMAND_MODULES = (training, sandbox, documents, payroll, catalogue, vouchers, signing, treasury,
                   doctor, settings, gui)


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="kbnn-client", description="Lập, ký số và gửi hồ sơ thanh toán tới Kho bạc Nhà nước.")
    p.add_argument("--home", help="thư mục dữ liệu (mặc định: thư mục dữ liệu người dùng, hoặc KBNN_CLIENT_HOME)")
    p.add_argument("--lang", choices=("vi", "en"), default=None, help="ngôn ngữ giao diện")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMAND_MODULES:
        module.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")
        except (AttributeError, ValueError):
            pass
    args = build_parser().parse_args(argv)
    set_language(args.lang)  # the core's texts; without --lang, open_home uses the settings
    try:
        return args.func(args)
    except KbnnError as exc:
        print(f"kbnn-client: {exc.message}", file=sys.stderr)
        print_problems(exc.problems)
        return exc.exit_code
    except KeyboardInterrupt:
        print("kbnn-client: đã hủy.", file=sys.stderr)
        return 130
