"""gui: the desktop application over the real profile (first-run setup when it is not set up)."""

from __future__ import annotations

from client.commands.common import open_context
from client.i18n import tr


def cmd_gui(args) -> int:
    ctx = open_context(args)
    try:
        from client.ui.app import run_gui  # Qt only when the window is asked for

        return run_gui(ctx, lang=args.lang)
    finally:
        ctx.close()


def register(sub) -> None:
    s = sub.add_parser("gui", help=tr("mở cửa sổ phần mềm (lần đầu: trình thiết lập)"))
    s.set_defaults(func=cmd_gui)
