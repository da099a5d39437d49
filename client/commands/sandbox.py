"""sandbox: run the sandbox treasury in the foreground (optionally with a classroom)."""

from __future__ import annotations

from pathlib import Path

from client.commands.common import ROLES, open_home, out
from client.errors import EXIT_OK, UsageError
from client.i18n import tr


def _payment_order(spec: str) -> tuple[str, str, int, str | None]:
    parts = spec.split(":")
    if len(parts) not in (3, 4) or not parts[2].isdigit():
        raise UsageError(tr("--payment-order «{spec}» phải có dạng "
                            "MÃ_ĐƠN_VỊ:SỐ:SỐ_TIỀN[:YYYY-MM-DD].", spec=spec))
    return parts[0], parts[1], int(parts[2]), parts[3] if len(parts) == 4 else None


def cmd_sandbox(args) -> int:
    from client.sandbox.scenarios import ScenarioError, ScenarioSpec
    from client.sandbox.server import serve
    from client.signing.trust import load_cert_file

    units = []
    for spec in args.unit or []:
        parts = spec.split(":", 2)
        if len(parts) != 3:
            raise UsageError(tr("--unit «{spec}» phải có dạng MÃ:TÊN_ĐĂNG_NHẬP:MẬT_KHẨU.",
                                spec=spec))
        units.append(tuple(parts))
    signers = []
    for spec in args.signer or []:
        parts = spec.split(":", 2)
        if len(parts) != 3 or parts[1] not in ROLES:
            raise UsageError(tr("--signer «{spec}» phải có dạng MÃ:VAI_TRÒ:CERT.pem "
                                "(vai trò chief-accountant hoặc head-of-unit).", spec=spec))
        for der in load_cert_file(Path(parts[2])):
            signers.append((parts[0], parts[1], der))
    trust = [der for f in args.trust or [] for der in load_cert_file(Path(f))]
    orders = [_payment_order(s) for s in args.payment_order or []]
    trainer = None
    if args.trainer:
        user, sep, password = args.trainer.partition(":")
        if not sep or not user or not password:
            raise UsageError(tr("--trainer phải có dạng TÊN_ĐĂNG_NHẬP:MẬT_KHẨU."))
        trainer = (user, password)
    try:
        ScenarioSpec.parse(args.scenario)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None
    data = Path(args.data) if args.data else open_home(args).path / "sandbox"

    on_ready = None
    if args.classroom:
        from client.training.classroom import create_classroom, write_sheets

        classroom = create_classroom(data / "classroom", args.classroom)
        extra = classroom.sandbox_kwargs()
        units += extra["units"]
        signers += extra["signers"]
        trust += extra["trust"]
        orders += extra["payment_orders"]
        sheets = Path(args.classroom_out) if args.classroom_out else data / "phieu-hoc-vien"

        def on_ready(base_url: str, _sandbox) -> None:
            folders = write_sheets(classroom, sheets, base_url)
            out(tr("Lớp tập huấn: {count} học viên; phiếu và chữ ký số ở {folder}",
                   count=len(classroom.trainees), folder=sheets))
            out(tr("  In tất cả phiếu: {path}", path=sheets / "phieu-hoc-vien-tat-ca.pdf"))
            for t, folder in zip(classroom.trainees, folders, strict=True):
                out(tr("  {folder}: đơn vị {unit}, đăng nhập {user} / {password}, PIN {pin_chief} / "
                       "{pin_head}", folder=folder.name, unit=t.unit.code, user=t.username,
                       password=t.password, pin_chief=t.signers["chief-accountant"].pin,
                       pin_head=t.signers["head-of-unit"].pin))

    advance = args.advance
    serve(args.host, args.port, on_ready=on_ready, public_url=args.public_url,
          data_dir=data, advance=advance, accept_after=args.accept_after, pay_after=args.pay_after,
          units=units, signers=signers, trust=trust, payment_orders=orders,
          scenario=args.scenario, seed=args.seed, trainer=trainer,
          rules=Path(args.rules) if args.rules else None,
          pose_as_treasury=args.pose_as_treasury)
    return EXIT_OK


def register(sub) -> None:
    s = sub.add_parser("sandbox", help=tr("chạy Kho bạc mô phỏng"))
    s.add_argument("--host", default="127.0.0.1",
                   help=tr("địa chỉ lắng nghe (0.0.0.0 để các máy trong lớp kết nối được)"))
    s.add_argument("--port", type=int, default=8765)
    s.add_argument("--data", help=tr("thư mục dữ liệu của Kho bạc mô phỏng"))
    s.add_argument("--advance", type=float, default=5.0,
                   help=tr("giây giữa các trạng thái (0 = không tự chuyển)"))
    s.add_argument("--accept-after", type=float, metavar=tr("GIÂY"),
                   help=tr("giây từ khi tiếp nhận tới khi kiểm soát xong (mặc định = --advance)"))
    s.add_argument("--pay-after", type=float, metavar=tr("GIÂY"),
                   help=tr("giây từ khi kiểm soát xong tới khi thanh toán (mặc định = --advance)"))
    s.add_argument("--unit", action="append", metavar="CODE:USERNAME:PASSWORD")
    s.add_argument("--signer", action="append", metavar="CODE:ROLE:CERT.pem")
    s.add_argument("--trust", action="append", metavar="CA.pem")
    s.add_argument("--payment-order", action="append", metavar="CODE:NUMBER:AMOUNT[:DATE]",
                   help=tr("Giấy rút dự toán mà quy tắc kiểm soát so tổng tiền"))
    s.add_argument("--scenario", default="normal",
                   help=tr("normal | slow[:LO-HI] | flaky[:P] | outage[:GIÂY] | "
                           "year-end[:YÊU_CẦU/GIÂY]"))
    s.add_argument("--seed", type=int, default=1,
                   help=tr("hạt giống cho các lựa chọn ngẫu nhiên của kịch bản"))
    s.add_argument("--trainer", metavar="USER:PASSWORD",
                   help=tr("đăng nhập trang giảng viên (mặc định: tạo một lần, in ra khi khởi động)"))
    s.add_argument("--rules", metavar="RULES.json",
                   help=tr("tệp quy tắc kiểm soát thay cho tệp mặc định"))
    s.add_argument("--classroom", type=int, metavar="N", help=tr("tạo lớp tập huấn N học viên"))
    s.add_argument("--classroom-out", metavar="DIR",
                   help=tr("thư mục ghi phiếu học viên và chữ ký số"))
    s.add_argument("--public-url", metavar="URL",
                   help=tr("địa chỉ API in trên phiếu học viên (mặc định: tự xác định)"))
    s.add_argument("--pose-as-treasury", action="store_true",
                   help=tr("không báo là Kho bạc mô phỏng (chỉ để kiểm thử hồ sơ làm việc thật)"))
    s.set_defaults(func=cmd_sandbox)
