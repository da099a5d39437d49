"""``kbnn-client``: the headless front end, over the same core as the GUI.

Exit codes: 0 done; 1 invalid input, failed verification or a treasury
rejection; 2 wrong usage; 3 the treasury could not be reached (queued items
stay queued); 4 a token or PIN problem. Each area's commands live in
``client.commands``.

The language is settled before the parser is built, so that ``--help`` and the
usage errors speak it too: ``--lang`` (and ``--home``) are read first by a small
parser, else ``ui.language`` of the data folder's settings is used.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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
from client.i18n import set_language, tr

COMMAND_MODULES = (training, sandbox, documents, payroll, catalogue, vouchers, signing, treasury,
                   doctor, settings, gui)


def build_parser() -> argparse.ArgumentParser:
    """The full parser, its help texts in the current language (set it first)."""
    p = Parser(prog="kbnn-client",
               description=tr("Lập, ký số và gửi hồ sơ thanh toán tới Kho bạc Nhà nước."))
    p.add_argument("--home", help=tr("thư mục dữ liệu (mặc định: thư mục dữ liệu người dùng, "
                                     "hoặc KBNN_CLIENT_HOME)"))
    p.add_argument("--lang", choices=("vi", "en"), default=None, help=tr("ngôn ngữ giao diện"))
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for module in COMMAND_MODULES:
        module.register(sub)
    return p


class _PreParseError(Exception):
    pass


class _PreParser(argparse.ArgumentParser):
    def error(self, message: str):
        raise _PreParseError(message)


def preparse(argv: list[str] | None) -> tuple[str | None, str | None]:
    """``(--lang, --home)`` as given on the command line (``None`` when not given), read
    before the full parser exists; anything odd is left for the full parser to report."""
    pre = _PreParser(add_help=False, allow_abbrev=False)
    pre.add_argument("--lang")
    pre.add_argument("--home")
    try:
        known, _rest = pre.parse_known_args(sys.argv[1:] if argv is None else argv)
    except _PreParseError:
        return None, None
    return known.lang, known.home


def settings_language(home_dir: str | None) -> str | None:
    """``ui.language`` of the data folder's settings (presets included), read without
    creating the folder; ``None`` when it cannot be read."""
    from client.home import Home, default_home, read_presets
    from client.settings import Settings, effective_value, lookup

    try:
        path = Path(home_dir) if home_dir else default_home()
        if path.is_dir():
            return Settings(Home(path)).language()
        # no folder yet: what open_home would find is the presets
        setting = lookup("ui.language")
        raw = read_presets().get(setting.section, setting.option, fallback=None)
        return effective_value("ui.language", raw) or "vi"
    except Exception:  # noqa: BLE001 - unreadable settings: the command itself will say so
        return None


def main(argv: list[str] | None = None) -> int:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(encoding="utf-8")
        except (AttributeError, ValueError):
            pass
    lang, home = preparse(argv)
    # the core's texts and the help; open_home reads the settings' language again when the
    # command runs (without --lang)
    set_language(lang if lang is not None else settings_language(home))
    args = build_parser().parse_args(argv)
    if args.lang is not None:
        set_language(args.lang)
    try:
        return args.func(args)
    except KbnnError as exc:
        print(f"kbnn-client: {exc.message}", file=sys.stderr)
        print_problems(exc.problems)
        return exc.exit_code
    except KeyboardInterrupt:
        print(tr("kbnn-client: đã hủy."), file=sys.stderr)
        return 130
