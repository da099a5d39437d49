"""The checks before signing (documents.checks) and the recorded confirmations of warnings
(documents.confirmations): each names the line and column in Vietnamese; errors block signing,
warnings need a confirmation recorded for the exact document bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from client.documents import new_salary_table, serialize, summary
from client.documents.checks import CheckInputs, errors, locate, run_checks, warnings
from client.documents.confirmations import (
    confirm_warnings,
    require_signable,
    set_payment_order_amount,
    signing_gate,
)
from client.errors import InvalidInput
from client.store.db import connect
from client.store.documents import DocumentRepo

UNIT = {"code": "1047665", "name": "Trường Tiểu học Hòa Bình", "treasury": "KBNN Quận 1",
        "account": "9523.1.1047665", "account_kind": "estimate"}


def salary(lines: list[dict], month: int = 7) -> dict:
    return new_salary_table(unit=UNIT, number=f"{month:02d}/2026-BTT", date=f"2026-{month:02d}-25",
                            period={"year": 2026, "month": month}, lines=lines,
                            prepared_by="Đỗ Thị Hằng",
                            doc_id="6f1c7a52-3b8e-4c1d-9a47-0e5f2d8b9c10")


GOOD = [
    {"name": "Nguyễn Văn An", "account": "0071000123456", "bank": "Vietcombank",
     "amount": 15_801_368, "group": "I. Công chức"},
    {"name": "Trần Thị Bình", "account": "101020203030", "bank": "VietinBank",
     "amount": 11_792_355, "group": "I. Công chức"},
]


def by_where(problems) -> dict:
    return {(p.code, p.where): p for p in problems}


def test_a_clean_table_has_no_problem() -> None:
    assert run_checks(salary(GOOD)) == []


def test_each_check_names_line_and_column() -> None:
    lines = [dict(x) for x in GOOD] + [
        # same account, another name: an error
        {"name": "Lê Văn Cường", "account": "0071000123456", "bank": "Vietcombank",
         "amount": 1_000_000},
        # same person twice: a warning
        {"name": "Trần Thị Bình", "account": "101020203030", "bank": "VietinBank",
         "amount": 500_000},
        # malformed account, zero pay
        {"name": "Phạm Thu Hà", "account": "12-AB", "bank": "BIDV", "amount": 0},
        # the amount is not the sum of its parts
        {"name": "Võ Nam", "account": "555566667777", "bank": "Agribank", "amount": 3_000_000,
         "parts": {"salary": 2_000_000, "bonus": 500_000}},
        # same name, another account: a warning (two people with one name?)
        {"name": "Nguyễn Văn An", "account": "888899990000", "bank": "Ngân hàng Sao Hỏa",
         "amount": 2_000_000},
        # a name still in TCVN3
        {"name": "NguyÔn V¨n Hïng", "account": "777788889999", "bank": "BIDV",
         "amount": 2_000_000},
        # negative pay
        {"name": "Đỗ Minh", "account": "666677778888", "bank": "BIDV", "amount": -5},
    ]
    doc = salary(lines)
    problems = run_checks(doc, CheckInputs(payment_order_amount=30_000_000,
                                           source_rows=[11 + i for i in range(len(lines))]))
    found = by_where(problems)

    dup = found[("account-duplicate", "lines[2].account")]
    assert dup.severity == "error"
    assert dup.message.startswith("Dòng 3 (dòng 13 trong tệp), cột «Số tài khoản")
    assert "trùng với dòng 1" in dup.message
    assert found[("person-duplicate", "lines[3].account")].severity == "warning"
    account = next(p for p in problems if p.where == "lines[4].account")
    assert account.severity == "error" and "Dòng 5 (dòng 15 trong tệp)" in account.message
    zero = next(p for p in problems if p.where == "lines[4].amount")
    assert zero.severity == "error"
    parts = next(p for p in problems if p.where.startswith("lines[5]") and p.severity == "error")
    assert locate(parts.where)[0] == 5
    assert found[("name-duplicate", "lines[6].name")].severity == "warning"
    assert found[("bank-unknown", "lines[6].bank")].severity == "warning"
    legacy = found[("legacy-text", "lines[7].name")]
    assert legacy.severity == "warning" and "TCVN3" in legacy.message
    assert "Nguyễn Văn Hùng" in legacy.message
    negative = next(p for p in problems if p.where == "lines[8].amount")
    assert negative.severity == "error"
    order = found[("payment-order-amount-mismatch", "total")]
    assert order.severity == "error" and "30.000.000" in order.message
    # every message is Vietnamese and says where
    assert all(p.message[0].isupper() and p.message.endswith(".") for p in problems)


def test_month_already_submitted_is_a_warning() -> None:
    inputs = CheckInputs(submitted=[{"local_id": 4, "number": "07/2026-BTT", "state": "sent"}])
    problems = run_checks(salary(GOOD), inputs)
    assert [(p.code, p.severity) for p in problems] == [("month-already-submitted", "warning")]
    assert "tháng 7/2026" in problems[0].message and "07/2026-BTT" in problems[0].message


@pytest.fixture
def conn(tmp_path: Path):
    c = connect(tmp_path / "kbnn.sqlite3")
    yield c
    c.close()


def _store(conn, doc: dict) -> int:
    return DocumentRepo(conn).add_draft(serialize(doc), summary(doc), "Bảng lương")


def test_errors_block_signing_and_warnings_need_a_recorded_confirmation(conn) -> None:
    repo = DocumentRepo(conn)
    july = _store(conn, salary(GOOD))
    repo.set_state(july, "sent")
    # A second July table: the month was already submitted (a warning).
    extra = salary(GOOD + [{"name": "Hoàng Mai", "account": "555566667777",
                            "bank": "Ngân hàng Sao Hỏa", "amount": 2_340_000}])
    local_id = _store(conn, extra)
    gate = signing_gate(conn, local_id)
    assert not gate.ok and gate.errors == []
    assert sorted(p.code for p in gate.unconfirmed) == ["bank-unknown", "month-already-submitted"]
    with pytest.raises(InvalidInput, match="2 cảnh báo chưa được xác nhận"):
        require_signable(conn, local_id)
    assert confirm_warnings(conn, local_id, ["month-already-submitted"], "Đỗ Thị Hằng") == [
        "month-already-submitted"]
    assert [p.code for p in signing_gate(conn, local_id).unconfirmed] == ["bank-unknown"]
    confirm_warnings(conn, local_id, "all", "Đỗ Thị Hằng")
    gate = require_signable(conn, local_id)
    assert gate.ok and {c["by"] for c in gate.confirmed} == {"Đỗ Thị Hằng"}
    # The payment order's amount differs: an error, which no confirmation can lift.
    set_payment_order_amount(conn, local_id, 1_000)
    gate = signing_gate(conn, local_id)
    assert [p.code for p in gate.errors] == ["payment-order-amount-mismatch"]
    with pytest.raises(InvalidInput, match="1 lỗi phải sửa"):
        require_signable(conn, local_id)
    with pytest.raises(InvalidInput, match="không có cảnh báo payment-order-amount-mismatch"):
        confirm_warnings(conn, local_id, ["payment-order-amount-mismatch"], "Hằng")
    with pytest.raises(InvalidInput, match="người xác nhận"):
        confirm_warnings(conn, local_id, "all", " ")


def test_editing_the_document_drops_its_confirmations(conn) -> None:
    doc = salary(GOOD + [{"name": "Hoàng Mai", "account": "555566667777",
                          "bank": "Ngân hàng Sao Hỏa", "amount": 2_340_000}])
    local_id = _store(conn, doc)
    confirm_warnings(conn, local_id, "all", "Đỗ Thị Hằng")
    assert signing_gate(conn, local_id).ok
    edited = salary(doc["lines"][:2] + [dict(doc["lines"][2], amount=2_500_000, parts=None)])
    conn.execute("UPDATE documents SET document_json = ? WHERE local_id = ?",
                 (serialize(edited), local_id))
    assert [p.code for p in signing_gate(conn, local_id).unconfirmed] == ["bank-unknown"]


def test_errors_and_warnings_helpers() -> None:
    problems = run_checks(salary([dict(GOOD[0], account="x")]))
    assert errors(problems) and not warnings(problems)
