"""Money: integer đồng, Vietnamese formatting and the amount in words.

VND has no minor unit on these forms, so every amount is an ``int`` (never a
float). The words follow reference/domain.md, "Amount in words".
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from client.i18n import tr

__all__ = ["amount_in_words", "format_money_vn", "format_vnd", "parse_decimal", "parse_vnd",
           "percent_of", "round_half_up"]

_DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
_BILLION = 1_000_000_000


def _require_int(amount: object, what: str = "amount") -> int:
    # bool is an int subclass; a float is never money here.
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise TypeError(f"{what} must be an int number of đồng, not {type(amount).__name__}")
    return amount


def _read_triple(n: int, full: bool, zero_tens: str, four: str) -> list[str]:
    """Read 0 < n < 1000. ``full``: the hundreds are read even when zero."""
    hundreds, rest = divmod(n, 100)
    tens, units = divmod(rest, 10)
    words: list[str] = []
    if full or hundreds:
        words += [_DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append(zero_tens)
            words.append(_DIGITS[units])
        return words
    if tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else _DIGITS[units])
        return words
    words += [_DIGITS[tens], "mươi"]
    if units == 1:
        words.append("mốt")
    elif units == 4:
        words.append(four)
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(_DIGITS[units])
    return words


def _read_below_billion(n: int, leading: bool, zero_tens: str, four: str,
                        thousand: str) -> list[str]:
    """Read 0 <= n < 10^9; ``leading``: nothing is read before it."""
    words: list[str] = []
    groups = ((n // 1_000_000, "triệu"), (n // 1000 % 1000, thousand), (n % 1000, ""))
    for value, scale in groups:
        if value == 0:
            continue  # an all-zero group is skipped
        words += _read_triple(value, full=not (leading and not words), zero_tens=zero_tens,
                              four=four)
        if scale:
            words.append(scale)
    return words


def _read(n: int, leading: bool, zero_tens: str, four: str, thousand: str) -> list[str]:
    """Read n >= 0; above 10^9 the scale "tỷ" repeats (10^12 = một nghìn tỷ)."""
    billions, rest = divmod(n, _BILLION)
    words: list[str] = []
    if billions:
        words += _read(billions, leading, zero_tens, four, thousand)
        words.append("tỷ")
    words += _read_below_billion(rest, leading and not words, zero_tens, four, thousand)
    return words


def amount_in_words(amount: int, *, zero_tens: str = "linh", four: str = "tư",
                    thousand: str = "nghìn") -> str:
    """The amount read out in Vietnamese, capitalised, ending in " đồng".

    ``zero_tens`` ("linh" or "lẻ"), ``four`` after "mươi" ("tư" or "bốn") and
    ``thousand`` ("nghìn" or "ngàn") are the regional settings.

    >>> amount_in_words(1000005)
    'Một triệu không trăm linh năm đồng'
    """
    _require_int(amount)
    if amount == 0:
        words = ["không"]
    else:
        words = _read(abs(amount), True, zero_tens, four, thousand)
        if amount < 0:
            words.insert(0, "âm")
    text = " ".join(words) + " đồng"
    return text[0].upper() + text[1:]


def format_vnd(amount: int) -> str:
    """1234567 -> "1.234.567"; -5000 -> "-5.000" (dot as thousands separator)."""
    _require_int(amount)
    return f"{amount:,}".replace(",", ".")


def format_money_vn(amount: int) -> str:
    """1234567 -> "1.234.567 đ" (how the screens show money)."""
    return f"{format_vnd(amount)} đ"


_CURRENCY_SUFFIX = re.compile(r"(?:đồng|đ|vnđ|vnd|d)\.?$", re.IGNORECASE)
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009]+")
_GROUPED = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")


def parse_vnd(text: str) -> int:
    """Read an amount typed by a person: "1.234.567", "1,234,567", "1 234 567 đ".

    Thousands separators may be dots, commas or spaces (one kind per number).
    A fraction is accepted only when it is zero ("1.234.567,00"); any other
    decimal ("12,5") or text that is not a number raises ``ValueError``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    original = text
    s = _SPACES.sub(" ", text).strip()
    s = _CURRENCY_SUFFIX.sub("", s).strip()
    negative = False
    if s[:1] in ("-", "\u2212"):
        negative = True
        s = s[1:].strip()
    elif s[:1] == "+":
        s = s[1:].strip()
    # Spaces between digit groups: "1 234 567"
    if re.fullmatch(r"\d{1,3}(?: \d{3})+", s):
        s = s.replace(" ", "")
    if not s:
        raise ValueError(tr("«{text}» không phải là số tiền", text=original))
    if s.isdigit() and s.isascii():
        value = int(s)
    else:
        value = _parse_separated(s, original)
    return -value if negative else value


def _parse_separated(s: str, original: str) -> int:
    integer, fraction = s, ""
    # A trailing fraction of one or two digits after the last separator.
    m = re.fullmatch(r"(.*?)([.,])(\d{1,2})", s)
    if m:
        integer, sep, fraction = m.group(1), m.group(2), m.group(3)
        if sep in integer:
            # "1.234.56": the same mark cannot be both thousands and decimal
            raise ValueError(tr("«{text}» không phải là số tiền hợp lệ", text=original))
    if not (integer.isascii() and (integer.isdigit() or _GROUPED.fullmatch(integer))):
        raise ValueError(tr("«{text}» không phải là số tiền hợp lệ", text=original))
    if fraction.strip("0"):
        raise ValueError(tr("«{text}» có phần lẻ sau dấu thập phân: số tiền phải là số nguyên đồng",
                            text=original))
    return int(integer.replace(".", "").replace(",", ""))


def round_half_up(value: Fraction | int) -> int:
    """An exact value rounded to the đồng, half up (away from zero for halves).

    The one rounding rule of the payroll (reference/domain.md): 0,5 đồng and
    more goes up; negative values mirror positive ones (-2,5 -> -3). Never a
    float: pass a ``Fraction`` (or an int).
    """
    if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
        raise TypeError(f"round_half_up needs an int or Fraction, not {type(value).__name__}")
    value = Fraction(value)
    sign = -1 if value < 0 else 1
    magnitude = abs(value)
    whole, rest = divmod(magnitude.numerator, magnitude.denominator)
    if 2 * rest >= magnitude.denominator:
        whole += 1
    return sign * whole


def parse_decimal(text: str | int | Fraction | Decimal) -> Fraction:
    """A coefficient or percentage as an exact ``Fraction``: "4,98", "4.98", "25%", 5 -> exact.

    A comma or a dot may be the decimal mark (one of them, once). Floats are
    refused: a coefficient typed as 4.98 must never become 4.9800000000000004.
    """
    if isinstance(text, bool):
        raise TypeError("a bool is not a number")
    if isinstance(text, (int, Fraction)):
        return Fraction(text)
    if isinstance(text, Decimal):
        return Fraction(text)
    if not isinstance(text, str):
        raise TypeError(f"parse_decimal needs text, not {type(text).__name__}")
    s = _SPACES.sub("", text).rstrip("%")
    if s.count(",") + s.count(".") > 1:
        raise ValueError(tr("«{text}» không phải là số thập phân hợp lệ", text=text))
    s = s.replace(",", ".")
    if not re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", s):
        raise ValueError(tr("«{text}» không phải là số thập phân hợp lệ", text=text))
    try:
        return Fraction(Decimal(s))
    except InvalidOperation:  # pragma: no cover - the pattern above already refuses it
        raise ValueError(tr("«{text}» không phải là số thập phân hợp lệ", text=text)) from None


def percent_of(amount: int, percent: Fraction | str) -> int:
    """``percent`` % of ``amount`` đồng, rounded half up: percent_of(46_800_000, "1.5") = 702_000."""
    _require_int(amount)
    return round_half_up(Fraction(amount) * parse_decimal(percent) / 100)
