"""settings, backup, restore: the profile's settings and its data folder."""

from __future__ import annotations

from client.commands.common import json_out, open_home, out
from client.errors import EXIT_OK
from client.i18n import tr


def cmd_settings(args) -> int:
    from client.settings import Settings, lookup

    settings = Settings(open_home(args))
    if args.settings_cmd == "set":
        stored = settings.update({args.key: args.value})[lookup(args.key).key]
        out(tr("Đã lưu {key} = {value}", key=lookup(args.key).key, value=stored))
        return EXIT_OK
    if args.settings_cmd == "proxy-password":
        from client.commands.common import ask_password

        settings.set_proxy_password(ask_password(args, tr("Mật khẩu proxy: ")))
        out(tr("Đã lưu mật khẩu proxy trong kho khóa của hệ điều hành."))
        return EXIT_OK
    if args.settings_cmd == "unset":
        settings.update({args.key: None})
        out(tr("Đã xóa {key}", key=lookup(args.key).key))
        return EXIT_OK
    values = settings.values()
    if args.json:
        json_out([v.to_json() for v in values])
        return EXIT_OK
    width = max(len(v.setting.key) for v in values)
    for v in values:
        key = f"{v.setting.key:<{width}}"
        shown = v.value if v.value is not None else tr("(chưa đặt)")
        if v.source == "preset":
            out(tr("{key}  {value} (cài sẵn)", key=key, value=shown))
        elif v.source == "default":
            out(tr("{key}  {value} (mặc định)", key=key, value=shown))
        else:
            out(f"{key}  {shown}")
        out(f"{'':<{width}}  ↳ {v.setting.label}")
    return EXIT_OK


def _progress_printer(verb: str):
    """A progress callback printing "verb… 42%" on a terminal's stderr (None elsewhere)."""
    import sys

    if not sys.stderr.isatty():
        return None
    names = {"copy": tr("chép dữ liệu"), "check": tr("kiểm tra"), "write": tr("ghi tệp"),
             "read": tr("đọc tệp"), "replace": tr("thay dữ liệu")}

    def show(phase: str, done: int, total: int) -> None:
        pct = f" {done * 100 // total}%" if total > 1 else ""
        end = "\n" if phase == "replace" or (phase == "write" and done >= total) else ""
        print(f"\r{verb}: {names.get(phase, phase)}{pct}   ", end=end, file=sys.stderr, flush=True)

    return show


def cmd_backup(args) -> int:
    from client.backup import create_backup

    info = create_backup(open_home(args), args.file, progress=_progress_printer(tr("Đang sao lưu")))
    if args.json:
        json_out(info.to_json())
    else:
        out(tr("Đã sao lưu {documents} hồ sơ, {outbox} mục hàng đợi ({mb:.1f} MB) vào {path}",
               documents=info.documents, outbox=info.outbox, mb=info.db_bytes / 1024 / 1024,
               path=info.path))
    return EXIT_OK


def cmd_restore(args) -> int:
    from client.backup import restore_backup

    info = restore_backup(open_home(args), args.file, progress=_progress_printer(tr("Đang khôi phục")))
    if args.json:
        json_out(info.to_json())
    else:
        if info.created_at:
            out(tr("Đã khôi phục {documents} hồ sơ, {outbox} mục hàng đợi (bản sao lưu lúc "
                   "{created}).", documents=info.documents, outbox=info.outbox,
                   created=info.created_at))
        else:
            out(tr("Đã khôi phục {documents} hồ sơ, {outbox} mục hàng đợi.",
                   documents=info.documents, outbox=info.outbox))
        for p in info.previous:
            out(tr("  Dữ liệu cũ được giữ lại: {path}", path=p))
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
        password = ask_password(args, tr("Mật khẩu dịch vụ công Kho bạc của {user}: ", user=user))
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
    s = sub.add_parser("setup", help=tr("thiết lập ban đầu không cần cửa sổ: máy chủ, đăng nhập, "
                                        "token; in danh sách những gì đã sẵn sàng"))
    s.add_argument("--server", metavar="URL", help=tr("địa chỉ máy chủ Kho bạc (mặc định: đã lưu "
                                                      "hoặc cài sẵn)"))
    s.add_argument("--ca-file", metavar="CA.pem", help=tr("tệp chứng chỉ CA của Kho bạc (nếu có)"))
    s.add_argument("--unit", metavar=tr("MÃ"),
                   help=tr("mã đơn vị đăng nhập (mặc định: mã đơn vị đã khai)"))
    s.add_argument("--user", metavar=tr("TÊN"), help=tr("tên đăng nhập dịch vụ công Kho bạc"))
    s.add_argument("--password-env", metavar=tr("BIẾN"),
                   help=tr("đọc mật khẩu từ biến môi trường này"))
    s.add_argument("--module", metavar="PATH", help=tr("thư viện PKCS#11 của token"))
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_setup)

    s = sub.add_parser("settings", help=tr("xem và thay đổi cài đặt"))
    ss = s.add_subparsers(dest="settings_cmd", required=True)
    p = ss.add_parser("show", help=tr("liệt kê các mục cài đặt"))
    p.add_argument("--json", action="store_true")
    p = ss.add_parser("set", help=tr("đặt một mục, ví dụ: settings set words.zero_tens lẻ"))
    p.add_argument("key")
    p.add_argument("value")
    p = ss.add_parser("unset", help=tr("xóa một mục (trở về mặc định)"))
    p.add_argument("key")
    p = ss.add_parser("proxy-password", help=tr("lưu mật khẩu proxy vào kho khóa của hệ điều hành"))
    p.add_argument("--password-env", metavar=tr("BIẾN"),
                   help=tr("đọc mật khẩu từ biến môi trường này"))
    s.set_defaults(func=cmd_settings)

    s = sub.add_parser("backup", help=tr("sao lưu dữ liệu (cơ sở dữ liệu + cài đặt) vào tệp .zip"))
    s.add_argument("file", metavar="FILE.zip")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_backup)

    s = sub.add_parser("restore", help=tr("khôi phục dữ liệu từ tệp sao lưu .zip (đóng "
                                          "ứng dụng trước)"))
    s.add_argument("file", metavar="FILE.zip")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_restore)
