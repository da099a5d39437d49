"""Vietnamese labels for what the GUI shows (roles, kinds, states, verdicts).

Pure functions, no Qt: the table model and the dialogs format through here.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from client.money import format_vnd

VN_TZ = timezone(timedelta(hours=7))

ROLE_LABELS = {
    "chief-accountant": "Kế toán trưởng",
    "head-of-unit": "Thủ trưởng đơn vị",
}

KIND_LABELS = {
    "salary-table": "Bảng thanh toán (Mẫu 09)",
    "voucher-list": "Bảng kê chứng từ (Mẫu 07)",
}

DOCUMENT_STATE_LABELS = {
    "draft": "Bản nháp — chờ Kế toán trưởng ký",
    "signed-partial": "Chờ Thủ trưởng đơn vị ký",
    "signed": "Đã ký đủ — chờ gửi",
    "queued": "Đang chờ gửi",
    "sent": "Đã gửi — Đã tiếp nhận",
    "accepted": "Đã kiểm soát, chờ thanh toán",
    "rejected": "Bị từ chối",
    "paid": "Đã thanh toán",
}

TREASURY_STATUS_LABELS = {
    "received": "Đã gửi — Đã tiếp nhận",
    "accepted": "Đã kiểm soát, chờ thanh toán",
    "rejected": "Bị từ chối",
    "paid": "Đã thanh toán",
}

VERDICT_LABELS = {
    "valid": "Hợp lệ",
    "ok": "Hợp lệ",
    "passed": "Hợp lệ",
    "invalid": "Không hợp lệ",
    "failed": "Không hợp lệ",
    "indeterminate": "Chưa xác định",
    "unknown": "Chưa xác định",
    "warning": "Hợp lệ (có cảnh báo)",
}

try:  # the core's own table wins when it is there
    from client.app import STATE_LABELS_VI as _CORE_STATES

    DOCUMENT_STATE_LABELS.update(_CORE_STATES)
except Exception:  # pragma: no cover - the core is being written alongside
    pass


def role_label(role: str | None) -> str:
    if not role:
        return ""
    return ROLE_LABELS.get(role, role)


def kind_label(kind: str | None) -> str:
    return KIND_LABELS.get(kind or "", kind or "")


def period_label(period: object) -> str:
    """``"2026-10"`` -> ``"10/2026"``; anything else as it is."""
    if isinstance(period, dict):
        y, m = period.get("year"), period.get("month")
        return f"{int(m):02d}/{y}" if y and m else ""
    text = str(period or "")
    parts = text.split("-")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        return f"{parts[1]}/{parts[0]}"
    return text


def money_label(total: object) -> str:
    if isinstance(total, int) and not isinstance(total, bool):
        return format_vnd(total)
    return "" if total is None else str(total)


def _as_datetime(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=VN_TZ)
    if isinstance(value, str) and value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def time_label(value: object) -> str:
    """A moment as ``dd/mm/yyyy HH:MM`` in Vietnam time (naive values are taken as they are)."""
    moment = _as_datetime(value)
    if moment is None:
        return "" if value is None else str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(VN_TZ)
    return moment.strftime("%d/%m/%Y %H:%M")


def date_label(value: object) -> str:
    moment = _as_datetime(value)
    if moment is None:
        return "" if value is None else str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(VN_TZ)
    return moment.strftime("%d/%m/%Y")


def verdict_label(verdict: object) -> str:
    if verdict is True:
        return "Hợp lệ"
    if verdict is False:
        return "Không hợp lệ"
    key = str(verdict or "").strip().lower()
    return VERDICT_LABELS.get(key, str(verdict or ""))


def verdict_is_good(verdict: object) -> bool | None:
    if isinstance(verdict, bool):
        return verdict
    key = str(verdict or "").strip().lower()
    if key in ("valid", "ok", "passed", "warning"):
        return True
    if key in ("invalid", "failed"):
        return False
    return None


def status_label(state: str, outbox_item: object | None = None) -> str:
    """What the "Trạng thái" column says: the treasury's word when there is one."""
    if outbox_item is not None:
        treasury = getattr(outbox_item, "treasury_status", None)
        if treasury:
            label = TREASURY_STATUS_LABELS.get(treasury) or getattr(outbox_item, "status_text", "") or treasury
            reason = getattr(outbox_item, "reason", None)
            if treasury == "rejected" and reason:
                label = f"{label}: {reason}"
            return label
        ob_state = getattr(outbox_item, "state", "") or ""
        if ob_state == "needs-attention":
            why = getattr(outbox_item, "reason", None) or getattr(outbox_item, "last_error", None)
            return f"Kho bạc không nhận, cần xử lý: {why}" if why else "Kho bạc không nhận, cần xử lý"
        if ob_state in ("queued", "sending"):
            attempts = getattr(outbox_item, "attempts", 0) or 0
            if ob_state == "sending":
                return "Đang gửi Kho bạc…"
            if attempts:
                return f"Đang chờ gửi (đã thử {attempts} lần)"
            return "Đang chờ gửi"
    return DOCUMENT_STATE_LABELS.get(state, state)
