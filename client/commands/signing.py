"""sign, verify, tokens."""

from __future__ import annotations

import os
from pathlib import Path

from client.commands.common import (
    ROLE_VI,
    ROLES,
    ask_pin,
    json_out,
    open_context,
    open_home,
    out,
    print_problems,
    read_file,
    write_file,
)
from client.errors import EXIT_INVALID, EXIT_OK, InvalidInput, TokenError, UsageError


def choose_certificate(ctx, args, role: str):
    """The one certificate to sign with, refused before any PIN when unusable."""
    from client.signing.certs import cert_info, check_usable

    entries = ctx.signing_candidates(role, args.module)
    if args.token:
        entries = [e for e in entries if args.token in (e.token_label, e.token_serial)]
    if args.key_id:
        try:
            kid = bytes.fromhex(args.key_id)
        except ValueError as exc:
            raise UsageError("--key-id phải là chuỗi hex.") from exc
        entries = [e for e in entries if e.key_id == kid]
    if not entries:
        raise TokenError("Không tìm thấy chứng thư số nào có khóa bí mật trên token"
                         + (f" «{args.token}»" if args.token else "") + ". Hãy cắm token và thử lại.",
                         code="certificate-not-found")
    if len(entries) > 1 and not args.token and not ctx.home.get("signers", role):
        lines = [f"{e.token_label} / {e.key_id.hex()}: {cert_info(e.cert_der).subject_cn}" for e in entries]
        raise UsageError("Có nhiều chứng thư số; hãy chọn bằng --token và/hoặc --key-id:\n  "
                         + "\n  ".join(lines))
    entry = entries[0]
    problems = check_usable(cert_info(entry.cert_der))
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        raise TokenError("Không thể ký bằng chứng thư số này.", errors, code="cert-unusable")
    print_problems(problems)
    return entry


def cmd_sign(args) -> int:
    from client.app import pin_problems_before_asking, token_signer
    from client.signing.certs import cert_info
    from client.signing.workflow import prepare, sign_prepared

    ctx = open_context(args)
    try:
        extra = [Path(t) for t in args.trust or []]
        prepared = prepare(read_file(args.input, "tài liệu"), trust=ctx.trust(extra))
        if prepared.next_role != args.role:
            raise InvalidInput(f"Theo thứ tự ký, người ký tiếp theo là {ROLE_VI[prepared.next_role]}, "
                               f"không phải {ROLE_VI[args.role]}.")
        entry = choose_certificate(ctx, args, args.role)
        service = ctx.tokens(args.module)
        token = next((t for t in service.tokens() if t.serial == entry.token_serial), None)
        if token is None:
            raise TokenError("Token đã bị rút ra. Hãy cắm lại token và thử lại.", code="token-removed")
        problems = pin_problems_before_asking(token)
        if any(p.severity == "error" for p in problems):
            raise TokenError("Không thể dùng token này.", problems, code=problems[0].code)
        print_problems(problems)
        info = cert_info(entry.cert_der)
        out(f"Ký với tư cách {ROLE_VI[args.role]}: {info.subject_cn} ({info.organisation}), "
            f"token «{token.label}».")
        pin = ask_pin(args, token)
        package = sign_prepared(prepared, args.role, token_signer(service, entry, pin))
        del pin
        write_file(args.output, package)
        out(f"Đã ký và ghi {args.output}.")
        return EXIT_OK
    finally:
        ctx.close()


def cmd_verify(args) -> int:
    from client.app import load_cert_file, load_trust_dir
    from client.resources import resource
    from client.signing.verify import verify_package

    trust = load_trust_dir(resource("trust"))
    home = open_home(args)
    for f in (home.get("signing", "trust") or "").split(os.pathsep):
        if f.strip():
            trust += load_cert_file(Path(f.strip()))
    if home.is_training:
        trust += load_trust_dir(home.training_dir / "pki")
    for f in args.trust or []:
        trust += load_cert_file(Path(f))
    report = verify_package(read_file(args.package, "gói hồ sơ"), trust,
                            require_complete=args.require_complete)
    if args.json:
        json_out(report.to_json())
    else:
        out(f"Gói hồ sơ {args.package}: " + ("HỢP LỆ" if report.valid else "KHÔNG HỢP LỆ")
            + ("" if report.complete else " (chưa đủ chữ ký)"))
        for s in report.signatures:
            verdict = {"valid": "hợp lệ", "invalid": "không hợp lệ",
                       "indeterminate": "chưa xác định"}.get(s.verdict, s.verdict)
            when = s.signing_time.strftime("%d/%m/%Y %H:%M") if s.signing_time else "?"
            out(f"  {s.file}: {ROLE_VI.get(s.role or '', s.role)} — {s.signer_name} — {when} — {verdict}")
        print_problems(report.problems)
    return EXIT_OK if report.valid else EXIT_INVALID


def cmd_tokens(args) -> int:
    from client.signing.certs import cert_info

    ctx = open_context(args)
    try:
        service = ctx.tokens(args.module)
        tokens = service.tokens()
        certs = service.certificates()
        if args.json:
            json_out({"module": ctx.module_path(args.module), "tokens": [
                {**t.to_json(), "certificates": [
                    {"label": c.label, "key_id": c.key_id.hex(), "has_private_key": c.has_private_key,
                     "subject": cert_info(c.cert_der).subject_cn,
                     "not_after": cert_info(c.cert_der).not_after.isoformat(),
                     "sha256": cert_info(c.cert_der).sha256_hex}
                    for c in certs if c.token_serial == t.serial]} for t in tokens]})
            return EXIT_OK
        out(f"Thư viện PKCS#11: {ctx.module_path(args.module)}")
        if not tokens:
            out("  Không thấy token nào. Hãy cắm token vào máy.")
        for t in tokens:
            out(f"  Token «{t.label}» (số sê-ri {t.serial}, {t.manufacturer})")
            for c in (c for c in certs if c.token_serial == t.serial):
                info = cert_info(c.cert_der)
                out(f"    - {info.subject_cn} — {info.organisation} — hết hạn "
                    f"{info.not_after:%d/%m/%Y}" + ("" if c.has_private_key else " (không có khóa bí mật)"))
        return EXIT_OK
    finally:
        ctx.close()


def register(sub) -> None:
    s = sub.add_parser("sign", help="ký số tài liệu hoặc gói hồ sơ bằng token")
    s.add_argument("input")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--role", required=True, choices=ROLES)
    s.add_argument("--module")
    s.add_argument("--token")
    s.add_argument("--key-id")
    s.add_argument("--pin-env", metavar="VAR")
    s.add_argument("--trust", action="append", metavar="CA.pem")
    s.set_defaults(func=cmd_sign)

    s = sub.add_parser("verify", help="kiểm tra gói hồ sơ và các chữ ký số")
    s.add_argument("package")
    s.add_argument("--trust", action="append", metavar="CA.pem")
    s.add_argument("--require-complete", action="store_true")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_verify)

    s = sub.add_parser("tokens", help="liệt kê token và chứng thư số")
    s.add_argument("--module")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_tokens)
