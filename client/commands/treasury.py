"""login, submit, queue, status: talking to the treasury through the outbox."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from client.commands.common import ask_password, json_out, open_context, open_home, out, read_file
from client.errors import EXIT_INVALID, EXIT_OK, EXIT_UNREACHABLE, InvalidInput, KbnnError


def cmd_login(args) -> int:
    from client.app import Credentials
    from client.transport.api import TreasuryClient

    home = open_home(args)
    password = ask_password(args, f"Mật khẩu của {args.user} (đơn vị {args.unit}): ")
    api = TreasuryClient(args.server, unit_code=args.unit, username=args.user,
                         password=lambda: password, ca_file=home.get("server", "ca_file"))
    api.login()
    home.set("server", "url", args.server)
    home.set("server", "unit", args.unit)
    home.set("server", "user", args.user)
    home.save()
    if not args.password_env:
        Credentials(home).store(password)
        out("Đã đăng nhập; mật khẩu được lưu trong kho khóa của hệ điều hành.")
    else:
        out("Đã đăng nhập.")
    return EXIT_OK


def print_item(item) -> None:
    from client.money import format_vnd

    status = item.status_text or item.treasury_status or ""
    out(f"#{item.local_id}  {item.document_number:<20} {format_vnd(item.total):>16} đ  "
        f"{item.state:<16} {status}  {item.submission_id or ''}"
        + (f"\n      Lý do: {item.reason}" if item.reason else "")
        + (f"\n      Lỗi gần nhất: {item.last_error} (lần thử {item.attempts}, thử lại lúc {item.next_try})"
           if item.last_error and item.state == "queued" else ""))


def flush_until(ctx, wait: float, local_id: int | None = None):
    """Flush now, and keep trying for up to ``wait`` seconds while something stays queued."""
    deadline = time.monotonic() + max(0.0, wait)
    while True:
        result = ctx.flush(force=True)
        pending = [i for i in ctx.outbox.items() if i.state == "queued"
                   and (local_id is None or i.local_id == local_id)]
        if not pending or time.monotonic() >= deadline:
            return result
        time.sleep(min(2.0, max(0.1, deadline - time.monotonic())))


def cmd_submit(args) -> int:
    ctx = open_context(args)
    try:
        local_id = ctx.submit_package(read_file(args.package, "gói hồ sơ"),
                                      [Path(t) for t in args.trust or []])
        out(f"Đã xếp hồ sơ vào hàng đợi (#{local_id}).")
        result = flush_until(ctx, args.wait or 0, local_id)
        item = ctx.outbox.get(local_id)
        if item.submission_id:
            out(f"Đã gửi Kho bạc: mã hồ sơ {item.submission_id} — {item.status_text or item.treasury_status}.")
            return EXIT_OK
        if item.state == "needs-attention":
            out(f"Kho bạc không nhận hồ sơ: {item.reason or item.last_error}")
            return EXIT_INVALID
        out(f"Chưa gửi được, hồ sơ vẫn nằm trong hàng đợi và sẽ tự gửi lại: {item.last_error or ''}")
        return EXIT_UNREACHABLE if result.unreachable else EXIT_INVALID
    finally:
        ctx.close()


def cmd_queue(args) -> int:
    ctx = open_context(args)
    try:
        if args.queue_cmd == "flush":
            result = flush_until(ctx, args.wait or 0)
            out(f"Đã gửi {result.sent}, lỗi {result.failed}, còn chờ {result.waiting}.")
            return EXIT_UNREACHABLE if result.unreachable else EXIT_OK
        if args.queue_cmd == "cancel":
            ctx.outbox.cancel(args.id)
            out(f"Đã hủy #{args.id}.")
            return EXIT_OK
        if args.queue_cmd == "retry":
            ctx.outbox.retry(args.id)
            out(f"Sẽ gửi lại #{args.id}.")
            return EXIT_OK
        items = ctx.outbox.items()
        if args.json:
            json_out([i.to_json() for i in items])
        else:
            if not items:
                out("Hàng đợi trống.")
            for i in items:
                print_item(i)
        return EXIT_OK
    finally:
        ctx.close()


def cmd_status(args) -> int:
    ctx = open_context(args)
    try:
        code = EXIT_OK
        if args.refresh:
            try:
                ctx.flush()
                ctx.refresh()
            except KbnnError as exc:
                print(str(exc), file=sys.stderr)
                code = exc.exit_code
        items = ctx.outbox.items()
        if args.id:
            items = [i for i in items if args.id in (i.submission_id, str(i.local_id))]
            if not items:
                raise InvalidInput(f"Không có hồ sơ «{args.id}».")
        if args.json:
            data = [dict(i.to_json(), history=ctx.outbox.history(i.local_id)) for i in items]
            json_out(data[0] if args.id else data)
        else:
            for i in items:
                print_item(i)
        return code
    finally:
        ctx.close()


def register(sub) -> None:
    from client.commands.common import Parser

    s = sub.add_parser("login", help="đăng nhập dịch vụ công Kho bạc")
    s.add_argument("--server", required=True)
    s.add_argument("--unit", required=True)
    s.add_argument("--user", required=True)
    s.add_argument("--password-env", metavar="VAR")
    s.set_defaults(func=cmd_login)

    s = sub.add_parser("submit", help="gửi gói hồ sơ đã ký đủ tới Kho bạc")
    s.add_argument("package")
    s.add_argument("--password-env", metavar="VAR")
    s.add_argument("--wait", type=float, default=0, metavar="SECONDS")
    s.add_argument("--trust", action="append", metavar="CA.pem")
    s.set_defaults(func=cmd_submit)

    s = sub.add_parser("queue", help="hàng đợi gửi")
    qs = s.add_subparsers(dest="queue_cmd", required=True, parser_class=Parser)
    q = qs.add_parser("list")
    q.add_argument("--json", action="store_true")
    q = qs.add_parser("flush")
    q.add_argument("--wait", type=float, default=0, metavar="SECONDS")
    q.add_argument("--password-env", metavar="VAR")
    q = qs.add_parser("retry")
    q.add_argument("id", type=int)
    q = qs.add_parser("cancel")
    q.add_argument("id", type=int)
    s.set_defaults(func=cmd_queue)

    s = sub.add_parser("status", help="trạng thái hồ sơ đã gửi")
    s.add_argument("id", nargs="?")
    s.add_argument("--refresh", action="store_true")
    s.add_argument("--json", action="store_true")
    s.add_argument("--password-env", metavar="VAR")
    s.set_defaults(func=cmd_status)
