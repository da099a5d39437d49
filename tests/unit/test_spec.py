"""The spec-driven importer pieces every kind shares (importers.spec) and pasting from Excel
(importers.clipboard), which the table editor uses."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from client.errors import UsageError
from client.importers.clipboard import parse_clipboard, paste_values
from client.importers.salary import SALARY_SPEC
from client.importers.spec import (
    Field,
    TableSpec,
    convert_cell,
    decimal_text,
    parse_mapping,
    row_role,
)
from client.importers.tabular import CellError, column_index, column_letter, heading_key


def test_mapping_accepts_keys_labels_and_headings() -> None:
    assert parse_mapping(["amount=E", "Họ và tên=Họ tên NV", "STK = C", "bonus=J"],
                         SALARY_SPEC) == {"amount": "E", "name": "Họ tên NV", "account": "C",
                                          "parts.bonus": "J"}
    with pytest.raises(UsageError, match="phải có dạng TRƯỜNG=CỘT"):
        parse_mapping(["amount"], SALARY_SPEC)
    with pytest.raises(UsageError, match="không có trường «lương cứng»"):
        parse_mapping(["lương cứng=E"], SALARY_SPEC)


@pytest.mark.parametrize(("text", "key"), [
    ("Họ và tên (2)", "ho va ten"), ("Số TK:", "so tk"), ("  Tên  Ngân hàng ", "ten ngan hang"),
    ("ĐƠN VỊ", "don vi"), ("Thực lĩnh (đồng)", "thuc linh"),
])
def test_heading_key(text: str, key: str) -> None:
    assert heading_key(text) == key


def test_column_names() -> None:
    assert [column_letter(i) for i in (0, 4, 25, 26, 701)] == ["A", "E", "Z", "AA", "ZZ"]
    assert column_index("ab") == 27
    with pytest.raises(ValueError):
        column_index("A1")


@pytest.mark.parametrize(("label", "role"), [
    ("Tổng cộng", "total"), ("TỔNG CỘNG:", "total"), ("Cộng", "subtotal"),
    ("Cộng nhóm I", "subtotal"), ("Số tiền bằng chữ: Mười đồng", "words"),
    ("Người lập bảng", "signature"), ("Hà Nội, ngày 25 tháng 7 năm 2026", "signature"),
    ("Kế toán trưởng", "signature"), ("Nguyễn Văn Cộng", None), ("", None),
])
def test_row_roles(label: str, role: str | None) -> None:
    assert row_role(label) == role


def test_cells_read_as_their_field_needs() -> None:
    amount = Field("amount", "Số tiền", kind="amount")
    assert convert_cell("12.345.678", amount) == (12_345_678, None)
    assert convert_cell("1,234,567 đ", amount) == (1_234_567, None)
    assert convert_cell(5_000_000.0, amount) == (5_000_000, None)
    with pytest.raises(CellError, match="số nguyên đồng"):
        convert_cell(1234.5, amount)
    account = Field("account", "Số tài khoản", kind="account")
    assert convert_cell("0071 000-123.456", account) == ("0071000123456", "0071 000-123.456")
    assert convert_cell(101867204519.0, account) == ("101867204519", None)
    with pytest.raises(CellError, match="quá 15 chữ số"):
        convert_cell(1.9036677889900123e16, account)
    coef = Field("coef", "Hệ số", kind="decimal")
    assert convert_cell("4,98", coef) == ("4.98", None)
    assert convert_cell(4.98, coef) == ("4.98", None)
    date = Field("date", "Ngày", kind="date")
    assert convert_cell("05/10/2026", date) == ("2026-10-05", None)
    assert convert_cell(dt.datetime(2026, 10, 5), date) == ("2026-10-05", None)
    with pytest.raises(CellError, match="không phải ngày có thật"):
        convert_cell("31/02/2026", date)
    code = Field("ndkt", "Mã NDKT", kind="code", digits=4)
    assert convert_cell(6001.0, code) == ("6001", None)
    assert convert_cell(72, Field("k", "Khoản", kind="code", digits=3)) == ("072", None)
    flag = Field("union", "Đoàn viên", kind="bool")
    assert convert_cell("x", flag) == (True, None) and convert_cell("", flag) == (False, None)
    with pytest.raises(CellError, match="có/không"):
        convert_cell("có lẽ", flag)


def test_decimal_text_is_exact() -> None:
    assert decimal_text(Fraction(249, 50)) == "4.98"
    assert decimal_text(Fraction(33, 25)) == "1.32"
    assert decimal_text(Fraction(-1, 8)) == "-0.125"
    assert decimal_text(Fraction(7)) == "7"


def test_a_kind_declares_its_own_spec() -> None:
    """Another kind (vouchers) reuses the machinery with its own fields."""
    spec = TableSpec("demo", (Field("number", "Số chứng từ", ("so chung tu", "so ct"),
                                    kind="code", required=True),
                              Field("amount", "Số tiền", ("so tien",), kind="amount")),
                     money_fields=("amount",), id_fields=("number",))
    assert spec.find_field("Số CT").key == "number"
    assert spec.find_field("amount").label == "Số tiền"
    assert spec.find_field("không có") is None


def test_clipboard_from_excel() -> None:
    text = 'Nguyễn Văn An\t0071 000 123 456\t"Vietcombank\nCN Sài Gòn"\t15.801.368\r\n' \
           "NguyÔn V¨n Hïng\t1010-2020\tBIDV\tabc\r\n"
    assert parse_clipboard(text)[0][2] == "Vietcombank\nCN Sài Gòn"
    result = paste_values(text, ["name", "account", "bank", "amount"], SALARY_SPEC)
    assert result.rows[0] == {"name": "Nguyễn Văn An", "account": "0071000123456",
                              "bank": "Vietcombank CN Sài Gòn", "amount": 15_801_368}
    assert result.rows[1]["name"] == "Nguyễn Văn Hùng"  # TCVN3 converted
    assert "amount" not in result.rows[1]
    (problem,) = result.problems
    assert problem.where == "r1.amount" and problem.message.startswith("Dòng dán thứ 2, cột D")


def test_clipboard_with_its_header_row_matches_by_heading() -> None:
    text = "Số tiền\tHọ và tên\n5.000.000\tTrần Thị Bình\n"
    result = paste_values(text, ["name", "account"], SALARY_SPEC)
    assert result.header_skipped and result.fields == ["amount", "name"]
    assert result.rows == [{"amount": 5_000_000, "name": "Trần Thị Bình"}]
    assert parse_clipboard("") == [] and parse_clipboard("một ô\n") == [["một ô"]]
