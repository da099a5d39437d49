"""The checks a document gets before it is signed: a registry every document kind shares.

``run_checks(doc, inputs)`` returns the contract's problems (``validate``)
followed by every registered check for the document's kind. Each problem is
an **error** (blocks signing) or a **warning** (signing needs a recorded
confirmation, see ``documents.confirmations``), has a stable ``code``, a
``where`` path (``lines[3].account``: line index 3, field ``account`` — see
``locate``) and a Vietnamese message naming the line and column as the
accountant sees them ("Dòng 4 (dòng 12 trong tệp), cột «Số tài khoản»: …").

A kind adds its own checks with ``@register(code, kinds=(KIND,), ...)``; a
check is a function ``(doc, inputs) -> Iterable[Problem]`` that builds its
problems with ``problem(...)``. Inputs that are not part of the document
(the payment order's amount, what else was submitted for the month, the row
numbers in the imported file) come in ``CheckInputs``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from client.documents.model import KIND_SALARY, KIND_VOUCHERS
from client.documents.validation import place, validate
from client.errors import Problem
from client.i18n import tr
from client.money import format_vnd

ERROR = "error"
WARNING = "warning"
_LINE_PATH = re.compile(r"lines\[(\d+)\](?:\.(.+))?$")


@dataclass(frozen=True)
class CheckInputs:
    """What the checks need besides the document itself."""

    payment_order_amount: int | None = None  # the Giấy rút dự toán / Ủy nhiệm chi total
    # documents of the same kind and period already beyond draft: {"local_id", "number", "state"}
    submitted: list[dict] = field(default_factory=list)
    source_rows: list[int] | None = None  # line index -> row number in the imported file
    source_name: str = ""  # the imported file's name, for messages
    known_bank: Callable[[str], bool] | None = None  # default: resources/banks.csv
    # other stored documents of the unit (any state): {"local_id", "number", "state", "document"}
    others: list[dict] = field(default_factory=list)
    catalogue: Any = None  # client.catalogue.Catalogue in use; default: the shipped one
    today: Any = None  # datetime.date the checks run on; default: today


CheckFn = Callable[[dict, CheckInputs], Iterable[Problem]]


@dataclass(frozen=True)
class Check:
    code: str
    title_vi: str  # the Vietnamese source text given to ``register`` (a ``tr`` template)
    kinds: tuple[str, ...]  # empty: every kind
    fn: CheckFn

    @property
    def title(self) -> str:
        """The check's title in the language of :mod:`client.i18n`, for a list of checks."""
        return tr(self.title_vi)


_REGISTRY: list[Check] = []


def register(code: str, *, title: str, kinds: tuple[str, ...] = ()) -> Callable[[CheckFn], CheckFn]:
    """Decorator: add a check (run for ``kinds``, or for every kind when empty)."""

    def add(fn: CheckFn) -> CheckFn:
        _REGISTRY[:] = [c for c in _REGISTRY if c.code != code]
        _REGISTRY.append(Check(code, title, tuple(kinds), fn))
        return fn

    return add


def registered(kind: str | None) -> list[Check]:
    """The checks a document of ``kind`` gets, in registration order."""
    return [c for c in _REGISTRY if not c.kinds or kind in c.kinds]


def locate(where: str) -> tuple[int | None, str | None]:
    """``"lines[3].parts.bonus"`` -> ``(3, "parts.bonus")``; ``"total"`` -> ``(None, "total")``."""
    m = _LINE_PATH.match(where or "")
    if m:
        return int(m.group(1)), m.group(2)
    return None, (where or None)


def where_vi(where: str, kind: str | None, inputs: CheckInputs | None = None) -> str:
    """Like ``validation.place`` plus the row in the imported file when known."""
    text = place(where, kind)
    index, _ = locate(where)
    rows = inputs.source_rows if inputs else None
    if index is not None and rows and index < len(rows):
        head = tr("Dòng {line}", line=index + 1)
        text = text.replace(head, tr("Dòng {line} (dòng {row} trong tệp)", line=index + 1,
                                     row=rows[index]), 1)
    return text


def problem(code: str, where: str, detail: str, *, severity: str = ERROR,
            kind: str | None = None, inputs: CheckInputs | None = None) -> Problem:
    """A problem whose message starts with where it is, as the accountant reads it."""
    return Problem(code, f"{where_vi(where, kind, inputs)}: {detail}.", where, severity)


def _with_source_rows(p: Problem, inputs: CheckInputs) -> Problem:
    index, _ = locate(p.where)
    rows = inputs.source_rows
    if index is None or not rows or index >= len(rows):
        return p
    head = tr("Dòng {line}", line=index + 1)
    with_row = tr("Dòng {line} (dòng {row} trong tệp)", line=index + 1, row=rows[index])
    if not p.message.startswith(head) or p.message.startswith(with_row[:len(head) + 2]):
        return p
    return replace(p, message=p.message.replace(head, with_row, 1))


def run_checks(doc: dict, inputs: CheckInputs | None = None) -> list[Problem]:
    """Every problem of ``doc``: the contract's, then each registered check's."""
    inputs = inputs or CheckInputs()
    problems = [_with_source_rows(p, inputs) for p in validate(doc)]
    if not isinstance(doc, dict):
        return problems
    kind = doc.get("kind")
    seen = {(p.code, p.where) for p in problems}
    for check in registered(kind if isinstance(kind, str) else None):
        for p in check.fn(doc, inputs):
            if (p.code, p.where) not in seen:
                seen.add((p.code, p.where))
                problems.append(p)
    return problems


def errors(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def warnings(problems: Iterable[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == WARNING]


def _lines(doc: dict) -> list[dict]:
    lines = doc.get("lines")
    return [x if isinstance(x, dict) else {} for x in lines] if isinstance(lines, list) else []


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _name_key(text: Any) -> str:
    if not isinstance(text, str):
        return ""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


# -- checks every kind gets ----------------------------------------------------------------------

@register("payment-order-amount-mismatch",
          title="Tổng cộng khớp số tiền Giấy rút dự toán/Ủy nhiệm chi")
def _check_payment_order(doc: dict, inputs: CheckInputs) -> Iterable[Problem]:
    expected = inputs.payment_order_amount
    total = _int(doc.get("total"))
    if expected is None or total is None or expected == total:
        return
    yield problem("payment-order-amount-mismatch", "total",
                  tr("{total} đồng khác số tiền trên Giấy rút dự toán/Ủy nhiệm chi "
                     "{expected} đồng (chênh lệch {diff} đồng)", total=format_vnd(total),
                     expected=format_vnd(expected), diff=format_vnd(total - expected)),
                  kind=doc.get("kind"), inputs=inputs)


def _strings(value: Any, where: str) -> Iterable[tuple[str, str]]:
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{where}[{i}]")


_SKIP_TEXT = {"format", "kind", "id", "currency", "date", "total_in_words", "purpose"}


@register("legacy-text", title="Không còn chữ ở bảng mã cũ (TCVN3, VNI)")
def _check_legacy(doc: dict, inputs: CheckInputs) -> Iterable[Problem]:
    from client.importers.legacy import convert, looks_legacy

    for key, value in doc.items():
        if key in _SKIP_TEXT:
            continue
        for where, text in _strings(value, key):
            encoding = looks_legacy(text)
            if encoding:
                yield problem("legacy-text", where,
                              tr("«{text}» có vẻ vẫn gõ ở bảng mã cũ {encoding} "
                                 "(đọc là «{converted}»); hãy sửa lại bằng Unicode", text=text,
                                 encoding=encoding, converted=convert(text, encoding)),
                              severity=WARNING, kind=doc.get("kind"), inputs=inputs)


# -- Mẫu 09 --------------------------------------------------------------------------------------

@register("account-duplicate", title="Một số tài khoản chỉ nhận một dòng",
          kinds=(KIND_SALARY,))
def _check_duplicate_accounts(doc: dict, inputs: CheckInputs) -> Iterable[Problem]:
    first: dict[str, int] = {}
    lines = _lines(doc)
    for i, line in enumerate(lines):
        account = line.get("account")
        if not isinstance(account, str) or not account:
            continue
        if account not in first:
            first[account] = i
            continue
        j = first[account]
        same_person = _name_key(line.get("name")) == _name_key(lines[j].get("name"))
        if same_person:
            yield problem("person-duplicate", f"lines[{i}].account",
                          tr("«{name}» với số tài khoản {account} đã có ở dòng {other}: một "
                             "người được trả hai lần?", name=line.get('name', ''),
                             account=account, other=j + 1),
                          severity=WARNING, kind=KIND_SALARY, inputs=inputs)
        else:
            yield problem("account-duplicate", f"lines[{i}].account",
                          tr("số tài khoản {account} trùng với dòng {other} («{other_name}»), "
                             "nhưng tên người hưởng khác («{name}»)", account=account,
                             other=j + 1, other_name=lines[j].get('name', ''),
                             name=line.get('name', '')), kind=KIND_SALARY, inputs=inputs)


@register("name-duplicate", title="Cùng họ tên ở hai dòng (kiểm tra người trùng tên)",
          kinds=(KIND_SALARY,))
def _check_duplicate_names(doc: dict, inputs: CheckInputs) -> Iterable[Problem]:
    first: dict[str, int] = {}
    lines = _lines(doc)
    for i, line in enumerate(lines):
        key = _name_key(line.get("name"))
        if not key:
            continue
        if key not in first:
            first[key] = i
            continue
        j = first[key]
        if lines[j].get("account") == line.get("account"):
            continue  # reported as person-duplicate
        yield problem("name-duplicate", f"lines[{i}].name",
                      tr("«{name}» trùng họ tên với dòng {other} (số tài khoản khác: "
                         "{other_account} và {account}); hãy chắc đây là hai người khác nhau",
                         name=line.get('name'), other=j + 1,
                         other_account=lines[j].get('account', ''),
                         account=line.get('account', '')),
                      severity=WARNING, kind=KIND_SALARY, inputs=inputs)


@register("bank-unknown", title="Tên ngân hàng nhận ra được", kinds=(KIND_SALARY,))
def _check_banks(doc: dict, inputs: CheckInputs) -> Iterable[Problem]:
    known = inputs.known_bank
    if known is None:
        from client.importers.banks import recognise

        def known(text: str) -> bool:
            return recognise(text) is not None

    verdicts: dict[str, bool] = {}
    for i, line in enumerate(_lines(doc)):
        bank = line.get("bank")
        if not isinstance(bank, str) or not bank.strip():
            continue
        if bank not in verdicts:
            verdicts[bank] = known(bank)
        if not verdicts[bank]:
            yield problem("bank-unknown", f"lines[{i}].bank",
                          tr("không nhận ra ngân hàng «{bank}» trong danh sách ngân hàng; hãy "
                             "kiểm tra tên ngân hàng", bank=bank), severity=WARNING, kind=KIND_SALARY,
                          inputs=inputs)


@register("month-already-submitted", title="Tháng này chưa có bảng lương đã ký/gửi",
          kinds=(KIND_SALARY,))
def _check_month(doc: dict, inputs: CheckInputs) -> Iterable[Problem]:
    if not inputs.submitted:
        return
    period = doc.get("period") if isinstance(doc.get("period"), dict) else {}
    others = ", ".join(tr("số {number} ({state})", number=d.get('number', ''),
                          state=d.get('state', '')) for d in inputs.submitted[:5])
    month = f"{period.get('month', '?')}/{period.get('year', '?')}"
    yield problem("month-already-submitted", "period",
                  tr("tháng {month} đã có bảng thanh toán được ký hoặc gửi Kho bạc: {others}. "
                     "Nếu đây là bảng bổ sung, hãy xác nhận", month=month, others=others), severity=WARNING, kind=KIND_SALARY,
                  inputs=inputs)


__all__ = [
    "ERROR", "WARNING", "Check", "CheckInputs", "KIND_SALARY", "KIND_VOUCHERS", "errors",
    "locate", "problem", "register", "registered", "run_checks", "warnings", "where_vi",
]


# Kinds whose checks live in their own package register them on import.
from client.vouchers import checks as _voucher_checks  # noqa: E402,F401
