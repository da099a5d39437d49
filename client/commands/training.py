"""training: the classroom profile with its sandbox and training tokens."""

from __future__ import annotations

from pathlib import Path

from client.commands.common import ROLE_VI, open_home, out
from client.errors import EXIT_OK
from client.i18n import tr


def cmd_training(args) -> int:
    from client.app import AppContext
    from client.training.setup import ensure_training

    if getattr(args, "join", None):
        from client.training.classroom import join_classroom

        joined = join_classroom(open_home(args), args.join)
        out(tr("Đã tham gia lớp tập huấn: đơn vị {code} — {name}, tài khoản {user}.",
               code=joined.get("unit", "code"), name=joined.get("unit", "name"),
               user=joined.get("server", "user")))
    session = ensure_training(open_home(args), reset=args.reset and not getattr(args, "join", None),
                              advance=args.advance)
    out(tr("Chế độ tập huấn: Kho bạc mô phỏng tại {url}", url=session.sandbox.base_url))
    for role, pin in session.pins.items():
        out(f"  Token {session.token_labels[role]} ({tr(ROLE_VI[role])}): PIN {pin}")
    if getattr(args, "demo_out", None):
        from client.training.setup import write_demo_table

        path = write_demo_table(session.home, Path(args.demo_out))
        out(tr("Đã ghi bảng lương mẫu vào «{path}».", path=path))
    if args.no_gui:
        out(tr("Hồ sơ tập huấn: {path}", path=session.home.path))
        session.stop()
        return EXIT_OK
    ctx = AppContext(session.home)
    try:
        from client.ui.app import run_gui

        return run_gui(ctx, lang=args.lang)
    finally:
        ctx.close()
        session.stop()


def register(sub) -> None:
    import argparse

    s = sub.add_parser("training", help=tr("mở ứng dụng ở chế độ tập huấn (Kho bạc mô phỏng, "
                                           "token tập huấn)"))
    s.add_argument("--reset", action="store_true", help=tr("xóa dữ liệu tập huấn và tạo lại từ đầu"))
    s.add_argument("--advance", type=float, default=5.0, help=argparse.SUPPRESS)
    s.add_argument("--no-gui", action="store_true", help=tr("chỉ chuẩn bị môi trường tập huấn"))
    s.add_argument("--join", metavar=tr("THƯ_MỤC_PHIẾU"),
                   help=tr("tham gia lớp tập huấn từ thư mục học viên (hoặc tệp classroom.json) "
                           "giảng viên phát"))
    s.add_argument("--demo-out", metavar=tr("TỆP.json"),
                   help=tr("ghi bảng lương mẫu của hồ sơ tập huấn ra tệp (để ký bằng dòng lệnh)"))
    s.set_defaults(func=cmd_training)
