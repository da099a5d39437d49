"""Documents -> the official-form PDF (Mẫu 09, Mẫu 07), fonts embedded, deterministic bytes."""

from __future__ import annotations

from client.documents import KIND_SALARY, KIND_VOUCHERS
from client.errors import InvalidInput, Problem
from client.render.common import register_fonts


def render_pdf(doc: dict) -> bytes:
    """The printable form for ``doc``: Mẫu 09 (``salary-table``) or Mẫu 07 (``voucher-list``).

    The same document always gives the same bytes.
    """
    kind = doc.get("kind") if isinstance(doc, dict) else None
    register_fonts()
    if kind == KIND_SALARY:
        from client.render.mau09 import render_salary_table

        return render_salary_table(doc)
    if kind == KIND_VOUCHERS:
        from client.render.mau07 import render_voucher_list

        return render_voucher_list(doc)
    message = f"Không in được tài liệu loại «{kind}»: chỉ có Mẫu 09 và Mẫu 07."
    raise InvalidInput(message, [Problem("kind-invalid", message, "kind")])


__all__ = ["render_pdf"]
