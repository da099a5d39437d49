"""Labels for what the GUI shows (roles, kinds, states, verdicts).

Pure functions: the table models and the dialogs format through here. The
texts are Vietnamese in the source and translated through Qt's catalogues
(``translate("labels", ...)``; see :mod:`client.ui.i18n`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from client.money import format_vnd

translate = QCoreApplication.translate

VN_TZ = timezone(timedelta(hours=7))

ROLE_LABELS = {
    "chief-accountant": QT_TRANSLATE_NOOP("labels", "Kế toán trưởng"),
    "head-of-unit": QT_TRANSLATE_NOOP("labels", "Thủ trưởng đơn vị"),
}

KIND_LABELS = {
    "salary-table": QT_TRANSLATE_NOOP("labels", "Bảng thanh toán (Mẫu 09)"),
    "voucher-list": QT_TRANSLATE_NOOP("labels", "Bảng kê chứng từ (Mẫu 07)"),
}

DOCUMENT_STATE_LABELS = {
    "draft": QT_TRANSLATE_NOOP("labels", "Bản nháp — chờ Kế toán trưởng ký"),
    "signed-partial": QT_TRANSLATE_NOOP("labels", "Chờ Thủ trưởng đơn vị ký"),
    "signed": QT_TRANSLATE_NOOP("labels", "Đã ký đủ — chờ gửi"),
    "queued": QT_TRANSLATE_NOOP("labels", "Đang chờ gửi"),
    "sent": QT_TRANSLATE_NOOP("labels", "Đã gửi — Đã tiếp nhận"),
    "accepted": QT_TRANSLATE_NOOP("labels", "Đã kiểm soát, chờ thanh toán"),
    "rejected": QT_TRANSLATE_NOOP("labels", "Bị từ chối"),
    "paid": QT_TRANSLATE_NOOP("labels", "Đã thanh toán"),
}

TREASURY_STATUS_LABELS = {
    "received": QT_TRANSLATE_NOOP("labels", "Đã gửi — Đã tiếp nhận"),
    "accepted": QT_TRANSLATE_NOOP("labels", "Đã kiểm soát, chờ thanh toán"),
    "rejected": QT_TRANSLATE_NOOP("labels", "Bị từ chối"),
    "paid": QT_TRANSLATE_NOOP("labels", "Đã thanh toán"),
}

VERDICT_LABELS = {
    "valid": QT_TRANSLATE_NOOP("labels", "Hợp lệ"),
    "ok": QT_TRANSLATE_NOOP("labels", "Hợp lệ"),
    "passed": QT_TRANSLATE_NOOP("labels", "Hợp lệ"),
    "invalid": QT_TRANSLATE_NOOP("labels", "Không hợp lệ"),
    "failed": QT_TRANSLATE_NOOP("labels", "Không hợp lệ"),
    "indeterminate": QT_TRANSLATE_NOOP("labels", "Chưa xác định"),
    "unknown": QT_TRANSLATE_NOOP("labels", "Chưa xác định"),
    "warning": QT_TRANSLATE_NOOP("labels", "Hợp lệ (có cảnh báo)"),
}

try:  # the core's own table wins when it is there
    from client.app import STATE_LABELS_VI as _CORE_STATES

    DOCUMENT_STATE_LABELS.update(_CORE_STATES)
except Exception:  # pragma: no cover - the core is being written alongside
    pass


def role_label(role: str | None) -> str:
    if not role:
        return ""
    return translate("labels", ROLE_LABELS.get(role, role))


def kind_label(kind: str | None) -> str:
    return translate("labels", KIND_LABELS.get(kind or "", kind or ""))


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


def _vn_moment_text(value: object, fmt: str) -> str:
    """``value`` as a moment in Vietnam time, formatted with ``fmt`` (naive values are taken
    as they are; what is not a moment comes back as its text)."""
    moment = _as_datetime(value)
    if moment is None:
        return "" if value is None else str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(VN_TZ)
    return moment.strftime(fmt)


def time_label(value: object) -> str:
    """A moment as ``dd/mm/yyyy HH:MM`` in Vietnam time (naive values are taken as they are)."""
    return _vn_moment_text(value, "%d/%m/%Y %H:%M")


def date_label(value: object) -> str:
    return _vn_moment_text(value, "%d/%m/%Y")


def verdict_label(verdict: object) -> str:
    if verdict is True:
        return translate("labels", "Hợp lệ")
    if verdict is False:
        return translate("labels", "Không hợp lệ")
    key = str(verdict or "").strip().lower()
    return translate("labels", VERDICT_LABELS.get(key, str(verdict or "")))


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
            label = translate("labels", label)
            reason = getattr(outbox_item, "reason", None)
            if treasury == "rejected" and reason:
                label = f"{label}: {reason}"
            return label
        ob_state = getattr(outbox_item, "state", "") or ""
        if ob_state == "needs-attention":
            why = getattr(outbox_item, "reason", None) or getattr(outbox_item, "last_error", None)
            text = translate("labels", "Kho bạc không nhận, cần xử lý")
            return f"{text}: {why}" if why else text
        if ob_state in ("queued", "sending"):
            attempts = getattr(outbox_item, "attempts", 0) or 0
            if ob_state == "sending":
                return translate("labels", "Đang gửi Kho bạc…")
            if attempts:
                return translate("labels", "Đang chờ gửi (đã thử %1 lần)").replace("%1", str(attempts))
            return translate("labels", "Đang chờ gửi")
    return translate("labels", DOCUMENT_STATE_LABELS.get(state, state))


# What the outbox does with an item (local state), for the outbox view.
OUTBOX_STATE_LABELS = {
    "queued": QT_TRANSLATE_NOOP("labels", "Chờ gửi"),
    "retrying": QT_TRANSLATE_NOOP("labels", "Chờ gửi lại"),
    "sending": QT_TRANSLATE_NOOP("labels", "Đang gửi"),
    "sent": QT_TRANSLATE_NOOP("labels", "Đã gửi"),
    "needs-attention": QT_TRANSLATE_NOOP("labels", "Cần xử lý"),
    "cancelled": QT_TRANSLATE_NOOP("labels", "Đã hủy"),
}


def outbox_state_label(item: object) -> str:
    state = getattr(item, "state", "") or ""
    if state == "queued" and (getattr(item, "attempts", 0) or 0):
        state = "retrying"
    return translate("labels", OUTBOX_STATE_LABELS.get(state, state))


def treasury_status_label(status: str | None) -> str:
    if not status:
        return ""
    return translate("labels", TREASURY_STATUS_LABELS.get(status, status))
