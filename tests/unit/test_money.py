"""client.money: amount in words (domain.md rules), formatting and parsing of đồng."""

from __future__ import annotations

import pytest

from client.money import amount_in_words, format_vnd, parse_vnd

# Every example of reference/domain.md, "Amount in words".
DOMAIN_EXAMPLES = [
    (0, "Không đồng"),
    (15, "Mười lăm đồng"),
    (21, "Hai mươi mốt đồng"),
    (105, "Một trăm linh năm đồng"),
    (1_005, "Một nghìn không trăm linh năm đồng"),
    (2_024, "Hai nghìn không trăm hai mươi tư đồng"),
    (1_500_000, "Một triệu năm trăm nghìn đồng"),
    (1_000_005, "Một triệu không trăm linh năm đồng"),
    (1_234_567_890, "Một tỷ hai trăm ba mươi tư triệu năm trăm sáu mươi bảy nghìn tám trăm "
                    "chín mươi đồng"),
    (10_000_000_021, "Mười tỷ không trăm hai mươi mốt đồng"),
    (1_000_000_000_000, "Một nghìn tỷ đồng"),
]


@pytest.mark.parametrize(("amount", "words"), DOMAIN_EXAMPLES)
def test_domain_examples(amount: int, words: str) -> None:
    assert amount_in_words(amount) == words


@pytest.mark.parametrize(("amount", "words"), [
    (1, "Một đồng"),
    (10, "Mười đồng"),
    (11, "Mười một đồng"),          # 1 after "mười" stays "một"
    (14, "Mười bốn đồng"),          # 14 is mười bốn, not tư
    (20, "Hai mươi đồng"),
    (24, "Hai mươi tư đồng"),
    (25, "Hai mươi lăm đồng"),
    (55, "Năm mươi lăm đồng"),
    (101, "Một trăm linh một đồng"),  # 1 after "linh" stays "một"
    (104, "Một trăm linh bốn đồng"),
    (110, "Một trăm mười đồng"),
    (115, "Một trăm mười lăm đồng"),
    (1_001, "Một nghìn không trăm linh một đồng"),
    (1_010, "Một nghìn không trăm mười đồng"),
    (1_000_000, "Một triệu đồng"),
    (1_000_001_000, "Một tỷ không trăm linh một nghìn đồng"),
    (2_000_000_000, "Hai tỷ đồng"),
    (5_000_000_000_000_000, "Năm triệu tỷ đồng"),
    (1_000_000_000_000_005, "Một triệu tỷ không trăm linh năm đồng"),
    (999_999_999, "Chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm "
                  "chín mươi chín đồng"),
])
def test_more_readings(amount: int, words: str) -> None:
    assert amount_in_words(amount) == words


def test_regional_settings() -> None:
    assert amount_in_words(1_005, zero_tens="lẻ") == "Một nghìn không trăm lẻ năm đồng"
    assert amount_in_words(24, four="bốn") == "Hai mươi bốn đồng"
    assert amount_in_words(1_500, thousand="ngàn") == "Một ngàn năm trăm đồng"


def test_negative() -> None:
    assert amount_in_words(-1_000) == "Âm một nghìn đồng"
    assert amount_in_words(-21) == "Âm hai mươi mốt đồng"


@pytest.mark.parametrize("bad", [True, False, 1.0, 1000.5, "1000", None])
def test_words_rejects_non_int(bad: object) -> None:
    with pytest.raises(TypeError):
        amount_in_words(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("amount", "text"), [
    (0, "0"), (5, "5"), (999, "999"), (1_000, "1.000"), (1_234_567, "1.234.567"),
    (-5_000, "-5.000"), (1_000_000_000_000, "1.000.000.000.000"),
])
def test_format_vnd(amount: int, text: str) -> None:
    assert format_vnd(amount) == text


@pytest.mark.parametrize("bad", [True, 1.5, 1000.0, "1000"])
def test_format_rejects_non_int(bad: object) -> None:
    with pytest.raises(TypeError):
        format_vnd(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "amount"), [
    ("1.234.567", 1_234_567),
    ("1,234,567", 1_234_567),
    ("1 234 567 đ", 1_234_567),
    ("1234567", 1_234_567),
    ("  1.234.567 đồng ", 1_234_567),
    ("1\u00a0234\u00a0567", 1_234_567),
    ("5.000 VND", 5_000),
    ("5.000VNĐ", 5_000),
    ("-5.000", -5_000),
    ("1.234.567,00", 1_234_567),   # a zero fraction is still whole đồng
    ("1,234,567.00", 1_234_567),
    ("0", 0),
    ("1.000", 1_000),              # three digits after the mark: thousands, never decimals
])
def test_parse_vnd(text: str, amount: int) -> None:
    assert parse_vnd(text) == amount


@pytest.mark.parametrize("text", [
    "12,5", "1.5", "1.234,56", "abc", "", "   ", "-", "1.23.4", "1.234,567", "12a", "1e6",
    "1..000", "1.0000", "đ",
])
def test_parse_vnd_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_vnd(text)


def test_parse_decimal_message_is_vietnamese() -> None:
    with pytest.raises(ValueError, match="số nguyên đồng"):
        parse_vnd("12,5")


def test_format_parse_round_trip() -> None:
    for n in [0, 7, 12, 999, 1_000, 10_001, 123_456, 9_999_999, 10**12 + 7, -42_000]:
        assert parse_vnd(format_vnd(n)) == n
