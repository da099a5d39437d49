"""Canonical serialisation of a document (done once, then signed) and parsing."""

from __future__ import annotations

import json
from typing import Any

from client.documents.model import PART_KEYS, nfc
from client.errors import InvalidInput, Problem
from client.i18n import tr

# Readable, stable key order for each object shape; unknown keys follow, sorted.
_TOP = ("format", "kind", "id", "number", "date", "period", "purpose", "budget", "unit",
        "payment_order", "currency", "prepared_by", "changes", "lines", "total",
        "total_in_words")
_ORDERS: dict[str, tuple[str, ...]] = {
    "unit": ("code", "name", "treasury", "account", "account_kind"),
    "period": ("year", "month"),
    "payment_order": ("number", "date"),
    "changes": ("explanation", "difference"),
    "budget": ("chapter", "sector", "source", "program"),
    "voucher": ("number", "date"),
    "parts": PART_KEYS,
    "lines[]": ("no", "group", "name", "account", "bank", "voucher", "description", "ndkt",
                "amount", "parts", "note"),
}


def _ordered(obj: dict, order: tuple[str, ...]) -> dict:
    out = {k: obj[k] for k in order if k in obj}
    for k in sorted(k for k in obj if k not in out):
        out[k] = obj[k]
    return out


def _canonical(value: Any, order: tuple[str, ...] = ()) -> Any:
    if isinstance(value, dict):
        value = _ordered(value, order)
        result = {}
        for k, v in value.items():
            if k == "lines" and isinstance(v, list):
                result[k] = [_canonical(line, _ORDERS["lines[]"]) for line in v]
            else:
                result[k] = _canonical(v, _ORDERS.get(k, ()))
        return result
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def serialize(doc: dict) -> bytes:
    """Canonical UTF-8 JSON bytes: NFC text, stable key order, indent 2, final newline."""
    canonical = _canonical(nfc(doc), _TOP)
    text = json.dumps(canonical, ensure_ascii=False, indent=2, allow_nan=False)
    return (text + "\n").encode("utf-8")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    obj: dict = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(tr("khóa «{key}» xuất hiện hai lần", key=key))
        obj[key] = value
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(tr("giá trị {name} không được phép trong JSON", name=name))


def parse(data: bytes) -> dict:
    """Read ``document.json`` bytes. Raises ``InvalidInput`` if they are not a UTF-8 JSON object.

    Duplicate keys and NaN/Infinity are refused: two readers must never see
    two different documents in the same signed bytes.
    """
    if isinstance(data, str):
        raise TypeError("parse() takes bytes")
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            tr("Tệp document.json không phải văn bản UTF-8 hợp lệ."),
            [Problem("not-utf8", tr("Byte không hợp lệ ở vị trí {position}.", position=exc.start),
                     "document.json")],
        ) from None
    if text.startswith("\ufeff"):
        raise InvalidInput(tr("Tệp document.json không được bắt đầu bằng dấu BOM."),
                           [Problem("bom", tr("Tệp bắt đầu bằng dấu BOM (U+FEFF)."),
                                    "document.json")])
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            tr("Tệp document.json không phải JSON hợp lệ."),
            [Problem("not-json", tr("Lỗi cú pháp ở dòng {line}, cột {column}: {error}.",
                                    line=exc.lineno, column=exc.colno, error=exc.msg),
                     "document.json")],
        ) from None
    except RecursionError:
        raise InvalidInput(tr("Tệp document.json lồng nhau quá sâu."),
                           [Problem("not-json", tr("Cấu trúc JSON lồng nhau quá sâu."),
                                    "document.json")]) from None
    except ValueError as exc:
        raise InvalidInput(tr("Tệp document.json không hợp lệ."),
                           [Problem("not-json", f"{exc}.", "document.json")]) from None
    if not isinstance(obj, dict):
        raise InvalidInput(tr("Tệp document.json phải là một đối tượng JSON ({…})."),
                           [Problem("not-an-object", tr("Nội dung không phải đối tượng JSON."),
                                    "document.json")])
    return obj
