"""Every rule of package-format.md §2, for both document kinds.

``validate(doc)`` returns a list of ``Problem`` (empty = valid). Each problem has
a stable kebab-case ``code``, a ``where`` path such as ``lines[3].account`` and
a Vietnamese message that names the line and column as the accountant sees
them on the printed form ("Dòng 4, cột «Số tài khoản»: …").
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
import uuid
from typing import Any

from client.documents.model import (
    ACCOUNT_KINDS,
    FORMAT,
    KIND_SALARY,
    KIND_VOUCHERS,
    KINDS,
    PART_KEYS,
    PART_LABELS,
    PURPOSES,
)
from client.errors import Problem
from client.i18n import tr
from client.money import amount_in_words, format_vnd

MAX_LINES = 50_000

HEADER_LABELS: dict[str, str] = {
    "format": "Định dạng",
    "kind": "Loại bảng kê",
    "id": "Mã định danh tài liệu",
    "number": "Số",
    "date": "Ngày lập",
    "unit": "Thông tin đơn vị",
    "unit.code": "Mã đơn vị",
    "unit.name": "Đơn vị sử dụng ngân sách",
    "unit.treasury": "Kho bạc nơi mở tài khoản",
    "unit.account": "Tài khoản thanh toán của đơn vị",
    "unit.account_kind": "Loại tài khoản (dự toán/tiền gửi)",
    "payment_order": "Giấy rút dự toán/Ủy nhiệm chi",
    "payment_order.number": "Số Giấy rút dự toán/Ủy nhiệm chi",
    "payment_order.date": "Ngày Giấy rút dự toán/Ủy nhiệm chi",
    "currency": "Loại tiền",
    "lines": "Các dòng chi tiết",
    "total": "Tổng cộng",
    "total_in_words": "Tổng số tiền bằng chữ",
    "prepared_by": "Người lập bảng",
    "period": "Kỳ thanh toán",
    "period.year": "Năm",
    "period.month": "Tháng",
    "changes": "Thuyết minh thay đổi so với tháng trước",
    "changes.explanation": "Thuyết minh thay đổi so với tháng trước",
    "changes.difference": "Chênh lệch so với tháng trước",
    "purpose": "Thanh toán/Tạm ứng",
    "budget": "Mã ngân sách",
    "budget.chapter": "Mã chương",
    "budget.sector": "Mã ngành kinh tế",
    "budget.source": "Mã nguồn NSNN",
    "budget.program": "Mã CTMT, dự án",
}

LINE_LABELS: dict[str, str] = {
    "no": "STT",
    "group": "Nhóm",
    "name": "Họ và tên",
    "account": "Số tài khoản",
    "bank": "Tên ngân hàng",
    "amount": "Tổng số",
    "parts": "Trong đó",
    "note": "Ghi chú",
    "voucher": "Chứng từ",
    "voucher.number": "Số chứng từ",
    "voucher.date": "Ngày chứng từ",
    "description": "Nội dung chi",
    "ndkt": "Mã NDKT",
}
LINE_LABELS.update({f"parts.{k}": v for k, v in PART_LABELS.items()})

_LINE_PATH = re.compile(r"lines\[(\d+)\](?:\.(.+))?$")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WORD_VARIANTS = [
    {"zero_tens": z, "four": f, "thousand": t}
    for z in ("linh", "lẻ") for f in ("tư", "bốn") for t in ("nghìn", "ngàn")
]


def _type_vi(value: Any) -> str:
    if value is None:
        return tr("null (để trống)")
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return tr("số nguyên")
    if isinstance(value, float):
        return tr("số thập phân")
    if isinstance(value, str):
        return tr("chữ")
    if isinstance(value, list):
        return tr("danh sách")
    if isinstance(value, dict):
        return tr("đối tượng")
    return type(value).__name__


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    if len(text) > 40:
        text = text[:39] + "…"
    return f"«{text}»"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _valid_date(value: Any) -> _dt.date | None:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return None
    try:
        return _dt.date.fromisoformat(value)
    except ValueError:
        return None


def place(where: str, kind: str | None = None) -> str:
    """How an accountant reads ``where``: "Dòng 4, cột «Số tài khoản»" or "Mục «Mã đơn vị»"."""
    m = _LINE_PATH.match(where)
    if m:
        line = int(m.group(1)) + 1
        field = m.group(2)
        if not field:
            return tr("Dòng {line}", line=line)
        if field == "amount" and kind == KIND_VOUCHERS:
            label = tr("Số tiền")
        else:
            label = tr(LINE_LABELS[field]) if field in LINE_LABELS else field
        return tr("Dòng {line}, cột «{label}»", line=line, label=label)
    if where in HEADER_LABELS:
        return tr("Mục «{label}»", label=tr(HEADER_LABELS[where]))
    return tr("Trường «{where}»", where=where) if where else tr("Tài liệu")


class _Checker:
    def __init__(self, doc: dict) -> None:
        self.doc = doc
        kind = doc.get("kind")
        self.kind = kind if kind in KINDS else None
        self.problems: list[Problem] = []

    # -- reporting -------------------------------------------------------
    def add(self, code: str, where: str, detail: str) -> None:
        self.problems.append(Problem(code, f"{place(where, self.kind)}: {detail}.", where))

    # -- field helpers ---------------------------------------------------
    def get(self, obj: dict, key: str, prefix: str) -> tuple[bool, Any]:
        where = f"{prefix}.{key}" if prefix else key
        if key not in obj:
            self.add("field-missing", where, tr("thiếu thông tin này"))
            return False, None
        return True, obj[key]

    def text(self, obj: dict, key: str, prefix: str = "", *, min_len: int = 0,
             max_len: int | None = None) -> str | None:
        where = f"{prefix}.{key}" if prefix else key
        ok, value = self.get(obj, key, prefix)
        if not ok:
            return None
        if not isinstance(value, str):
            self.add("field-type", where, tr("phải là chữ, đang là {type} {value}",
                                             type=_type_vi(value), value=_show(value)))
            return None
        if len(value.strip()) < min_len:
            self.add("text-empty", where, tr("không được để trống"))
            return None
        if max_len is not None and len(value) > max_len:
            self.add("text-too-long", where,
                     tr("dài {length} ký tự, tối đa {max_len} ký tự", length=len(value),
                        max_len=max_len))
        return value

    def integer(self, obj: dict, key: str, prefix: str = "") -> int | None:
        where = f"{prefix}.{key}" if prefix else key
        ok, value = self.get(obj, key, prefix)
        if not ok:
            return None
        if not _is_int(value):
            self.add("field-type", where,
                     tr("phải là số nguyên đồng, đang là {type} {value}", type=_type_vi(value),
                        value=_show(value)))
            return None
        return value

    def obj(self, container: dict, key: str, prefix: str = "", *,
            nullable: bool = False) -> dict | None:
        where = f"{prefix}.{key}" if prefix else key
        ok, value = self.get(container, key, prefix)
        if not ok or (nullable and value is None):
            return None
        if not isinstance(value, dict):
            self.add("field-type", where, tr("phải là một đối tượng, đang là {type}",
                                             type=_type_vi(value)))
            return None
        return value

    def date(self, obj: dict, key: str, prefix: str = "") -> _dt.date | None:
        where = f"{prefix}.{key}" if prefix else key
        value = self.text(obj, key, prefix)
        if value is None:
            return None
        parsed = _valid_date(value)
        if parsed is None:
            self.add("date-invalid", where,
                     tr("ngày phải viết dạng NNNN-TT-NN và là ngày có thật (đang là {value})",
                        value=_show(value)))
        return parsed

    def digits(self, obj: dict, key: str, prefix: str, count: int, code: str) -> str | None:
        where = f"{prefix}.{key}" if prefix else key
        value = self.text(obj, key, prefix)
        if value is None:
            return None
        if not re.fullmatch(rf"[0-9]{{{count}}}", value):
            self.add(code, where, tr("phải gồm đúng {count} chữ số (đang là {value})",
                                        count=count, value=_show(value)))
            return None
        return value

    # -- the document ------------------------------------------------------
    def run(self) -> list[Problem]:
        doc = self.doc
        self.nfc(doc, "")
        ok, fmt = self.get(doc, "format", "")
        if ok and fmt != FORMAT:
            self.add("format-invalid", "format", tr("phải là «{format}» (đang là {value})",
                                                          format=FORMAT, value=_show(fmt)))
        ok, kind = self.get(doc, "kind", "")
        if ok and kind not in KINDS:
            self.add("kind-invalid", "kind",
                     tr("phải là «{salary}» hoặc «{vouchers}» (đang là {value})",
                        salary=KIND_SALARY, vouchers=KIND_VOUCHERS, value=_show(kind)))
        doc_id = self.text(doc, "id")
        if doc_id is not None:
            try:
                uuid.UUID(doc_id)
            except ValueError:
                self.add("id-invalid", "id", tr("phải là một UUID (đang là {value})",
                                                     value=_show(doc_id)))
        number = self.text(doc, "number")
        if number is not None and not (number.strip() and len(number) <= 30):
            self.add("number-invalid", "number",
                     tr("số của bảng kê phải có từ 1 đến 30 ký tự (đang là {value})",
                        value=_show(number)))
        doc_date = self.date(doc, "date")
        self.check_unit()
        order = self.obj(doc, "payment_order", nullable=True)
        if order is not None:
            self.text(order, "number", "payment_order", min_len=1, max_len=30)
            self.date(order, "date", "payment_order")
        ok, currency = self.get(doc, "currency", "")
        if ok and currency != "VND":
            self.add("currency-invalid", "currency", tr("phải là «VND» (đang là {value})",
                                                              value=_show(currency)))
        self.text(doc, "prepared_by", min_len=1, max_len=200)
        if kind == KIND_SALARY:
            self.check_salary_header()
        elif kind == KIND_VOUCHERS:
            self.check_voucher_header()
        amounts = self.check_lines(doc_date)
        self.check_total(amounts)
        return self.problems

    def nfc(self, value: Any, where: str) -> None:
        if isinstance(value, str):
            if not unicodedata.is_normalized("NFC", value):
                self.add("text-not-nfc", where,
                         tr("chữ chưa ở dạng Unicode dựng sẵn (NFC); hãy nhập lại hoặc chuẩn hóa"))
        elif isinstance(value, dict):
            for k, v in value.items():
                sub = f"{where}.{k}" if where else str(k)
                if isinstance(k, str) and not unicodedata.is_normalized("NFC", k):
                    self.add("text-not-nfc", sub, tr("tên trường chưa ở dạng Unicode NFC"))
                self.nfc(v, sub)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.nfc(v, f"{where}[{i}]")

    def check_unit(self) -> None:
        unit = self.obj(self.doc, "unit")
        if unit is None:
            return
        self.digits(unit, "code", "unit", 7, "unit-code-invalid")
        self.text(unit, "name", "unit", min_len=1, max_len=200)
        self.text(unit, "treasury", "unit", min_len=1, max_len=200)
        account = self.text(unit, "account", "unit")
        if account is not None and not re.fullmatch(r"[0-9]+(?:\.[0-9]+)*", account):
            self.add("unit-account-invalid", "unit.account",
                     tr("chỉ gồm chữ số, có thể ngăn cách bằng dấu chấm, ví dụ 9523.1.1047665 "
                        "(đang là {value})", value=_show(account)))
        ok, kind = self.get(unit, "account_kind", "unit")
        if ok and kind not in ACCOUNT_KINDS:
            self.add("account-kind-invalid", "unit.account_kind",
                     tr("phải là «estimate» (tài khoản dự toán) hoặc «deposit» (tài khoản tiền gửi) "
                        "(đang là {value})", value=_show(kind)))

    def check_salary_header(self) -> None:
        period = self.obj(self.doc, "period")
        if period is not None:
            year = self.integer(period, "year", "period")
            if year is not None and not 2000 <= year <= 2100:
                self.add("period-invalid", "period.year",
                         tr("năm phải từ 2000 đến 2100 (đang là {year})", year=year))
            month = self.integer(period, "month", "period")
            if month is not None and not 1 <= month <= 12:
                self.add("period-invalid", "period.month",
                         tr("tháng phải từ 1 đến 12 (đang là {month})", month=month))
        changes = self.obj(self.doc, "changes", nullable=True)
        if changes is not None:
            self.text(changes, "explanation", "changes")
            self.integer(changes, "difference", "changes")

    def check_voucher_header(self) -> None:
        ok, purpose = self.get(self.doc, "purpose", "")
        if ok and purpose not in PURPOSES:
            self.add("purpose-invalid", "purpose",
                     tr("phải là «payment» (thanh toán) hoặc «advance» (tạm ứng) "
                        "(đang là {value})", value=_show(purpose)))
        budget = self.obj(self.doc, "budget")
        if budget is not None:
            for key, count in (("chapter", 3), ("sector", 3), ("source", 2), ("program", 5)):
                self.digits(budget, key, "budget", count, "budget-code-invalid")

    # -- lines -------------------------------------------------------------
    def check_lines(self, doc_date: _dt.date | None) -> list[int] | None:
        """Check every line; return the amounts if all are integers."""
        ok, lines = self.get(self.doc, "lines", "")
        if not ok:
            return None
        if not isinstance(lines, list):
            self.add("field-type", "lines", tr("phải là danh sách, đang là {type}",
                                                     type=_type_vi(lines)))
            return None
        if not lines:
            self.add("lines-empty", "lines", tr("bảng phải có ít nhất 1 dòng"))
        if len(lines) > MAX_LINES:
            self.add("lines-too-many", "lines",
                     tr("tối đa {max_lines} dòng một bảng (đang có {count})",
                        max_lines=MAX_LINES, count=len(lines)))
        amounts: list[int] | None = []
        for i, line in enumerate(lines):
            prefix = f"lines[{i}]"
            if not isinstance(line, dict):
                self.add("field-type", prefix, tr("mỗi dòng phải là một đối tượng, đang là {type}",
                                                  type=_type_vi(line)))
                amounts = None
                continue
            no = self.integer(line, "no", prefix)
            if no is not None and no != i + 1:
                self.add("line-number-sequence", f"{prefix}.no",
                         tr("số thứ tự phải là {expected} (các dòng đánh số 1, 2, 3… liên tục), "
                            "đang là {no}", expected=i + 1, no=no))
            if self.kind == KIND_SALARY:
                amount = self.check_salary_line(line, prefix)
            elif self.kind == KIND_VOUCHERS:
                amount = self.check_voucher_line(line, prefix, doc_date)
            else:
                amount = self.positive_amount(line, prefix)
            if amount is None:
                amounts = None
            elif amounts is not None:
                amounts.append(amount)
        return amounts

    def positive_amount(self, line: dict, prefix: str) -> int | None:
        amount = self.integer(line, "amount", prefix)
        if amount is not None and amount <= 0:
            self.add("amount-not-positive", f"{prefix}.amount",
                     tr("số tiền phải lớn hơn 0 (đang là {amount})", amount=format_vnd(amount)))
        return amount

    def check_salary_line(self, line: dict, prefix: str) -> int | None:
        self.text(line, "group", prefix)
        self.text(line, "name", prefix, min_len=1, max_len=200)
        account = self.text(line, "account", prefix)
        if account is not None and not account.strip():
            self.add("account-missing", f"{prefix}.account",
                     tr("chưa có số tài khoản người hưởng"))
        elif account is not None and not re.fullmatch(r"[0-9]{6,19}", account):
            self.add("account-invalid", f"{prefix}.account",
                     tr("số tài khoản phải có 6–19 chữ số (đang là {value})",
                        value=_show(account)))
        self.text(line, "bank", prefix, min_len=1, max_len=200)
        self.text(line, "note", prefix)
        amount = self.positive_amount(line, prefix)
        parts = self.obj(line, "parts", prefix)
        if parts is None:
            return amount
        values: list[int] | None = []
        for key in PART_KEYS:
            value = self.integer(parts, key, f"{prefix}.parts")
            if value is None:
                values = None
            elif value < 0:
                self.add("part-negative", f"{prefix}.parts.{key}",
                         tr("không được âm (đang là {amount})", amount=format_vnd(value)))
            if values is not None and value is not None:
                values.append(value)
        for key in parts:
            if key not in PART_KEYS:
                self.add("part-unknown", f"{prefix}.parts.{key}",
                         tr("cột «Trong đó» không có mục «{key}»", key=key))
        if amount is not None and values is not None and sum(values) != amount:
            self.add("amount-not-sum-of-parts", f"{prefix}.amount",
                     tr("số tiền {amount} khác tổng các cột «Trong đó» {parts} (chênh lệch {diff})",
                        amount=format_vnd(amount), parts=format_vnd(sum(values)),
                        diff=format_vnd(amount - sum(values))))
        return amount

    def check_voucher_line(self, line: dict, prefix: str,
                           doc_date: _dt.date | None) -> int | None:
        voucher = self.obj(line, "voucher", prefix)
        if voucher is not None:
            self.text(voucher, "number", f"{prefix}.voucher", min_len=1, max_len=30)
            vdate = self.date(voucher, "date", f"{prefix}.voucher")
            if vdate is not None and doc_date is not None and vdate > doc_date:
                self.add("voucher-date-after-document", f"{prefix}.voucher.date",
                         tr("ngày chứng từ {vdate:%d/%m/%Y} sau ngày lập bảng kê "
                            "{doc_date:%d/%m/%Y}", vdate=vdate, doc_date=doc_date))
        self.text(line, "description", prefix, min_len=1, max_len=500)
        ndkt = self.text(line, "ndkt", prefix)
        if ndkt is not None and not (re.fullmatch(r"[0-9]{4}", ndkt) and 6000 <= int(ndkt) <= 9999):
            self.add("ndkt-invalid", f"{prefix}.ndkt",
                     tr("mã NDKT (tiểu mục) chi phải gồm 4 chữ số từ 6000 đến 9999 "
                        "(đang là {value})", value=_show(ndkt)))
        return self.positive_amount(line, prefix)

    # -- total -------------------------------------------------------------
    def check_total(self, amounts: list[int] | None) -> None:
        total = self.integer(self.doc, "total")
        if total is not None and amounts is not None and sum(amounts) != total:
            self.add("total-mismatch", "total",
                     tr("ghi {total} đồng nhưng cộng các dòng được {lines} đồng",
                        total=format_vnd(total), lines=format_vnd(sum(amounts))))
        words = self.text(self.doc, "total_in_words")
        if words is None or total is None:
            return
        normal = unicodedata.normalize("NFC", words)
        if all(normal != amount_in_words(total, **v) for v in _WORD_VARIANTS):
            self.add("words-mismatch", "total_in_words",
                     tr("{words} không đọc đúng tổng cộng {total}; phải là «{expected}»",
                        words=_show(words), total=format_vnd(total),
                        expected=amount_in_words(total)))


def validate(doc: dict) -> list[Problem]:
    """All problems of ``doc`` against package-format.md §2; empty list = valid."""
    if not isinstance(doc, dict):
        return [Problem("not-an-object", tr("Tài liệu phải là một đối tượng JSON."), "")]
    return _Checker(doc).run()
