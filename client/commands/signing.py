"""sign, verify, tokens."""

from __future__ import annotations

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
from client.errors import EXIT_INVALID, EXIT_OK, InvalidInput, KbnnError, TokenError, UsageError
from client.i18n import tr


def _verdict(verdict: str) -> str:
    """A signature's verdict in words, in the current language."""
    words = {"valid": tr("hợp lệ"), "invalid": tr("không hợp lệ"),
             "indeterminate": tr("chưa xác định")}
    return words.get(verdict, verdict)


def _role(role: str | None) -> str:
    """A signer role in words (an unknown role as it is written)."""
    if role in ROLE_VI:
        return tr(ROLE_VI[role])
    return role or tr("vai trò ?")


def _online_facts(ctx, args, unit_code: str | None):
    """Registered signers and clock from the treasury, or why they are unknown."""
    from client.signing.preflight import OnlineFacts, online_facts

    if getattr(args, "offline", False):
        return OnlineFacts.not_checked(tr("chạy với --offline"))
    if not ctx.home.server().get("url"):
        return OnlineFacts.not_checked(tr("chưa cấu hình máy chủ Kho bạc — hãy chạy kbnn-client login"))
    try:
        api = ctx.api()
    except KbnnError as exc:
        return OnlineFacts.not_checked(exc.message)
    return online_facts(api, unit_code)


def choose_candidate(ctx, args, role: str, unit_code: str | None, facts):
    """The one certificate to sign with, ranked; refuses before any PIN when none fits."""
    from client.signing.preflight import rank_candidates

    service = ctx.tokens(args.module)
    entries = service.certificates()
    cands = rank_candidates(entries, unit_code, role, facts.registered,
                            preferred=ctx.home.get("signers", role))
    if args.token:
        cands = [c for c in cands if args.token in (c.entry.token_label, c.entry.token_serial)]
    if args.key_id:
        try:
            kid = bytes.fromhex(args.key_id)
        except ValueError as exc:
            raise UsageError(tr("--key-id phải là chuỗi hex.")) from exc
        cands = [c for c in cands if bytes(c.entry.key_id) == kid]
    if not cands:
        without_key = [e for e in entries if not e.has_private_key and not e.is_ca]
        n = len(without_key)
        if args.token and without_key:
            text = tr("Không tìm thấy chứng thư số nào có khóa bí mật trên token «{token}» (có {count} "
                      "chứng thư số trên token nhưng không có khóa bí mật đi kèm). Hãy cắm token và "
                      "thử lại.", token=args.token, count=n)
        elif args.token:
            text = tr("Không tìm thấy chứng thư số nào có khóa bí mật trên token «{token}». Hãy cắm "
                      "token và thử lại.", token=args.token)
        elif without_key:
            text = tr("Không tìm thấy chứng thư số nào có khóa bí mật trên token (có {count} chứng "
                      "thư số trên token nhưng không có khóa bí mật đi kèm). Hãy cắm token và thử "
                      "lại.", count=n)
        else:
            text = tr("Không tìm thấy chứng thư số nào có khóa bí mật trên token. Hãy cắm token và "
                      "thử lại.")
        raise TokenError(text, code="certificate-not-found")
    usable = [c for c in cands if c.usable]
    explicit = bool(args.token or args.key_id)
    if len(cands) > 1 and not explicit and not cands[0].preferred and len(usable) != 1:
        lines = [f"{c.entry.token_label} / --key-id {bytes(c.entry.key_id).hex()}: {c.describe_vi()}"
                 if c.usable else
                 tr("{token} / --key-id {key_id}: {candidate} — KHÔNG dùng được: {reasons}",
                    token=c.entry.token_label, key_id=bytes(c.entry.key_id).hex(),
                    candidate=c.describe_vi(), reasons="; ".join(p.message for p in c.errors))
                 for c in cands]
        raise UsageError(tr("Có nhiều chứng thư số; hãy chọn bằng --token và/hoặc --key-id:\n  {lines}",
                            lines="\n  ".join(lines)))
    return service, (usable[0] if usable and not explicit else cands[0])


def cmd_sign(args) -> int:
    from client.signing.preflight import before_pin
    from client.signing.workflow import prepare, sign_prepared, token_signer

    ctx = open_context(args)
    try:
        extra = [Path(t) for t in args.trust or []]
        attached = None
        if getattr(args, "attach", None):
            from client.attachments import read_files

            attached = read_files(args.attach)
        data = read_file(args.input, "document")
        prepared = prepare(data, trust=ctx.trust(extra), attachments=attached)
        if prepared.next_role != args.role:
            raise InvalidInput(tr("Theo thứ tự ký, người ký tiếp theo là {next_role}, không phải {role}.",
                                  next_role=_role(prepared.next_role), role=_role(args.role)))
        unit = prepared.document.get("unit") if isinstance(prepared.document, dict) else None
        unit_code = unit.get("code") if isinstance(unit, dict) else None
        facts = _online_facts(ctx, args, unit_code)
        service, cand = choose_candidate(ctx, args, args.role, unit_code, facts)
        local_id = None
        if prepared.existing is None:  # a document.json: the first signature
            # The first signature: the content checks, as in the app; errors block and
            # warnings need --confirm-warnings, recorded under the signer's name.
            confirm = _confirm_codes(args.confirm_warnings)
            by = (cand.info.subject_cn if cand.info is not None else "") or (cand.entry.label or "?")
            local_id = ctx.admit_document(data, confirm=confirm, by=by)
        token = next((t for t in service.tokens() if t.serial == cand.entry.token_serial), None)
        # Everything known before the PIN: certificate, unit, registration, PIN flags, clock.
        problems = before_pin(cand, token, facts)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            raise TokenError(tr("Không thể ký bằng chứng thư số này (chưa hỏi mã PIN):"), problems,
                             code=errors[0].code)
        out(tr("Ký với tư cách {role}: {candidate}; token «{token}».", role=_role(args.role),
               candidate=cand.describe_vi(), token=token.label))
        print_problems(problems)
        pin = ask_pin(args, token)
        scheme = None if args.scheme == "auto" else args.scheme
        package = sign_prepared(prepared, args.role, token_signer(service, cand.entry, pin, scheme=scheme))
        del pin
        write_file(args.output, package)
        if local_id is not None:
            ctx.documents.set_package(local_id, package, "signed-partial")
        out(tr("Đã ký và ghi {path}.", path=args.output))
        return EXIT_OK
    finally:
        ctx.close()


def _confirm_codes(value: str | None) -> list[str] | str | None:
    if not value:
        return None
    codes = [c.strip() for c in value.split(",") if c.strip()]
    return "all" if codes == ["all"] else codes


def print_report(report, title: str) -> None:
    """Per signature: file, role, signer, time, certificate, verdict, reasons; then the rest."""
    from client.signing.certs import VN_TZ, cert_info, format_date_vn

    if report.valid:
        head = (tr("{title}: HỢP LỆ", title=title) if report.complete
                else tr("{title}: HỢP LỆ (chưa đủ chữ ký)", title=title))
    else:
        head = (tr("{title}: KHÔNG HỢP LỆ", title=title) if report.complete
                else tr("{title}: KHÔNG HỢP LỆ (chưa đủ chữ ký)", title=title))
    out(head)
    shown = set()
    for s in report.signatures:
        when = s.signing_time.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M") if s.signing_time else "?"
        out("  " + tr("{file}: {role} — {signer} — ký lúc {when} — {verdict}", file=s.file,
                      role=_role(s.role), signer=s.signer_name or "?", when=when,
                      verdict=_verdict(s.verdict).upper()))
        if s.cert_der:
            try:
                info = cert_info(s.cert_der)
                out("      " + tr("chứng thư số: số sê-ri {serial}, cấp bởi {issuer}, hiệu lực "
                                  "{not_before}–{not_after}", serial=info.serial_hex,
                                  issuer=info.issuer_cn or "?", not_before=format_date_vn(info.not_before),
                                  not_after=format_date_vn(info.not_after)))
            except KbnnError:
                pass
        for p in s.reasons:
            shown.add(id(p))
            out("      " + (tr("[Lỗi] {message}", message=p.message) if p.severity == "error"
                             else tr("[Lưu ý] {message}", message=p.message)))
    rest = [p for p in report.problems if id(p) not in shown]
    print_problems(rest)


def cmd_verify(args) -> int:
    from client.signing.trust import trust_anchors
    from client.signing.verify import verify_package

    home = open_home(args)
    trust = trust_anchors(home, args.trust or [])
    report = verify_package(read_file(args.package, "package"), trust,
                            require_complete=args.require_complete, online=args.online,
                            fetch_timeout=args.timeout)
    if args.json:
        json_out(report.to_json())
    else:
        print_report(report, tr("Gói hồ sơ {path}", path=args.package))
    return EXIT_OK if report.valid else EXIT_INVALID


def _cert_json(entry) -> dict:
    from client.signing.certs import cert_info, check_usable

    try:
        info = cert_info(entry.cert_der)
    except KbnnError as exc:
        return {"label": entry.label, "key_id": bytes(entry.key_id).hex(), "error": exc.message}
    return {
        "label": entry.label, "key_id": bytes(entry.key_id).hex(),
        "has_private_key": entry.has_private_key, "is_ca": entry.is_ca,
        "subject": info.subject_cn, "organisation": info.organisation, "uids": info.uids,
        "issuer": info.issuer_cn, "serial": info.serial_hex,
        "not_before": info.not_before.isoformat(), "not_after": info.not_after.isoformat(),
        "key_usage": sorted(info.key_usage), "key_type": info.key_type, "key_size": info.key_size,
        "sha256": info.sha256_hex, "chain_length": len(entry.chain),
        "problems": [] if entry.is_ca else [p.to_json() for p in check_usable(info)],
    }


def list_tokens(module_path: str) -> tuple[list, list]:
    """(tokens, certificates) of one module, loading it in this process (after a child-process
    probe when it is not a known module)."""
    from client.signing.discovery import ensure_safe_to_load
    from client.signing.tokens import TokenService

    ensure_safe_to_load(module_path)
    with TokenService(module_path) as service:
        return service.tokens(), service.certificates()


def cmd_tokens(args) -> int:
    from client.signing.certs import format_date_vn
    from client.signing.discovery import ARCH_VI, discover_modules, process_arch

    ctx = open_context(args)
    try:
        configured = args.module or ctx.home.get("signing", "module")
        modules = discover_modules(configured)
        if args.module and not any(m.source == "configured" for m in modules):
            raise TokenError(tr("Không tìm thấy tệp mô-đun PKCS#11 «{path}».", path=args.module),
                             code="module-not-found")
        if args.module:
            modules = [m for m in modules if m.source == "configured"]
        selected = ctx.module_path(args.module) if any(m.loadable for m in modules) else None
        listing = []
        for m in modules:
            item = {**m.to_json(), "selected": m.path == selected, "tokens": [], "error": None}
            if m.loadable:
                try:
                    tokens, certs = list_tokens(m.path)
                except KbnnError as exc:
                    item["error"] = exc.message
                else:
                    item["tokens"] = [{**t.to_json(), "certificates": [
                        _cert_json(c) for c in certs if c.token_serial == t.serial]} for t in tokens]
            listing.append(item)
        if args.json:
            chosen = next((i for i in listing if i["selected"]), None)
            json_out({"process_arch": process_arch(), "module": selected,
                      "tokens": chosen["tokens"] if chosen else [], "modules": listing})
            return EXIT_OK
        out(tr("Ứng dụng đang chạy {arch}.", arch=ARCH_VI.get(process_arch(), process_arch())))
        if not listing:
            out(tr("Không tìm thấy mô-đun PKCS#11 nào. Hãy cài trình điều khiển token của nhà cung cấp "
                   "chữ ký số, hoặc chỉ đường dẫn bằng --module."))
        for item in listing:
            arch = ARCH_VI.get(item["arch"] or "", item["arch"] or tr("không rõ kiến trúc"))
            details = (f" — {item['vendor']}" if item["vendor"] else "") + f" — {arch}"
            if item["selected"]:
                out(tr("Mô-đun PKCS#11 [đang dùng]: {path}{details}", path=item["path"], details=details))
            elif item["loadable"]:
                out(tr("Mô-đun PKCS#11 [có thể dùng]: {path}{details}", path=item["path"], details=details))
            else:
                out(tr("Mô-đun PKCS#11 [KHÔNG dùng được]: {path}{details}", path=item["path"],
                       details=details))
            for p in item["problems"]:
                out("    " + _problem_line(p["severity"], p["message"]))
            if item["error"]:
                out("    " + tr("Lỗi: {message}", message=item["error"]))
            if item["loadable"] and not item["tokens"] and not item["error"]:
                out("    " + tr("Không thấy token nào. Hãy cắm token vào máy."))
            for t in item["tokens"]:
                state = (tr("ĐÃ KHÓA PIN") if t["pin_locked"] else tr("lần thử PIN cuối cùng")
                         if t["pin_final_try"] else tr("còn ít lần thử PIN") if t["pin_count_low"]
                         else tr("PIN bình thường"))
                facts = {"label": t["label"], "serial": t["serial"], "manufacturer": t["manufacturer"],
                         "state": state}
                out("    " + (tr("Token «{label}» (số sê-ri {serial}, {manufacturer}) — {state}, nhập PIN "
                                 "trên thiết bị", **facts) if t["protected_auth_path"]
                                else tr("Token «{label}» (số sê-ri {serial}, {manufacturer}) — {state}",
                                        **facts)))
                for c in t["certificates"]:
                    if "error" in c:
                        out(f"      - {c['label']}: {c['error']}")
                        continue
                    ids = ", ".join(f"{k}:{v}" for k in ("MNS", "MST", "CCCD", "CMND")
                                    for v in c["uids"].get(k, []))
                    kind = (tr("chứng thư CA") if c["is_ca"] else tr("có khóa bí mật")
                            if c["has_private_key"] else tr("KHÔNG có khóa bí mật"))
                    who = f"{c['subject']} — {c['organisation'] or '?'}" + (f" — {ids}" if ids else "")
                    out("      - " + tr("{who} — cấp bởi {issuer} — số sê-ri {serial} — hiệu lực "
                                      "{not_before}–{not_after} — {key_usage} [{kind}]", who=who,
                                      issuer=c["issuer"] or "?", serial=c["serial"],
                                      not_before=format_date_vn(_dt(c["not_before"])),
                                      not_after=format_date_vn(_dt(c["not_after"])),
                                      key_usage=", ".join(c["key_usage"])
                                      or tr("không ghi mục đích sử dụng khóa"), kind=kind))
                    for p in c["problems"]:
                        out("          " + _problem_line(p["severity"], p["message"]))
        return EXIT_OK
    finally:
        ctx.close()


def _problem_line(severity: str, message: str) -> str:
    if severity == "error":
        return tr("Lỗi: {message}", message=message)
    return tr("Lưu ý: {message}", message=message)


def _dt(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text)


def register(sub) -> None:
    s = sub.add_parser("sign", help=tr("ký số tài liệu hoặc gói hồ sơ bằng token"))
    s.add_argument("input")
    s.add_argument("-o", "--output", required=True)
    s.add_argument("--role", required=True, choices=ROLES)
    s.add_argument("--module")
    s.add_argument("--token")
    s.add_argument("--key-id")
    s.add_argument("--pin-env", metavar="VAR")
    s.add_argument("--trust", action="append", metavar="CA.pem")
    s.add_argument("--scheme", choices=("auto", "pkcs1v15", "pss"), default="auto",
                   help=tr("kiểu chữ ký RSA (mặc định PKCS#1 v1.5; khóa EC luôn dùng ECDSA)"))
    s.add_argument("--offline", action="store_true",
                   help=tr("không đối chiếu với Kho bạc (chứng thư đã đăng ký, giờ máy tính)"))
    s.add_argument("--password-env", metavar="VAR",
                   help=tr("biến môi trường chứa mật khẩu Kho bạc (để lấy danh sách người ký đã đăng ký)"))
    s.add_argument("--confirm-warnings", metavar="CODE,…|all",
                   help=tr("xác nhận đã xem các cảnh báo kiểm tra (ghi lại tên người ký) — chữ ký đầu"))
    s.add_argument("--attach", nargs="+", metavar="FILE",
                   help=tr("tệp đính kèm (PDF, DOCX, XLSX, JPG, PNG; mỗi tệp tối đa 10 MiB), "
                           "chỉ thêm được ở chữ ký đầu tiên"))
    s.set_defaults(func=cmd_sign)

    s = sub.add_parser("verify", help=tr("kiểm tra gói hồ sơ và các chữ ký số"))
    s.add_argument("package")
    s.add_argument("--trust", action="append", metavar="CA.pem")
    s.add_argument("--require-complete", action="store_true")
    s.add_argument("--json", action="store_true")
    s.add_argument("--online", action="store_true",
                   help=tr("kiểm tra tình trạng thu hồi chứng thư số (OCSP/CRL) qua mạng"))
    s.add_argument("--timeout", type=float, default=5.0, metavar=tr("GIÂY"),
                   help=tr("thời gian chờ tối đa cho mỗi yêu cầu OCSP/CRL (mặc định 5 giây)"))
    s.set_defaults(func=cmd_verify)

    s = sub.add_parser("tokens", help=tr("liệt kê mô-đun PKCS#11, token và chứng thư số"))
    s.add_argument("--module")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_tokens)
