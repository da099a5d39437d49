"""Helpers every command module shares: output, files, secrets from the environment."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from client.errors import EXIT_USAGE, InvalidInput, Problem, TokenError, UsageError
from client.i18n import tr

ROLES = ("chief-accountant", "head-of-unit")
ROLE_VI = {"chief-accountant": "Kế toán trưởng", "head-of-unit": "Thủ trưởng đơn vị"}


def out(text: str = "") -> None:
    print(text, flush=True)


def json_out(data) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str), flush=True)


def open_home(args):
    from client.home import Home

    home = Home(args.home)
    if getattr(args, "lang", None) is None:  # no --lang: the language chosen in the settings
        _use_settings_language(home)
    return home


def _use_settings_language(home) -> None:
    from client.i18n import set_language
    from client.settings import Settings

    try:
        set_language(Settings(home).language())
    except Exception:  # noqa: BLE001 - unreadable settings: the default language still works
        set_language(None)


def open_context(args):
    from client.app import AppContext

    return AppContext(open_home(args), password_env=getattr(args, "password_env", None))


def read_file(path: str, what: str = "file") -> bytes:
    """The bytes of ``path``; ``what`` ("file", "document" or "package") names it in the
    message when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise InvalidInput(_read_problem(what, "missing", path, None)) from exc
    except OSError as exc:
        raise InvalidInput(_read_problem(what, "unreadable", path, exc.strerror)) from exc


def _read_problem(what: str, problem: str, path: str, reason: str | None) -> str:
    texts = {
        ("file", "missing"): tr("Không tìm thấy tệp «{path}».", path=path),
        ("document", "missing"): tr("Không tìm thấy tài liệu «{path}».", path=path),
        ("package", "missing"): tr("Không tìm thấy gói hồ sơ «{path}».", path=path),
        ("file", "unreadable"): tr("Không đọc được tệp «{path}»: {reason}.", path=path,
                                   reason=reason),
        ("document", "unreadable"): tr("Không đọc được tài liệu «{path}»: {reason}.", path=path,
                                       reason=reason),
        ("package", "unreadable"): tr("Không đọc được gói hồ sơ «{path}»: {reason}.",
                                      path=path, reason=reason),
    }
    return texts[(what, problem)]


def write_file(path: str, data: bytes) -> None:
    from client.signing.workflow import write_atomic

    write_atomic(Path(path), data)


def import_with_remembered_map(conn, unit_code: str, kind: str, given: dict, forget: bool, run):
    """Run an import with the column mapping the user gave (``--map``, then remembered for
    the unit and kind), or else the one remembered last time, or else the headings alone.

    ``run(mapping, source)`` returns ``(doc, report)``; ``source`` is "map" or
    "remembered". A remembered mapping that no longer fits the file (no header found)
    falls back to the headings, with a note. ``forget`` drops the remembered one.
    """
    from client.payroll.staff_repo import MappingRepo

    repo = MappingRepo(conn)
    mapping, source = given, "map"
    if not mapping and not forget:
        mapping, source = repo.get(unit_code, kind), "remembered"
    try:
        doc, report = run(mapping or None, source)
        if source == "remembered" and mapping:
            report.notes.append(tr("Dùng cách ghép cột đã ghi nhớ của đơn vị {unit} "
                                   "(--forget-map để bỏ).", unit=unit_code))
    except InvalidInput as exc:
        if source != "remembered" or not mapping or not any(
                p.code == "header-not-found" for p in exc.problems):
            raise
        doc, report = run(None, "map")
        report.notes.append(tr("Cách ghép cột đã ghi nhớ không khớp tệp này: đã nhận cột theo "
                               "tiêu đề."))
    if given:
        repo.set(unit_code, kind, given)
        report.notes.append(tr("Đã ghi nhớ cách ghép cột cho lần nhập sau của đơn vị {unit}.",
                               unit=unit_code))
    elif forget:
        repo.set(unit_code, kind, {})
    return doc, report


def write_document(home, path: str, doc: dict) -> None:
    """Write a new document.json with the total in words as the unit's settings say."""
    from client.documents import reword, serialize
    from client.settings import Settings

    write_file(path, serialize(reword(doc, **Settings(home).words_options())))


def parse_period(text: str | None) -> dict | None:
    if not text:
        return None
    try:
        year, month = (int(x) for x in text.split("-"))
        if not (2000 <= year <= 2100 and 1 <= month <= 12):
            raise ValueError
    except ValueError as exc:
        raise UsageError(tr("Kỳ lương «{text}» không đúng dạng YYYY-MM (ví dụ 2026-10).",
                            text=text)) from exc
    return {"year": year, "month": month}


def parse_payment_order(text: str | None) -> dict | None:
    if not text:
        return None
    number, sep, date = text.rpartition(":")
    if not sep or not number:
        raise UsageError(tr("--payment-order phải có dạng SỐ:YYYY-MM-DD, ví dụ "
                            "GRDT-0125:2026-10-25."))
    return {"number": number, "date": date}


def ask_pin(args, token) -> str | None:
    """The PIN from --pin-env, or asked for without echo. Never from argv."""
    if getattr(token, "protected_auth_path", False):
        out(tr("Hãy nhập PIN trên bàn phím của token «{label}».", label=token.label))
        return None
    if args.pin_env:
        from client.home import secret_from_env

        return secret_from_env(args.pin_env, pin=True)
    if not sys.stdin.isatty():
        raise TokenError(tr("Cần mã PIN của token: hãy chạy trong cửa sổ dòng lệnh để nhập PIN, "
                            "hoặc dùng --pin-env TÊN_BIẾN."), code="pin-needed")
    return getpass.getpass(tr("PIN của token «{label}»: ", label=token.label))


def ask_password(args, prompt: str) -> str:
    if args.password_env:
        from client.home import secret_from_env

        return secret_from_env(args.password_env)
    if not sys.stdin.isatty():
        raise UsageError(tr("Cần mật khẩu: hãy nhập trong cửa sổ dòng lệnh hoặc dùng "
                            "--password-env."))
    return getpass.getpass(prompt)


def print_problems(problems: list[Problem]) -> None:
    for p in problems:
        where = f" [{p.where}]" if p.where else ""
        if p.severity == "warning":
            line = tr("  - Cảnh báo{where}: {message}", where=where, message=p.message)
        else:
            line = tr("  - Lỗi{where}: {message}", where=where, message=p.message)
        print(line, file=sys.stderr)


class Parser(argparse.ArgumentParser):
    """argparse that exits 2 with a lead in the user's language on wrong usage."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        print(tr("kbnn-client: sai cú pháp: {message}", message=message), file=sys.stderr)
        raise SystemExit(EXIT_USAGE)
