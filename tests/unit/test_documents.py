"""client.documents: building, validating (package-format §2), serialising, parsing."""

from __future__ import annotations

import copy
import json
import unicodedata
import uuid
from collections.abc import Callable

import pytest

from client import documents
from client.documents import (
    FORMAT,
    KINDS,
    PART_KEYS,
    group_lines,
    new_salary_table,
    new_voucher_list,
    parse,
    serialize,
    summary,
    validate,
)
from client.errors import InvalidInput, Problem

UNIT = {"code": "1047665", "name": "Trường Tiểu học Kim Đồng", "treasury": "KBNN Đống Đa",
        "account": "9523.1.1047665", "account_kind": "estimate"}
DOC_ID = "0b9f1d3e-6c1a-4d52-8f36-2a9e5b7c4d10"


def salary_doc(**overrides: object) -> dict:
    lines = [
        {"name": "Nguyễn Văn An", "account": "0011 004-387.215", "bank": "Vietcombank - CN Hà Nội",
         "amount": 9_000_000, "group": "I. Công chức"},
        {"name": "Trần Thị Bình", "account": "101867204519", "bank": "VietinBank",
         "parts": {"salary": 7_000_000, "extra_income": 800_000}, "group": "I. Công chức",
         "note": "Phó hiệu trưởng"},
        {"name": "Lê Văn Cường", "account": "12010004735186", "bank": "BIDV",
         "amount": 5_150_000, "parts": {"contract_wage": 5_150_000},
         "group": "II. Hợp đồng lao động"},
        {"name": "Phạm Thị Dung", "account": "1500205318842", "bank": "Agribank",
         "amount": 1_500_000, "group": "I. Công chức"},
    ]
    kwargs: dict = dict(unit=UNIT, number="09/2026", date="2026-10-25",
                        period={"year": 2026, "month": 10}, lines=lines,
                        prepared_by="Đỗ Thị Hằng", payment_order={"number": "123",
                                                                  "date": "2026-10-25"},
                        changes={"explanation": "Thêm 1 người", "difference": 1_500_000},
                        doc_id=DOC_ID)
    kwargs.update(overrides)
    return new_salary_table(**kwargs)


def voucher_doc(**overrides: object) -> dict:
    kwargs: dict = dict(
        unit=UNIT, number="BK-07/10", date="2026-10-20", purpose="payment",
        budget={"chapter": "622", "sector": "072", "source": "13", "program": "00000"},
        lines=[
            {"voucher": {"number": "0001234", "date": "2026-10-05"},
             "description": "Mua văn phòng phẩm", "ndkt": "6551", "amount": 1_250_000},
            {"voucher": {"number": "0001240", "date": "2026-10-20"},
             "description": "Tiền điện tháng 9", "ndkt": 6501, "amount": 3_400_000},
        ],
        prepared_by="Đỗ Thị Hằng", doc_id=DOC_ID)
    kwargs.update(overrides)
    return new_voucher_list(**kwargs)


def codes(problems: list[Problem]) -> list[tuple[str, str]]:
    return [(p.code, p.where) for p in problems]


# -- building -------------------------------------------------------------------------------

def test_constants() -> None:
    assert FORMAT == "kbnn-document/1"
    assert KINDS == ("salary-table", "voucher-list")
    assert PART_KEYS == ("salary", "contract_wage", "extra_income", "bonus", "other_allowance",
                         "lump_sum", "scholarship")


def test_new_salary_table_fills_everything() -> None:
    doc = salary_doc()
    assert doc["format"] == FORMAT and doc["kind"] == "salary-table"
    assert doc["id"] == DOC_ID and doc["currency"] == "VND"
    assert [line["no"] for line in doc["lines"]] == [1, 2, 3, 4]
    first, second, third = doc["lines"][:3]
    assert first["account"] == "0011004387215"
    assert first["parts"] == {"salary": 9_000_000, "contract_wage": 0, "extra_income": 0,
                              "bonus": 0, "other_allowance": 0, "lump_sum": 0, "scholarship": 0}
    assert second["amount"] == 7_800_000  # amount from parts when not given
    assert second["parts"]["extra_income"] == 800_000 and second["parts"]["bonus"] == 0
    assert third["parts"]["contract_wage"] == 5_150_000 and third["parts"]["salary"] == 0
    assert first["note"] == "" and second["note"] == "Phó hiệu trưởng"
    assert doc["total"] == 9_000_000 + 7_800_000 + 5_150_000 + 1_500_000
    assert doc["total_in_words"] == "Hai mươi ba triệu bốn trăm năm mươi nghìn đồng"
    assert validate(doc) == []


def test_new_ids_are_uuid4() -> None:
    doc = salary_doc(doc_id=None)
    assert uuid.UUID(doc["id"]).version == 4
    assert salary_doc(doc_id=None)["id"] != doc["id"]


def test_builder_normalises_text_to_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Hằng")
    doc = new_salary_table(unit={**UNIT, "name": unicodedata.normalize("NFD", UNIT["name"])},
                           number="1", date="2026-10-25", period={"year": 2026, "month": 10},
                           lines=[{"name": nfd, "account": "123456", "bank": "ACB",
                                   "amount": 1000, "group": unicodedata.normalize("NFD", "Nhóm")}],
                           prepared_by=nfd)
    assert doc["lines"][0]["name"] == "Nguyễn Thị Hằng"
    assert unicodedata.is_normalized("NFC", doc["lines"][0]["name"])
    assert doc["prepared_by"] == "Nguyễn Thị Hằng"
    assert doc["unit"]["name"] == UNIT["name"]
    assert doc["lines"][0]["group"] == "Nhóm"
    assert validate(doc) == []


def test_voucher_builder() -> None:
    doc = voucher_doc()
    assert doc["kind"] == "voucher-list"
    assert doc["lines"][1]["ndkt"] == "6501"  # an int code becomes its text
    assert doc["total"] == 4_650_000
    assert doc["purpose"] == "payment" and doc["budget"]["program"] == "00000"
    assert validate(doc) == []


def test_summary_and_group_lines() -> None:
    doc = salary_doc()
    assert summary(doc) == {"kind": "salary-table", "number": "09/2026", "total": 23_450_000,
                            "period": {"year": 2026, "month": 10}, "lines": 4, "id": DOC_ID}
    groups = group_lines(doc)
    assert [g for g, _ in groups] == ["I. Công chức", "II. Hợp đồng lao động"]
    assert [line["no"] for line in groups[0][1]] == [1, 2, 4]
    assert summary(voucher_doc())["period"] is None


# -- validation: each rule with a failing document ------------------------------------------

def _set(path: str, value: object) -> Callable[[dict], None]:
    def mutate(doc: dict) -> None:
        target = doc
        keys = path.replace("]", "").replace("[", ".").split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value
    return mutate


_DELETE = object()

SALARY_CASES = [
    ("format", "kbnn-document/2", "format-invalid", "format"),
    ("kind", "payroll", "kind-invalid", "kind"),
    ("id", "not-a-uuid", "id-invalid", "id"),
    ("number", "", "number-invalid", "number"),
    ("number", "x" * 31, "number-invalid", "number"),
    ("date", "2026-02-30", "date-invalid", "date"),
    ("date", "25/10/2026", "date-invalid", "date"),
    ("unit.code", "104766", "unit-code-invalid", "unit.code"),
    ("unit.code", "10476651", "unit-code-invalid", "unit.code"),
    ("unit.name", "", "text-empty", "unit.name"),
    ("unit.name", "x" * 201, "text-too-long", "unit.name"),
    ("unit.account", "9523-1", "unit-account-invalid", "unit.account"),
    ("unit.account_kind", "current", "account-kind-invalid", "unit.account_kind"),
    ("payment_order.date", "2026-13-01", "date-invalid", "payment_order.date"),
    ("payment_order", "123", "field-type", "payment_order"),
    ("currency", "USD", "currency-invalid", "currency"),
    ("prepared_by", _DELETE, "field-missing", "prepared_by"),
    ("period.month", 13, "period-invalid", "period.month"),
    ("period.year", 1999, "period-invalid", "period.year"),
    ("period.year", 2026.0, "field-type", "period.year"),
    ("changes.difference", "100", "field-type", "changes.difference"),
    ("lines", [], "lines-empty", "lines"),
    ("lines[1].no", 3, "line-number-sequence", "lines[1].no"),
    ("lines[0].no", True, "field-type", "lines[0].no"),
    ("lines[3].account", "12ab", "account-invalid", "lines[3].account"),
    ("lines[3].account", "12345", "account-invalid", "lines[3].account"),
    ("lines[3].account", "1" * 20, "account-invalid", "lines[3].account"),
    ("lines[3].account", "0011 004", "account-invalid", "lines[3].account"),
    ("lines[0].name", "  ", "text-empty", "lines[0].name"),
    ("lines[0].bank", "", "text-empty", "lines[0].bank"),
    ("lines[0].group", None, "field-type", "lines[0].group"),
    ("lines[0].note", _DELETE, "field-missing", "lines[0].note"),
    ("lines[0].parts.bonus", _DELETE, "field-missing", "lines[0].parts.bonus"),
    ("lines[0].parts.bonus", -1, "part-negative", "lines[0].parts.bonus"),
    ("lines[0].parts.overtime", 0, "part-unknown", "lines[0].parts.overtime"),
    ("lines[0].parts.salary", 8_999_999.0, "field-type", "lines[0].parts.salary"),
    ("lines[2].parts", [], "field-type", "lines[2].parts"),
    ("lines[0].name", unicodedata.normalize("NFD", "Nguyễn Văn An"), "text-not-nfc",
     "lines[0].name"),
]


@pytest.mark.parametrize(("path", "value", "code", "where"), SALARY_CASES)
def test_salary_rule(path: str, value: object, code: str, where: str) -> None:
    doc = salary_doc()
    _set(path, value)(doc)
    problems = validate(doc)
    assert (code, where) in codes(problems), problems
    for p in problems:
        assert p.message and p.message.endswith(".")
        assert p.severity == "error"


def test_amount_must_be_sum_of_parts() -> None:
    doc = salary_doc()
    doc["lines"][1]["amount"] = 7_900_000
    doc["total"] += 100_000
    doc["total_in_words"] = documents.model.amount_in_words(doc["total"])
    problems = validate(doc)
    assert codes(problems) == [("amount-not-sum-of-parts", "lines[1].amount")]
    assert problems[0].message.startswith("Dòng 2, cột «Tổng số»:")
    assert "7.900.000" in problems[0].message and "7.800.000" in problems[0].message


def test_amount_type_and_sign() -> None:
    doc = salary_doc()
    doc["lines"][0]["amount"] = 9_000_000.0
    assert ("field-type", "lines[0].amount") in codes(validate(doc))
    doc["lines"][0]["amount"] = "9000000"
    assert ("field-type", "lines[0].amount") in codes(validate(doc))
    doc = salary_doc()
    doc["lines"][0]["amount"] = 0
    doc["lines"][0]["parts"]["salary"] = 0
    assert ("amount-not-positive", "lines[0].amount") in codes(validate(doc))


def test_total_must_add_up() -> None:
    doc = salary_doc()
    doc["total"] += 1
    problems = validate(doc)
    assert ("total-mismatch", "total") in codes(problems)
    # the words then read the wrong total: reported too, separately
    assert ("words-mismatch", "total_in_words") in codes(problems)
    doc = salary_doc()
    doc["total"] = float(doc["total"])
    assert ("field-type", "total") in codes(validate(doc))
    doc = salary_doc()
    doc["total"] = True
    assert ("field-type", "total") in codes(validate(doc))


def test_words_must_read_total() -> None:
    doc = salary_doc()
    doc["total_in_words"] = "Hai mươi ba triệu đồng"
    problems = validate(doc)
    assert codes(problems) == [("words-mismatch", "total_in_words")]
    assert "Hai mươi ba triệu bốn trăm năm mươi nghìn đồng" in problems[0].message


def test_words_regional_variants_accepted() -> None:
    doc = salary_doc(lines=[{"name": "A", "account": "123456", "bank": "ACB", "amount": 1_024}])
    doc["total_in_words"] = "Một ngàn không trăm hai mươi bốn đồng"
    assert validate(doc) == []


def test_account_message_reads_like_the_form() -> None:
    doc = salary_doc()
    doc["lines"][3]["account"] = "12ab"
    problems = validate(doc)
    assert problems == [Problem(
        "account-invalid",
        "Dòng 4, cột «Số tài khoản»: số tài khoản phải có 6–19 chữ số (đang là «12ab»).",
        "lines[3].account")]


def test_header_message_names_the_field() -> None:
    doc = salary_doc()
    doc["unit"]["code"] = "12"
    (problem,) = validate(doc)
    assert problem.message.startswith("Mục «Mã đơn vị»: ")
    assert "7 chữ số" in problem.message


def test_missing_everything() -> None:
    problems = validate({})
    assert ("field-missing", "format") in codes(problems)
    assert ("field-missing", "lines") in codes(problems)
    assert all(p.message.endswith("thiếu thông tin này.") for p in problems)
    assert validate([])[0].code == "not-an-object"  # type: ignore[arg-type]


def test_too_many_lines() -> None:
    line = {"name": "A", "account": "123456", "bank": "ACB", "amount": 1}
    doc = salary_doc(lines=[line] * 50_001)
    assert ("lines-too-many", "lines") in codes(validate(doc))


VOUCHER_CASES = [
    ("purpose", "gift", "purpose-invalid", "purpose"),
    ("budget.chapter", "62", "budget-code-invalid", "budget.chapter"),
    ("budget.sector", "07a", "budget-code-invalid", "budget.sector"),
    ("budget.source", "131", "budget-code-invalid", "budget.source"),
    ("budget.program", "0", "budget-code-invalid", "budget.program"),
    ("lines[0].voucher.date", "2026-10-21", "voucher-date-after-document",
     "lines[0].voucher.date"),
    ("lines[0].voucher.date", "2026-10-32", "date-invalid", "lines[0].voucher.date"),
    ("lines[0].voucher.number", "", "text-empty", "lines[0].voucher.number"),
    ("lines[0].voucher.number", "x" * 31, "text-too-long", "lines[0].voucher.number"),
    ("lines[1].description", "", "text-empty", "lines[1].description"),
    ("lines[1].description", "x" * 501, "text-too-long", "lines[1].description"),
    ("lines[1].ndkt", "5999", "ndkt-invalid", "lines[1].ndkt"),
    ("lines[1].ndkt", "650", "ndkt-invalid", "lines[1].ndkt"),
    ("lines[1].ndkt", 6501, "field-type", "lines[1].ndkt"),
    ("lines[1].amount", -5, "amount-not-positive", "lines[1].amount"),
    ("lines[1].no", 1, "line-number-sequence", "lines[1].no"),
    ("budget", None, "field-type", "budget"),
]


@pytest.mark.parametrize(("path", "value", "code", "where"), VOUCHER_CASES)
def test_voucher_rule(path: str, value: object, code: str, where: str) -> None:
    doc = voucher_doc()
    _set(path, value)(doc)
    assert (code, where) in codes(validate(doc))


def test_voucher_messages_use_form_columns() -> None:
    doc = voucher_doc()
    doc["lines"][0]["voucher"]["date"] = "2026-11-01"
    doc["lines"][1]["ndkt"] = "1234"
    messages = [p.message for p in validate(doc)]
    assert messages[0] == ("Dòng 1, cột «Ngày chứng từ»: ngày chứng từ 01/11/2026 sau ngày lập "
                           "bảng kê 20/10/2026.")
    assert messages[1].startswith("Dòng 2, cột «Mã NDKT»: ")


def test_extension_fields_are_allowed() -> None:
    doc = salary_doc()
    doc["x_extension"] = {"any": "thing"}
    doc["lines"][0]["x_staff_id"] = "CB-001"
    assert validate(doc) == []


# -- serialise / parse ----------------------------------------------------------------------

def test_serialize_is_canonical() -> None:
    doc = salary_doc()
    data = serialize(doc)
    assert data.endswith(b"}\n") and not data.endswith(b"\n\n")
    assert "Nguyễn Văn An".encode() in data  # ensure_ascii=False
    assert b"\\u" not in data
    keys = list(json.loads(data))
    assert keys[:7] == ["format", "kind", "id", "number", "date", "period", "unit"]
    assert keys.index("lines") < keys.index("total") < keys.index("total_in_words")
    assert list(json.loads(data)["lines"][0]) == ["no", "group", "name", "account", "bank",
                                                   "amount", "parts", "note"]
    assert list(json.loads(data)["lines"][0]["parts"]) == list(PART_KEYS)
    assert b'\n  "format": "kbnn-document/1",\n' in data  # indent 2


def test_serialize_is_stable_whatever_the_dict_order() -> None:
    doc = salary_doc()
    shuffled = dict(reversed(list(copy.deepcopy(doc).items())))
    shuffled["lines"] = [dict(reversed(list(line.items()))) for line in shuffled["lines"]]
    assert serialize(shuffled) == serialize(doc)
    assert serialize(parse(serialize(doc))) == serialize(doc)
    assert parse(serialize(doc)) == doc


def test_serialize_normalises_nfc_and_sorts_unknown_keys() -> None:
    doc = salary_doc()
    doc["lines"][0]["name"] = unicodedata.normalize("NFD", "Nguyễn Văn An")
    doc["zz"] = 1
    doc["aa"] = 2
    data = serialize(doc)
    assert unicodedata.normalize("NFD", "Nguyễn").encode() not in data
    assert "Nguyễn Văn An".encode() in data
    keys = list(json.loads(data))
    assert keys[-2:] == ["aa", "zz"]


def test_serialize_refuses_nan() -> None:
    doc = salary_doc()
    doc["total"] = float("nan")
    with pytest.raises(ValueError):
        serialize(doc)


@pytest.mark.parametrize(("data", "code"), [
    (b"\xff\xfe{}", "not-utf8"),
    (b"{not json", "not-json"),
    (b"[1, 2]", "not-an-object"),
    (b'"text"', "not-an-object"),
    (b'{"a": 1, "a": 2}', "not-json"),
    (b'{"total": NaN}', "not-json"),
    ("\ufeff{}".encode(), "bom"),
    (b"[" * 100_000, "not-json"),
])
def test_parse_rejects(data: bytes, code: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse(data)
    assert info.value.problems[0].code == code
    assert "document.json" in info.value.message


def test_parse_reads_object() -> None:
    assert parse('{"a": "Đồng"}'.encode()) == {"a": "Đồng"}
