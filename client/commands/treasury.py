"""login, submit, queue, status, sync, proxy: talking to the treasury through the outbox.

Exit codes (see client.cli): 0 done; 1 the treasury refused (a package or the
login); 3 the treasury could not be reached — what is queued stays queued and
leaves by itself later.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

from client.commands.common import (
    ask_password,
    json_out,
    open_context,
    open_home,
    out,
    read_file,
    write_file,
)
from client.errors import EXIT_INVALID, EXIT_OK, EXIT_UNREACHABLE, InvalidInput, KbnnError
from client.i18n import tr


def _when(text: str | None) -> str:
    """An ISO time as local ``HH:MM:SS dd/mm/yyyy`` (empty for None)."""
    if not text:
        return ""
    try:
        ts = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone()
    except ValueError:
        return text
    return ts.strftime("%H:%M:%S %d/%m/%Y")


def cmd_login(args) -> int:
    from client.app import Credentials
    from client.transport.network import client_for_home

    home = open_home(args)
    password = ask_password(args, tr("Mật khẩu của {user} (đơn vị {unit}): ", user=args.user, unit=args.unit))
    api = client_for_home(home, lambda: password, url=args.server, unit=args.unit, user=args.user)
    try:
        api.login()
        api.logout()
    finally:
        api.close()
    home.set("server", "url", args.server)
    home.set("server", "unit", args.unit)
    home.set("server", "user", args.user)
    home.save()
    if not args.password_env:
        Credentials(home).store(password)
        out(tr("Đã đăng nhập; mật khẩu được lưu trong kho khóa của hệ điều hành."))
    else:
        out(tr("Đã đăng nhập."))
    return EXIT_OK


def print_item(item, history: list[dict] | None = None) -> None:
    from client.money import format_vnd

    out(tr("#{id}  Chứng từ số {number}  ({kind})  {total} đ", id=item.local_id,
           number=item.document_number, kind=item.kind, total=format_vnd(item.total)))
    if item.waiting and item.attempts and item.next_try:
        line = tr("Hàng đợi: {state} — đã thử {attempts} lần, thử lại lúc {next_try}",
                  state=item.state_text, attempts=item.attempts, next_try=_when(item.next_try))
    elif item.waiting and item.attempts:
        line = tr("Hàng đợi: {state} — đã thử {attempts} lần", state=item.state_text,
                  attempts=item.attempts)
    else:
        line = tr("Hàng đợi: {state}", state=item.state_text)
    out("      " + line)
    if item.submission_id:
        status = item.status_text or item.treasury_status or ""
        out("      " + (tr("Kho bạc: {status} (mã hồ sơ {id}); đã có chứng từ báo Nợ", status=status,
                           id=item.submission_id) if item.has_receipt
                        else tr("Kho bạc: {status} (mã hồ sơ {id})", status=status, id=item.submission_id)))
    if item.reason:
        first, *rest = item.reason.splitlines()
        out("      " + tr("Lý do: {reason}", reason=first))
        for r in rest:
            out(f"        {r}")
    if item.last_error and item.waiting:
        out("      " + tr("Lỗi gần nhất: {error}", error=item.last_error))
    if item.waiting and item.delivery_uncertain:
        out("      " + tr("(Kho bạc có thể đã nhận — sẽ gửi lại cùng khóa, không bị trùng; không hủy được)"))
    for h in history or []:
        note = f" — {h['note']}" if h.get("note") else ""
        out(f"        {_when(h['at'])}  {h.get('status_text') or h['status']}{note}")


def flush_until(ctx, wait: float, local_id: int | None = None):
    """Send now (everything queued, whatever its next try), then keep following the
    schedule — next tries and the treasury's Retry-After — for up to ``wait`` seconds."""
    from client.store.db import parse_iso, utcnow
    from client.transport.outbox import FlushResult

    deadline = time.monotonic() + max(0.0, wait)
    force = True
    only = [local_id] if local_id is not None else None
    total = FlushResult()
    while True:
        result = ctx.outbox.flush(ctx.api(), force=force, only=only)
        force = False
        total.sent += result.sent
        total.failed += result.failed
        total.refused += result.refused
        total.errors += result.errors
        total.sent_ids += result.sent_ids
        total.refused_ids += result.refused_ids
        for name in ("waiting", "unreachable", "failure", "busy_until", "next_try", "locked"):
            setattr(total, name, getattr(result, name))
        result = total
        pending = [i for i in ctx.outbox.items(("queued", "sending"))
                   if local_id is None or i.local_id == local_id]
        left = deadline - time.monotonic()
        if not pending or left <= 0:
            return result
        nxt = result.busy_until or result.next_try
        pause = 1.0
        if nxt:
            pause = max(0.2, (parse_iso(nxt) - utcnow()).total_seconds())
        if pause > left:
            return result
        time.sleep(pause)


def _flush_exit(result) -> int:
    if result.unreachable:
        return EXIT_UNREACHABLE
    if result.refused:
        return EXIT_INVALID
    return EXIT_OK


def cmd_submit(args) -> int:
    ctx = open_context(args)
    try:
        local_id = ctx.submit_package(read_file(args.package, "package"),
                                      [Path(t) for t in args.trust or []])
        out(tr("Đã xếp hồ sơ vào hàng đợi gửi (#{id}); hồ sơ đã được lưu an toàn trên máy.", id=local_id))
        try:
            result = flush_until(ctx, args.wait or 0, local_id)
        except KbnnError as exc:
            out(tr("Chưa gửi được: {error} Hồ sơ vẫn nằm trong hàng đợi (#{id}).", error=exc.message,
                   id=local_id))
            raise
        item = ctx.outbox.get(local_id)
        if item.submission_id:
            out(tr("Đã gửi Kho bạc: mã hồ sơ {id} — {status}.", id=item.submission_id,
                   status=item.status_text or item.treasury_status))
            return EXIT_OK
        if item.state == "needs-attention":
            out(tr("Kho bạc không nhận hồ sơ: {reason}", reason=item.reason or item.last_error))
            return EXIT_INVALID
        if result.locked:
            out(tr("Một cửa sổ hoặc tiến trình khác đang gửi hàng đợi; hồ sơ sẽ được gửi cùng lượt đó."))
            return EXIT_OK
        if item.next_try:
            out(tr("Chưa gửi được, hồ sơ vẫn nằm trong hàng đợi và sẽ tự gửi lại (lúc {when}): {error}",
                   when=_when(item.next_try), error=item.last_error or ""))
        else:
            out(tr("Chưa gửi được, hồ sơ vẫn nằm trong hàng đợi và sẽ tự gửi lại: {error}",
                   error=item.last_error or ""))
        return EXIT_UNREACHABLE
    finally:
        ctx.close()


def cmd_queue(args) -> int:
    ctx = open_context(args)
    try:
        if args.queue_cmd == "flush":
            result = flush_until(ctx, args.wait or 0)
            if result.locked:
                out(tr("Một cửa sổ hoặc tiến trình khác đang gửi hàng đợi; không gửi thêm lúc này."))
                return EXIT_OK
            out(tr("Đã gửi {sent}, Kho bạc không nhận {refused}, chưa gửi được {failed}, còn chờ "
                   "{waiting}.", sent=result.sent, refused=result.refused,
                   failed=result.failed - result.refused, waiting=ctx.outbox.summary().waiting))
            for e in result.errors:
                print(f"  - {e}", file=sys.stderr)
            return _flush_exit(result)
        if args.queue_cmd == "cancel":
            item = ctx.outbox.get(args.id)
            ctx.outbox.cancel(args.id)
            out(tr("Đã hủy #{id} (chứng từ số {number}); hồ sơ sẽ không được gửi.", id=args.id,
                   number=item.document_number))
            return EXIT_OK
        if args.queue_cmd == "retry":
            item = ctx.outbox.get(args.id)
            ctx.outbox.retry(args.id)
            out(tr("Sẽ gửi lại #{id} (chứng từ số {number}, cùng khóa và cùng gói hồ sơ) ở lần gửi "
                   "tới: kbnn-client queue flush.", id=args.id, number=item.document_number))
            return EXIT_OK
        items = ctx.outbox.items()
        if args.json:
            json_out([i.to_json() for i in items])
        else:
            if not items:
                out(tr("Hàng đợi trống."))
            for i in items:
                print_item(i)
            s = ctx.outbox.summary()
            if items:
                out(tr("Chờ gửi: {waiting}; cần xử lý: {needs_attention}; đang theo dõi: {following}.",
                       waiting=s.waiting, needs_attention=s.needs_attention, following=s.following))
        return EXIT_OK
    finally:
        ctx.close()


def cmd_status(args) -> int:
    from client.transport.sync import connectivity_of

    ctx = open_context(args)
    try:
        code = EXIT_OK
        if args.refresh:
            try:
                api = ctx.api()
                result = ctx.outbox.flush(api)
                if result.unreachable:
                    code = EXIT_UNREACHABLE
                    for e in result.errors:
                        print(e, file=sys.stderr)
                else:
                    ctx.outbox.refresh(api)
            except KbnnError as exc:
                print(str(exc), file=sys.stderr)
                code = EXIT_UNREACHABLE if connectivity_of(exc) in (
                    "no-network", "treasury-down", "tls-error") else exc.exit_code
        items = ctx.outbox.items()
        if args.id:
            found = ctx.outbox.find(args.id)
            if found is None:
                raise InvalidInput(tr("Không có hồ sơ «{id}» (mã hồ sơ Kho bạc hoặc số mục).", id=args.id))
            items = [found]
            if args.save_receipt:
                data = ctx.outbox.receipt(found.local_id)
                if data is None:
                    raise InvalidInput(tr("Hồ sơ #{id} chưa có chứng từ báo Nợ (chỉ có khi Kho bạc "
                                          "đã thanh toán).", id=found.local_id))
                write_file(args.save_receipt, data)
                out(tr("Đã lưu chứng từ báo Nợ vào «{path}».", path=args.save_receipt))
        elif args.save_receipt:
            raise InvalidInput(tr("Hãy chỉ rõ hồ sơ cần lưu chứng từ báo Nợ (mã hồ sơ hoặc số mục)."))
        if args.json:
            data = [dict(i.to_json(), history=ctx.outbox.history(i.local_id)) for i in items]
            json_out(data[0] if args.id else data)
        else:
            if not items:
                out(tr("Chưa có hồ sơ nào được gửi."))
            for i in items:
                print_item(i, ctx.outbox.history(i.local_id) if args.id else None)
        return code
    finally:
        ctx.close()


def cmd_sync(args) -> int:
    from client.transport.sync import SyncService

    ctx = open_context(args)
    try:
        def notice(n) -> None:
            out(f"[{n.title}] {n.text}")

        service = SyncService(ctx.home.db_path, ctx.api, on_notice=notice,
                              interval=args.interval or 180.0)
        while True:
            report = service.run_once(force=args.force)
            if args.json:
                json_out(report.to_json())
            else:
                out(f"{_when(report.at)}  {report.status_line()}"
                    + (f"\n  {report.detail}" if report.detail else ""))
                if report.clock_warning:
                    out(f"  {report.clock_warning}")
            if not args.watch:
                return EXIT_OK if report.online else (
                    EXIT_INVALID if report.connectivity in ("login-refused", "not-configured")
                    else EXIT_UNREACHABLE)
            time.sleep(service.next_delay(report))
    finally:
        ctx.close()


def cmd_proxy(args) -> int:
    from client.transport.network import network_settings, proxy_password, store_proxy_password

    home = open_home(args)
    settings = network_settings(home)
    if args.proxy_cmd == "password":
        if settings.proxy != "manual" or not settings.proxy_user:
            raise InvalidInput(tr("Chỉ cần mật khẩu khi dùng proxy thủ công có tên đăng nhập: đặt "
                                  "[network] proxy = manual, proxy_host và proxy_user trước."))
        store_proxy_password(settings, ask_password(
            args, tr("Mật khẩu proxy của {user}: ", user=settings.proxy_user)))
        out(tr("Đã lưu mật khẩu proxy trong kho khóa của hệ điều hành."))
        return EXIT_OK
    modes = {"system": tr("Proxy: theo cấu hình của hệ điều hành"), "none": tr("Proxy: không dùng proxy"),
             "manual": tr("Proxy: proxy chỉ định")}
    out(modes.get(settings.proxy, f"Proxy: {settings.proxy}"))
    if settings.proxy == "manual":
        out("  " + tr("Địa chỉ: {host}", host=settings.proxy_host))
        if settings.proxy_user:
            if proxy_password(settings):
                out("  " + tr("Tên đăng nhập: {user} (mật khẩu trong kho khóa: có)", user=settings.proxy_user))
            else:
                out("  " + tr("Tên đăng nhập: {user} (mật khẩu trong kho khóa: CHƯA có)",
                              user=settings.proxy_user))
    out(tr("Thời gian chờ: kết nối {connect:g} giây, trả lời {read:g} giây",
           connect=settings.connect_timeout, read=settings.read_timeout))
    for p in settings.problems():
        print("  - " + tr("Lỗi: {message}", message=p), file=sys.stderr)
    return EXIT_INVALID if settings.problems() else EXIT_OK


def register(sub) -> None:
    from client.commands.common import Parser

    s = sub.add_parser("login", help=tr("đăng nhập dịch vụ công Kho bạc"))
    s.add_argument("--server", required=True)
    s.add_argument("--unit", required=True)
    s.add_argument("--user", required=True)
    s.add_argument("--password-env", metavar="VAR")
    s.set_defaults(func=cmd_login)

    s = sub.add_parser("submit", help=tr("gửi gói hồ sơ đã ký đủ tới Kho bạc"))
    s.add_argument("package")
    s.add_argument("--password-env", metavar="VAR")
    s.add_argument("--wait", type=float, default=0, metavar="SECONDS")
    s.add_argument("--trust", action="append", metavar="CA.pem")
    s.set_defaults(func=cmd_submit)

    s = sub.add_parser("queue", help=tr("hàng đợi gửi"))
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

    s = sub.add_parser("status", help=tr("trạng thái hồ sơ đã gửi"))
    s.add_argument("id", nargs="?")
    s.add_argument("--refresh", action="store_true")
    s.add_argument("--json", action="store_true")
    s.add_argument("--password-env", metavar="VAR")
    s.add_argument("--save-receipt", metavar="FILE.p7m",
                   help=tr("lưu chứng từ báo Nợ của hồ sơ đã thanh toán"))
    s.set_defaults(func=cmd_status)

    s = sub.add_parser("sync", help=tr("gửi hồ sơ đến hạn và cập nhật trạng thái từ Kho bạc"))
    s.add_argument("--watch", action="store_true", help=tr("chạy liên tục (Ctrl+C để dừng)"))
    s.add_argument("--interval", type=float, default=180.0, metavar="SECONDS")
    s.add_argument("--force", action="store_true", help=tr("gửi cả hồ sơ chưa đến giờ thử lại"))
    s.add_argument("--json", action="store_true")
    s.add_argument("--password-env", metavar="VAR")
    s.set_defaults(func=cmd_sync)

    s = sub.add_parser("proxy", help=tr("proxy dùng để kết nối Kho bạc"))
    ps = s.add_subparsers(dest="proxy_cmd", required=True, parser_class=Parser)
    ps.add_parser("show")
    p = ps.add_parser("password", help=tr("lưu mật khẩu proxy vào kho khóa của hệ điều hành"))
    p.add_argument("--password-env", metavar="VAR")
    s.set_defaults(func=cmd_proxy)
