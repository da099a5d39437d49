"""The two document kinds (Mẫu 09 ``salary-table``, Mẫu 07 ``voucher-list``).

Documents are plain dicts shaped exactly like ``document.json``
(package-format.md §2): built here, validated here, serialised once here.
"""

from client.documents.codec import parse, serialize
from client.documents.model import (
    ACCOUNT_KINDS,
    FORMAT,
    KIND_SALARY,
    KIND_VOUCHERS,
    KINDS,
    PART_KEYS,
    PART_LABELS,
    PURPOSES,
    clean_account,
    group_lines,
    new_salary_table,
    new_voucher_list,
    reword,
    summary,
)
from client.documents.validation import MAX_LINES, place, validate

__all__ = [
    "ACCOUNT_KINDS", "FORMAT", "KIND_SALARY", "KIND_VOUCHERS", "KINDS", "MAX_LINES", "PART_KEYS",
    "PART_LABELS", "PURPOSES", "clean_account", "group_lines", "new_salary_table",
    "new_voucher_list", "parse", "place", "reword", "serialize", "summary", "validate",
]
