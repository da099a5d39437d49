"""catalogue import|show: the NDKT catalogue (Mục lục ngân sách) the client uses."""

from __future__ import annotations

from pathlib import Path

from client.commands.common import json_out, open_home, out
from client.errors import EXIT_OK
from client.i18n import tr


def _status(status: str) -> str:
    """How far a code was checked, in the current language (an unknown status as it is)."""
    if status == "checked":
        return tr("đã đối chiếu")
    if status == "unverified":
        return tr("chưa đối chiếu")
    if status == "official":
        return tr("chính thức")
    return status


def _describe(cat) -> str:
    d = cat.describe()
    return tr("Danh mục NDKT phiên bản {version} ({source}): {codes} mã, {tieu_muc} tiểu mục, "
              "{checked} mã đã đối chiếu văn bản.", version=d["version"], source=d["source"],
              codes=d["codes"], tieu_muc=d["tieu_muc"], checked=d["checked"])


def cmd_catalogue(args) -> int:
    from client import catalogue

    home = open_home(args)
    if args.catalogue_cmd == "import":
        cat = catalogue.import_file(home.path, Path(args.file), args.version)
        out(tr("Đã nạp. Từ nay dùng: {catalogue}", catalogue=_describe(cat)))
        return EXIT_OK
    cat = catalogue.load(home.path)
    entries = cat.search(args.text) if args.text else cat.entries
    if args.json:
        json_out({**cat.describe(), "entries": [e.to_json() for e in entries]})
        return EXIT_OK
    out(_describe(cat))
    if args.text:
        if not entries:
            out(tr("Không có tiểu mục nào khớp «{text}».", text=args.text))
        for e in entries:
            out(f"  {e.code}  {e.name}  [{_status(e.status)}]")
    return EXIT_OK


def register(sub) -> None:
    from client.commands.common import Parser

    s = sub.add_parser("catalogue", help=tr("danh mục mã nội dung kinh tế (NDKT) đang dùng"))
    cs = s.add_subparsers(dest="catalogue_cmd", required=True, parser_class=Parser)
    c = cs.add_parser("import", help=tr("nạp danh mục NDKT chính thức từ tệp CSV (code,name,level,parent)"))
    c.add_argument("file")
    c.add_argument("--version", help=tr("phiên bản (mặc định: lấy từ tên tệp ndkt-PHIÊNBẢN.csv)"))
    c = cs.add_parser("show", help=tr("phiên bản đang dùng; tìm mã theo số hoặc theo một phần tên"))
    c.add_argument("text", nargs="?", help=tr("mã hoặc một phần tên, ví dụ 65 hoặc «điện»"))
    c.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_catalogue)
