"""Checks of a voucher list (Mẫu 07), registered in the shared checks registry.

The contract's rules (codes' structure, amounts, a voucher dated after the
list, totals and words) come from ``documents.validate``; the text and
encoding checks every kind gets come from ``documents.checks``. Here:

- ``ndkt-unknown`` (warning): a well-formed code missing from the catalogue in
  use, naming its version; ``ndkt-group`` (error): a mục code where a tiểu
  mục is needed;
- ``payment-order-ndkt-mismatch`` / ``payment-order-ndkt-missing`` /
  ``payment-order-ndkt-extra`` (errors): subtotals by NDKT against the
  payment order's lines;
- ``voucher-repeated`` (error): the same voucher (number, date, amount) twice
  in this list; ``voucher-in-other-list``: already in another list of this
  unit (error when that list is signed or submitted, warning for a draft);
- ``advance-overdue`` (warning): unsettled advances past their due date;
  ``advance-settled-late`` / ``advance-unknown`` (warnings) on a payment list
  that settles advances.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable

from client.documents.checks import WARNING, CheckInputs, problem, register
from client.documents.model import KIND_VOUCHERS
from client.errors import Problem
from client.i18n import tr
from client.money import format_vnd
from client.vouchers.core import (
    advance_due,
    order_lines,
    subtotals,
    unsettled_advances,
    voucher_key,
)

_K = (KIND_VOUCHERS,)


def _p(code: str, where: str, detail: str, inputs: CheckInputs, *, warning: bool = False
       ) -> Problem:
    return problem(code, where, detail, severity=WARNING if warning else "error",
                   kind=KIND_VOUCHERS, inputs=inputs)


def _lines(doc: dict) -> list[dict]:
    lines = doc.get("lines")
    return [x if isinstance(x, dict) else {} for x in lines] if isinstance(lines, list) else []


def _catalogue(inputs: CheckInputs):
    if inputs.catalogue is not None:
        return inputs.catalogue
    from client.catalogue import shipped

    return shipped()


def _today(inputs: CheckInputs) -> _dt.date:
    return inputs.today if isinstance(inputs.today, _dt.date) else _dt.date.today()


@register("ndkt-catalogue", title="Mã NDKT có trong danh mục đang dùng", kinds=_K)
def _check_catalogue(doc: dict, inputs: CheckInputs) -> Iterable[Problem]:
    cat = _catalogue(inputs)
    verdicts: dict[str, tuple[str, str, str] | None] = {}
    for i, line in enumerate(_lines(doc)):
        code = line.get("ndkt")
        if not isinstance(code, str):
            continue
        if code not in verdicts:
            verdicts[code] = cat.check(code)
        found = verdicts[code]
        if found is None:
            continue
        pcode, severity, detail = found
        if pcode == "ndkt-invalid":
            continue  # malformed: validate() has said so already
        yield _p(pcode, f"lines[{i}].ndkt", detail, inputs, warning=severity == WARNING)


@register("payment-order-ndkt", title="Số tiền từng mã NDKT khớp Giấy rút dự toán", kinds=_K)
def _check_order_lines(doc: dict, inputs: CheckInputs) -> Iterable[Problem]:
    lines = order_lines(doc)
    if lines is None:
        return
    ours = {s["ndkt"]: s["amount"] for s in subtotals(doc)}
    first_line = {}
    for i, line in enumerate(_lines(doc)):
        first_line.setdefault(line.get("ndkt"), i)
    theirs: dict[str, tuple[int, int]] = {}  # ndkt -> (order line index, amount)

    def order_problem(code: str, j: int, detail: str) -> Problem:
        return Problem(code, tr("Giấy rút dự toán/Ủy nhiệm chi, dòng {line}: {detail}.",
                                line=j + 1, detail=detail),
                       f"payment_order.lines[{j}]")

    for j, ol in enumerate(lines):
        if not isinstance(ol, dict) or not isinstance(ol.get("ndkt"), str) \
                or not isinstance(ol.get("amount"), int) or isinstance(ol.get("amount"), bool):
            yield order_problem("payment-order-line-invalid", j,
                                tr("mỗi dòng cần mã NDKT (chữ) và số tiền (số nguyên đồng)"))
        elif ol["ndkt"] in theirs:
            yield order_problem("payment-order-line-invalid", j,
                                tr("mã NDKT {ndkt} ghi hai lần", ndkt=ol['ndkt']))
        else:
            theirs[ol["ndkt"]] = (j, ol["amount"])
    for code in sorted(set(ours) | set(theirs)):
        mine = ours.get(code)
        if code not in theirs:
            yield _p("payment-order-ndkt-missing", f"lines[{first_line[code]}].ndkt",
                     tr("bảng kê có mã NDKT {ndkt} (cộng {amount} đồng) nhưng Giấy rút dự "
                        "toán không có dòng mã này", ndkt=code, amount=format_vnd(mine)), inputs)
            continue
        j, order = theirs[code]
        if mine is None:
            yield order_problem("payment-order-ndkt-extra", j,
                                tr("mã NDKT {ndkt} ({amount} đồng) nhưng bảng kê không "
                                   "có chứng từ nào mã này", ndkt=code,
                                   amount=format_vnd(order)))
        elif mine != order:
            yield order_problem("payment-order-ndkt-mismatch", j,
                                tr("mã NDKT {ndkt} ghi {order} đồng nhưng bảng kê cộng "
                                   "{mine} đồng (chênh lệch {diff} đồng)", ndkt=code,
                                   order=format_vnd(order), mine=format_vnd(mine),
                                   diff=format_vnd(mine - order)))


def _other_vouchers(inputs: CheckInputs, doc: dict) -> dict[tuple, dict]:
    own_id = doc.get("id")
    found: dict[tuple, dict] = {}
    for other in inputs.others:
        odoc = other.get("document")
        if not isinstance(odoc, dict) or odoc.get("kind") != KIND_VOUCHERS:
            continue
        if own_id and odoc.get("id") == own_id or other.get("state") == "rejected":
            continue
        for n, line in enumerate(_lines(odoc), start=1):
            key = voucher_key(line)
            if key is not None and (key not in found or found[key]["state"] == "draft"):
                found[key] = {"number": odoc.get("number", ""), "line": n,
                              "state": other.get("state", "draft")}
    return found


@register("voucher-duplicate", title="Một chứng từ chỉ kê một lần", kinds=_K)
def _check_duplicates(doc: dict, inputs: CheckInputs) -> Iterable[Problem]:
    first: dict[tuple, int] = {}
    elsewhere = _other_vouchers(inputs, doc)
    for i, line in enumerate(_lines(doc)):
        key = voucher_key(line)
        if key is None:
            continue
        voucher = line["voucher"]
        shown = tr("chứng từ số {number} ngày {date} ({amount} đồng)",
                   number=voucher['number'], date=_dmy(voucher['date']),
                   amount=format_vnd(key[2]))
        if key in first:
            yield _p("voucher-repeated", f"lines[{i}].voucher.number",
                     tr("{voucher} đã kê ở dòng {line} của bảng này", voucher=shown,
                        line=first[key] + 1), inputs)
            continue
        first[key] = i
        other = elsewhere.get(key)
        if other is None:
            continue
        draft = other["state"] == "draft"
        state = tr("bản nháp") if draft else tr("đã ký/gửi, trạng thái «{state}»",
                                                 state=other['state'])
        yield _p("voucher-in-other-list", f"lines[{i}].voucher.number",
                 tr("{voucher} đã có ở dòng {line} của bảng kê số {number} ({state}); một "
                    "chứng từ chỉ được thanh toán một lần", voucher=shown, line=other['line'],
                    number=other['number'], state=state), inputs, warning=draft)


@register("advances", title="Tạm ứng được thanh toán đúng hạn", kinds=_K)
def _check_advances(doc: dict, inputs: CheckInputs) -> Iterable[Problem]:
    today = _today(inputs)
    others = [o for o in inputs.others
              if not (isinstance(o.get("document"), dict) and o["document"].get("id") == doc.get("id"))]
    if doc.get("purpose") == "advance":
        overdue = [a for a in unsettled_advances(others, today) if a["overdue"]]
        if overdue:
            listed = ", ".join(tr("số {number} (hạn {due})", number=a['number'],
                                  due=_dmy(a['due'])) for a in overdue[:5])
            yield _p("advance-overdue", "purpose",
                     tr("đơn vị còn {count} khoản tạm ứng quá hạn chưa thanh toán: {listed}",
                        count=len(overdue), listed=listed),
                     inputs, warning=True)
        return
    refs = doc.get("settles")
    if not isinstance(refs, list):
        return
    advances = {o["document"].get("number"): o["document"] for o in others
                if isinstance(o.get("document"), dict) and o["document"].get("purpose") == "advance"
                and o.get("state") not in ("draft", "rejected")}
    for j, ref in enumerate(refs):
        number = ref.get("number") if isinstance(ref, dict) else None
        adv = advances.get(number)
        if adv is None:
            yield _p("advance-unknown", f"settles[{j}]",
                     tr("không tìm thấy bảng kê tạm ứng số «{number}» đã ký/gửi của đơn vị",
                        number=number),
                     inputs, warning=True)
            continue
        due = advance_due(adv.get("date"))
        doc_date = doc.get("date")
        if due is not None and isinstance(doc_date, str) and doc_date > due.isoformat():
            yield _p("advance-settled-late", f"settles[{j}]",
                     tr("tạm ứng số {number} ngày {date} phải thanh toán chậm nhất ngày {due}, "
                        "bảng kê này lập ngày {doc_date}", number=number,
                        date=_dmy(adv.get('date')), due=_dmy(due.isoformat()),
                        doc_date=_dmy(doc_date)),
                     inputs, warning=True)


def _dmy(iso: str | None) -> str:
    try:
        return _dt.date.fromisoformat(iso or "").strftime("%d/%m/%Y")
    except ValueError:
        return str(iso)


__all__: list[str] = []
