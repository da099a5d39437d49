"""Everything checked BEFORE the PIN is asked for.

* :func:`rank_candidates` — which certificates on the tokens may sign for a role,
  best first, each with its problems (errors refuse, warnings are shown) and the
  facts a picker shows (MNS of the unit, registered with the treasury for the
  role, non-repudiation);
* :func:`clock_skew` / :func:`clock_problem` — the PC clock against the
  treasury's (``GET /health``);
* :func:`online_facts` — registered signers and clock in one go, never raising:
  offline becomes a warning that nothing could be checked;
* :func:`pin_problems_before_asking` — the token's PIN flags;
* :func:`before_pin` — all of it for the one chosen certificate.

Qt-free: the CLI and the GUI call the same functions.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from client.errors import HasProblems, KbnnError, Problem
from client.i18n import tr
from client.signing.certs import CertInfo, cert_info, check_usable, format_date_vn

ROLE_VI = {"chief-accountant": "Kế toán trưởng", "head-of-unit": "Thủ trưởng đơn vị"}
CLOCK_LIMIT = timedelta(minutes=5)


def _role_vi(role: str) -> str:
    return tr(ROLE_VI[role]) if role in ROLE_VI else role


def _fold(text: str) -> str:
    return unicodedata.normalize("NFC", text or "").strip().casefold()


# --------------------------------------------------------------------------- candidates


@dataclass
class Candidate(HasProblems):
    """One certificate that could sign, with what the picker shows about it."""

    entry: Any  # client.signing.tokens.CertEntry
    info: CertInfo | None
    problems: list[Problem] = field(default_factory=list)
    mns_matches: bool | None = None  # None: the certificate or the unit has no MNS
    registered_for_role: bool | None = None  # None: not checked (offline)
    registered_roles: tuple[str, ...] = ()
    non_repudiation: bool = False
    preferred: bool = False  # chosen for this role before (settings)

    @property
    def usable(self) -> bool:
        return self.info is not None and not self.errors

    def to_json(self) -> dict:
        info = self.info
        entry = self.entry
        return {
            "token_serial": entry.token_serial,
            "token_label": entry.token_label,
            "key_id": bytes(entry.key_id).hex(),
            "label": entry.label,
            "holder": info.subject_cn if info else None,
            "organisation": info.organisation if info else None,
            "uids": info.uids if info else {},
            "mns": info.mns() if info else None,
            "mst": info.mst() if info else None,
            "citizen_id": info.citizen_id() if info else None,
            "issuer": info.issuer_cn if info else None,
            "serial": info.serial_hex if info else None,
            "not_before": info.not_before.isoformat() if info else None,
            "not_after": info.not_after.isoformat() if info else None,
            "key_usage": sorted(info.key_usage) if info else [],
            "key_type": info.key_type if info else entry.key_type,
            "key_size": info.key_size if info else 0,
            "sha256": info.sha256_hex if info else None,
            "chain_length": len(getattr(entry, "chain", ()) or ()),
            "usable": self.usable,
            "mns_matches": self.mns_matches,
            "registered_for_role": self.registered_for_role,
            "registered_roles": list(self.registered_roles),
            "non_repudiation": self.non_repudiation,
            "preferred": self.preferred,
            "problems": [p.to_json() for p in self.problems],
        }

    def describe_vi(self) -> str:
        """One line for a list: holder — organisation — identifiers — validity — marks."""
        info = self.info
        if info is None:
            return tr("{label} — chứng thư số không đọc được", label=self.entry.label or '?')
        ids = []
        for key in ("MNS", "MST", "CCCD", "CMND"):
            ids += [f"{key}:{v}" for v in info.uids.get(key, [])]
        marks = []
        if self.mns_matches:
            marks.append(tr("đúng mã đơn vị"))
        if self.registered_for_role:
            marks.append(tr("đã đăng ký với Kho bạc"))
        if self.non_repudiation:
            marks.append(tr("chống chối bỏ"))
        parts = [info.subject_cn or "?", info.organisation or "?"]
        if ids:
            parts.append(", ".join(ids))
        parts.append(tr("cấp bởi {issuer}", issuer=info.issuer_cn or '?'))
        parts.append(tr("số sê-ri {serial}", serial=info.serial_hex))
        parts.append(tr("hiệu lực {start}–{end}", start=format_date_vn(info.not_before),
                        end=format_date_vn(info.not_after)))
        line = " — ".join(parts)
        if marks:
            line += f" [{', '.join(marks)}]"
        return line


def _registration(info: CertInfo, role: str, unit_code: str | None,
                  registered: list[dict]) -> tuple[bool, tuple[str, ...], list[Problem]]:
    mine = [s for s in registered
            if str(s.get("certificate_sha256", "")).lower() == info.sha256_hex]
    roles = tuple(sorted({str(s.get("role")) for s in mine if s.get("role")}))
    if role in roles:
        return True, roles, []
    where = info.subject_cn
    unit = tr(" của đơn vị {unit}", unit=unit_code) if unit_code else ""
    if roles:
        others = ", ".join(_role_vi(r) for r in roles)
        return False, roles, [Problem(
            "cert-registered-other-role",
            tr("Chứng thư số này được đăng ký với Kho bạc cho vai trò {others}, không phải "
               "{role}; Kho bạc sẽ từ chối hồ sơ (người ký chưa đăng ký).",
               others=others, role=_role_vi(role)),
            where, "warning")]
    same_person = [s for s in registered
                   if s.get("role") == role and _fold(str(s.get("name", ""))) == _fold(info.subject_cn)]
    if same_person:
        old = same_person[0]
        until = ""
        try:
            until = tr(" (hết hạn ngày {date})", date=format_date_vn(
                datetime.fromisoformat(str(old.get("not_after")).replace("Z", "+00:00"))))
        except (TypeError, ValueError):
            pass
        return False, roles, [Problem(
            "cert-not-registered",
            tr("Chứng thư số này chưa được đăng ký với Kho bạc cho vai trò {role}{unit}. "
               "Kho bạc đang lưu một chứng thư số khác của «{name}»{until}: có thể "
               "token đã được gia hạn hoặc cấp lại (số sê-ri mới). Hãy đăng ký chứng thư số mới "
               "với Kho bạc trước khi gửi hồ sơ.",
               role=_role_vi(role), unit=unit, name=old.get('name'), until=until),
            where, "warning")]
    return False, roles, [Problem(
        "cert-not-registered",
        tr("Chứng thư số này chưa được đăng ký với Kho bạc cho vai trò {role}{unit}; "
           "Kho bạc sẽ từ chối hồ sơ ký bằng chứng thư số này.", role=_role_vi(role), unit=unit),
        where, "warning")]


def describe_candidate(entry: Any, unit_code: str | None, role: str,
                       registered: list[dict] | None = None, *,
                       now: datetime | None = None, preferred: str | None = None) -> Candidate:
    """A ``Candidate`` for one certificate entry (whatever its usability)."""
    try:
        info = cert_info(entry.cert_der)
    except KbnnError as exc:
        return Candidate(entry, None, exc.problems or [Problem("cert-unreadable", exc.message)])
    problems = list(check_usable(info, now))
    cand = Candidate(entry, info, problems, non_repudiation="nonRepudiation" in info.key_usage)
    mns = info.mns()
    if mns and unit_code:
        cand.mns_matches = mns == unit_code
        if not cand.mns_matches:
            problems.append(Problem(
                "cert-unit-mismatch",
                tr("Chứng thư số ghi mã đơn vị (MNS) {mns}, khác mã đơn vị {unit} của hồ sơ.",
                   mns=mns, unit=unit_code),
                info.subject_cn, "warning"))
    if registered is not None:
        ok, roles, probs = _registration(info, role, unit_code, registered)
        cand.registered_for_role, cand.registered_roles = ok, roles
        problems.extend(probs)
    if preferred:
        cand.preferred = preferred in (entry.token_label, entry.token_serial, info.sha256_hex)
    return cand


def rank_candidates(entries: Iterable[Any], unit_code: str | None, role: str,
                    registered: list[dict] | None = None, *, now: datetime | None = None,
                    preferred: str | None = None) -> list[Candidate]:
    """The certificates that may sign as ``role``, best first.

    Only certificates whose private key is on the token (same CKA_ID) are
    offered; CA certificates are left out. Order: usable ones first, then the
    one remembered for the role (``preferred``: token label, serial or
    certificate SHA-256), registered with the treasury for the role, whose
    ``MNS`` is the unit's, with non-repudiation, valid the longest.
    ``registered`` is the answer of ``GET /units/{code}/signers`` (``None`` =
    not known: offline).
    """
    cands = [describe_candidate(e, unit_code, role, registered, now=now, preferred=preferred)
             for e in entries
             if getattr(e, "has_private_key", False) and not getattr(e, "is_ca", False)]

    def key(c: Candidate) -> tuple:
        not_after = c.info.not_after.timestamp() if c.info else 0.0
        return (not c.usable, not c.preferred, c.registered_for_role is not True,
                c.mns_matches is not True, not c.non_repudiation, -not_after,
                c.entry.token_label, bytes(c.entry.key_id))

    return sorted(cands, key=key)


# --------------------------------------------------------------------------- clock


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def clock_skew(api: Any) -> timedelta | None:
    """How far this PC's clock is ahead of the treasury's (negative: behind), from
    ``GET /health``'s ``time`` taken at the middle of the request; ``None`` when the
    treasury cannot be reached or gives no usable time."""
    before = datetime.now(UTC)
    try:
        body = api.health()
    except KbnnError:
        return None
    after = datetime.now(UTC)
    server = _parse_time(body.get("time") if isinstance(body, dict) else None)
    if server is None:
        return None
    return before + (after - before) / 2 - server


def _duration_vi(delta: timedelta) -> str:
    # Nearest minute: the treasury's time has whole seconds, so a clock 10 minutes
    # slow measures as 9 min 59.x s and must still read "10 phút".
    minutes = (abs(delta) + timedelta(seconds=30)) // timedelta(minutes=1)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(tr("{days} ngày", days=days))
    if hours:
        parts.append(tr("{hours} giờ", hours=hours))
    if mins or not parts:
        parts.append(tr("{minutes} phút", minutes=mins))
    return " ".join(parts)


def clock_problem(skew: timedelta | None, limit: timedelta = CLOCK_LIMIT) -> Problem | None:
    """A warning when the PC clock is more than ``limit`` off the treasury's."""
    if skew is None or abs(skew) <= limit:
        return None
    if skew > timedelta(0):
        text = tr("Đồng hồ máy tính đang nhanh {duration} so với giờ của Kho bạc. Thời điểm "
                  "ký ghi trong chữ ký số lấy theo đồng hồ máy tính: hãy chỉnh lại ngày giờ của "
                  "máy (bật đồng bộ giờ tự động) trước khi ký.", duration=_duration_vi(skew))
    else:
        text = tr("Đồng hồ máy tính đang chậm {duration} so với giờ của Kho bạc. Thời điểm "
                  "ký ghi trong chữ ký số lấy theo đồng hồ máy tính: hãy chỉnh lại ngày giờ của "
                  "máy (bật đồng bộ giờ tự động) trước khi ký.", duration=_duration_vi(skew))
    return Problem(
        "clock-skew", text,
        "", "warning")


# --------------------------------------------------------------------------- online facts


@dataclass
class OnlineFacts:
    """What the treasury said before signing (or why nothing could be checked)."""

    registered: list[dict] | None = None  # GET /units/{code}/signers; None = not known
    skew: timedelta | None = None
    checked: bool = False  # the treasury answered
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def not_checked(cls, reason: str) -> OnlineFacts:
        return cls(problems=[Problem(
            "online-not-checked",
            tr("Chưa đối chiếu được với Kho bạc ({reason}): chưa kiểm tra chứng thư số đã đăng "
               "ký với Kho bạc cho vai trò ký, cũng như giờ của máy tính.", reason=reason),
            "", "warning")])


def online_facts(api: Any, unit_code: str | None = None) -> OnlineFacts:
    """Registered signers and clock skew from the treasury; never raises.

    Unreachable: one ``online-not-checked`` warning. The signers list needs a
    login; when that fails the clock may still be known.
    """
    skew = clock_skew(api)
    if skew is None:
        return OnlineFacts.not_checked(tr("không kết nối được máy chủ Kho bạc"))
    facts = OnlineFacts(skew=skew, checked=True)
    problem = clock_problem(skew)
    if problem is not None:
        facts.problems.append(problem)
    try:
        facts.registered = list(api.signers(unit_code) if unit_code else api.signers())
    except KbnnError as exc:
        facts.problems.append(Problem(
            "signers-not-checked",
            tr("Không lấy được danh sách người ký đã đăng ký với Kho bạc ({error}); chưa "
               "kiểm tra được chứng thư số đã chọn có được đăng ký hay không.", error=exc.message),
            "", "warning"))
    return facts


# --------------------------------------------------------------------------- PIN flags


def pin_problems_before_asking(token: Any) -> list[Problem]:
    """What the token's flags say before a PIN is asked for: a locked PIN refuses
    (error), "final try" warns loudly, "count low" warns."""
    out = []
    if token.pin_locked:
        out.append(Problem("pin-locked", tr("Mã PIN của token đã bị khóa. Hãy liên hệ nhà cung "
                                            "cấp chữ ký số để mở khóa bằng mã PUK/SO PIN."),
                           token.label))
    elif token.pin_final_try:
        out.append(Problem("pin-final-try", tr("CẢNH BÁO: đây là lần thử PIN cuối cùng. Nhập "
                                               "sai, token sẽ bị khóa."), token.label, "warning"))
    elif token.pin_count_low:
        out.append(Problem("pin-count-low", tr("Lưu ý: token đã ghi nhận nhập sai PIN, còn ít "
                                               "lần thử."), token.label, "warning"))
    return out


def before_pin(candidate: Candidate, token: Any | None,
               online: OnlineFacts | None = None) -> list[Problem]:
    """Every problem known before the PIN for this certificate on this token, errors
    first: certificate validity and usage, unit, registration, PIN flags, clock.

    ``token`` is the token's ``TokenInfo`` (``None``: the token is gone);
    ``online=None`` means the treasury was not asked at all (a warning).
    """
    problems = list(candidate.problems)
    if token is None:
        problems.append(Problem(
            "token-removed", tr("Không thấy token «{token}». Hãy cắm lại token rồi thử lại.",
                                token=candidate.entry.token_label), candidate.entry.token_label))
    else:
        problems += pin_problems_before_asking(token)
    facts = online if online is not None else OnlineFacts.not_checked(
        tr("đang làm việc ngoại tuyến"))
    problems += [p for p in facts.problems if p not in problems]
    return sorted(problems, key=lambda p: p.severity != "error")
