"""settings, backup, restore: the profile's settings and its data folder."""

from __future__ import annotations

from client.commands.common import json_out, open_home, out
from client.errors import EXIT_OK

_SOURCE_VI = {"user": "", "preset": " (cài sẵn)", "default": " (mặc định)", "unset": ""}


def cmd_settings(args) -> int:
    from client.settings import Settings, lookup

    settings = Settings(open_home(args))
    if args.settings_cmd == "set":
        stored = settings.update({args.key: args.value})[lookup(args.key).key]
        out(f"Đã lưu {lookup(args.key).key} = {stored}")
        return EXIT_OK
    if args.settings_cmd == "proxy-password":
        from client.commands.common import ask_password

        settings.set_proxy_password(ask_password(args, "Mật khẩu proxy: "))
        out("Đã lưu mật khẩu proxy trong kho khóa của hệ điều hành.")
        return EXIT_OK
    if args.settings_cmd == "unset":
        settings.update({args.key: None})
        out(f"Đã xóa {lookup(args.key).key}")
        return EXIT_OK
    values = settings.values()
    if args.json:
        json_out([v.to_json() for v in values])
        return EXIT_OK
    width = max(len(v.setting.key) for v in values)
    for v in values:
        shown = v.value if v.value is not None else "(chưa đặt)"
        out(f"{v.setting.key:<{width}}  {shown}{_SOURCE_VI[v.source]}")
        out(f"{'':<{width}}  ↳ {v.setting.label}")
    return EXIT_OK


def _progress_printer(verb: str):
    """A progress callback printing "verb… 42%" on a terminal's stderr (None elsewhere)."""
    import sys

    if not sys.stderr.isatty():
        return None
    names = {"copy": "chép dữ liệu", "check": "kiểm tra", "write": "ghi tệp", "read": "đọc tệp",
             "replace": "thay dữ liệu"}

    def show(phase: str, done: int, total: int) -> None:
        pct = f" {done * 100 // total}%" if total > 1 else ""
        end = "\n" if phase == "replace" or (phase == "write" and done >= total) else ""
        print(f"\r{verb}: {names.get(phase, phase)}{pct}   ", end=end, file=sys.stderr, flush=True)

    return show


def cmd_backup(args) -> int:
    from client.backup import create_backup

    info = create_backup(open_home(args), args.file, progress=_progress_printer("Đang sao lưu"))
    if args.json:
        json_out(info.to_json())
    else:
        out(f"Đã sao lưu {info.documents} hồ sơ, {info.outbox} mục hàng đợi "
            f"({info.db_bytes / 1024 / 1024:.1f} MB) vào {info.path}")
    return EXIT_OK


def cmd_restore(args) -> int:
    from client.backup import restore_backup

    info = restore_backup(open_home(args), args.file, progress=_progress_printer("Đang khôi phục"))
    if args.json:
        json_out(info.to_json())
    else:
        out(f"Đã khôi phục {info.documents} hồ sơ, {info.outbox} mục hàng đợi"
            + (f" (bản sao lưu lúc {info.created_at})" if info.created_at else "") + ".")
        for p in info.previous:
            out(f"  Dữ liệu cũ được giữ lại: {p}")
    return EXIT_OK


def cmd_setup(args) -> int:
    """First-run setup without a window (treasury IT): server, unit, login, tokens; then the
    "ready / not ready" list. Exit 0 when ready (warnings allowed), 1 when not."""
    from client.commands.common import ask_password
    from client.errors import EXIT_INVALID
    from client.firstrun import FirstRun

    home = open_home(args)
    fr = FirstRun(home)
    fr.check_server(args.server, args.ca_file)
    fr.check_unit()
    user = args.user or home.get("server", "user")
    password = None
    if user and fr.results["server"].ready:
        password = ask_password(args, f"Mật khẩu dịch vụ công Kho bạc của {user}: ")
        # as with `login`: a password given through the environment is not kept in the keyring
        fr.login(user, password, args.unit, remember=not args.password_env)
    if fr.results.get("login") and fr.results["login"].ready:
        fr.check_signers(args.module, password=password)
    if args.json:
        json_out({"ready": fr.ready, "steps": [r.to_json() for r in fr.summary()]})
    else:
        out(fr.summary_text().rstrip())
    return EXIT_OK if fr.ready else EXIT_INVALID


def register(sub) -> None:
    s = sub.add_parser("setup", help="thiết lập ban đầu không cần cửa sổ: máy chủ, đăng nhập, "
                       "token; in danh sách những gì đã sẵn sàng")
    s.add_argument("--server", metavar="URL", help="địa chỉ máy chủ Kho bạc (mặc định: đã lưu "
                   "hoặc cài sẵn)")
    s.add_argument("--ca-file", metavar="CA.pem", help="tệp chứng chỉ CA của Kho bạc (nếu có)")
    s.add_argument("--unit", metavar="MÃ", help="mã đơn vị đăng nhập (mặc định: mã đơn vị đã khai)")
    s.add_argument("--user", metavar="TÊN", help="tên đăng nhập dịch vụ công Kho bạc")
    s.add_argument("--password-env", metavar="BIẾN", help="đọc mật khẩu từ biến môi trường này")
    s.add_argument("--module", metavar="PATH", help="thư viện PKCS#11 của token")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_setup)

    s = sub.add_parser("settings", help="xem và thay đổi cài đặt")
    ss = s.add_subparsers(dest="settings_cmd", required=True)
    p = ss.add_parser("show", help="liệt kê các mục cài đặt")
    p.add_argument("--json", action="store_true")
    p = ss.add_parser("set", help="đặt một mục, ví dụ: settings set words.zero_tens lẻ")
    p.add_argument("key")
    p.add_argument("value")
    p = ss.add_parser("unset", help="xóa một mục (trở về mặc định)")
    p.add_argument("key")
    p = ss.add_parser("proxy-password", help="lưu mật khẩu proxy vào kho khóa của hệ điều hành")
    p.add_argument("--password-env", metavar="BIẾN", help="đọc mật khẩu từ biến môi trường này")
    s.set_defaults(func=cmd_settings)

    s = sub.add_parser("backup", help="sao lưu dữ liệu (cơ sở dữ liệu + cài đặt) vào tệp .zip")
    s.add_argument("file", metavar="FILE.zip")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_backup)

    s = sub.add_parser("restore", help="khôi phục dữ liệu từ tệp sao lưu .zip (đóng ứng dụng trước)")
    s.add_argument("file", metavar="FILE.zip")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_restore)
