"""catalogue import|show: the NDKT catalogue (Mục lục ngân sách) the client uses."""

from __future__ import annotations

from pathlib import Path

from client.commands.common import json_out, open_home, out
from client.errors import EXIT_OK

STATUS_VI = {"checked": "đã đối chiếu", "unverified": "chưa đối chiếu", "official": "chính thức"}


def _describe(cat) -> str:
    d = cat.describe()
    return (f"Danh mục NDKT phiên bản {d['version']} ({d['source']}): {d['codes']} mã, "
            f"{d['tieu_muc']} tiểu mục, {d['checked']} mã đã đối chiếu văn bản.")


def cmd_catalogue(args) -> int:
    from client import catalogue

    home = open_home(args)
    if args.catalogue_cmd == "import":
        cat = catalogue.import_file(home.path, Path(args.file), args.version)
        out(f"Đã nạp. Từ nay dùng: {_describe(cat)}")
        return EXIT_OK
    cat = catalogue.load(home.path)
    entries = cat.search(args.text) if args.text else cat.entries
    if args.json:
        json_out({**cat.describe(), "entries": [e.to_json() for e in entries]})
        return EXIT_OK
    out(_describe(cat))
    if args.text:
        if not entries:
            out(f"Không có tiểu mục nào khớp «{args.text}».")
        for e in entries:
            out(f"  {e.code}  {e.name}  [{STATUS_VI.get(e.status, e.status)}]")
    return EXIT_OK


def register(sub) -> None:
    from client.commands.common import Parser

    s = sub.add_parser("catalogue", help="danh mục mã nội dung kinh tế (NDKT) đang dùng")
    cs = s.add_subparsers(dest="catalogue_cmd", required=True, parser_class=Parser)
    c = cs.add_parser("import", help="nạp danh mục NDKT chính thức từ tệp CSV (code,name,level,parent)")
    c.add_argument("file")
    c.add_argument("--version", help="phiên bản (mặc định: lấy từ tên tệp ndkt-PHIÊNBẢN.csv)")
    c = cs.add_parser("show", help="phiên bản đang dùng; tìm mã theo số hoặc theo một phần tên")
    c.add_argument("text", nargs="?", help="mã hoặc một phần tên, ví dụ 65 hoặc «điện»")
    c.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_catalogue)
