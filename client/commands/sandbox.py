"""sandbox: run the sandbox treasury in the foreground."""

from __future__ import annotations

from pathlib import Path

from client.commands.common import ROLES, open_home
from client.errors import EXIT_OK, UsageError


def cmd_sandbox(args) -> int:
    from client.app import load_cert_file
    from client.sandbox.server import serve

    units = []
    for spec in args.unit or []:
        parts = spec.split(":", 2)
        if len(parts) != 3:
            raise UsageError(f"--unit «{spec}» phải có dạng MÃ:TÊN_ĐĂNG_NHẬP:MẬT_KHẨU.")
        units.append(tuple(parts))
    signers = []
    for spec in args.signer or []:
        parts = spec.split(":", 2)
        if len(parts) != 3 or parts[1] not in ROLES:
            raise UsageError(f"--signer «{spec}» phải có dạng MÃ:VAI_TRÒ:CERT.pem "
                             "(vai trò chief-accountant hoặc head-of-unit).")
        for der in load_cert_file(Path(parts[2])):
            signers.append((parts[0], parts[1], der))
    trust = [der for f in args.trust or [] for der in load_cert_file(Path(f))]
    data = Path(args.data) if args.data else open_home(args).path / "sandbox"
    serve(args.host, args.port, data_dir=data, advance=args.advance,
          units=units, signers=signers, trust=trust)
    return EXIT_OK


def register(sub) -> None:
    s = sub.add_parser("sandbox", help="chạy Kho bạc mô phỏng")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765)
    s.add_argument("--data", help="thư mục dữ liệu của Kho bạc mô phỏng")
    s.add_argument("--advance", type=float, default=5.0, help="giây giữa các trạng thái (0 = không tự chuyển)")
    s.add_argument("--unit", action="append", metavar="CODE:USERNAME:PASSWORD")
    s.add_argument("--signer", action="append", metavar="CODE:ROLE:CERT.pem")
    s.add_argument("--trust", action="append", metavar="CA.pem")
    s.set_defaults(func=cmd_sandbox)
