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


def cmd_backup(args) -> int:
    from client.backup import create_backup

    info = create_backup(open_home(args), args.file)
    if args.json:
        json_out(info.to_json())
    else:
        out(f"Đã sao lưu {info.documents} hồ sơ, {info.outbox} mục hàng đợi "
            f"({info.db_bytes / 1024 / 1024:.1f} MB) vào {info.path}")
    return EXIT_OK


def cmd_restore(args) -> int:
    from client.backup import restore_backup

    info = restore_backup(open_home(args), args.file)
    if args.json:
        json_out(info.to_json())
    else:
        out(f"Đã khôi phục {info.documents} hồ sơ, {info.outbox} mục hàng đợi"
            + (f" (bản sao lưu lúc {info.created_at})" if info.created_at else "") + ".")
        for p in info.previous:
            out(f"  Dữ liệu cũ được giữ lại: {p}")
    return EXIT_OK


def register(sub) -> None:
    s = sub.add_parser("settings", help="xem và thay đổi cài đặt")
    ss = s.add_subparsers(dest="settings_cmd", required=True)
    p = ss.add_parser("show", help="liệt kê các mục cài đặt")
    p.add_argument("--json", action="store_true")
    p = ss.add_parser("set", help="đặt một mục, ví dụ: settings set words.zero_tens lẻ")
    p.add_argument("key")
    p.add_argument("value")
    p = ss.add_parser("unset", help="xóa một mục (trở về mặc định)")
    p.add_argument("key")
    s.set_defaults(func=cmd_settings)

    s = sub.add_parser("backup", help="sao lưu dữ liệu (cơ sở dữ liệu + cài đặt) vào tệp .zip")
    s.add_argument("file", metavar="FILE.zip")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_backup)

    s = sub.add_parser("restore", help="khôi phục dữ liệu từ tệp sao lưu .zip (đóng ứng dụng trước)")
    s.add_argument("file", metavar="FILE.zip")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_restore)
