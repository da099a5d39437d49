"""Payment voucher lists (Mẫu 07, ``voucher-list``): what is particular to them.

Built on the machinery every document kind shares: the document model and
validation (``client.documents``), the spec-driven importer
(``client.importers.spec``), the checks registry (``client.documents.checks``),
the renderer (``client.render``). This package adds the voucher list's own
facts (subtotals by NDKT, the payment order's lines, advances and their
settlement), its checks and its importer.

Extension fields of ``document.json`` (package-format.md §2 allows new,
optional fields) used here:

- ``payment_order.lines``: ``[{"ndkt": "6501", "amount": 1200000}, …]`` — the
  lines of the Giấy rút dự toán the list supports, one per NDKT;
- ``settles``: ``[{"number": "TU-05", "date": "2026-07-10"}]`` — on a
  ``payment`` list, the advance lists (``purpose: advance``) it settles;
- ``attachments`` (any kind, see ``client.attachments``).
"""

from client.vouchers.core import (
    advance_due,
    order_lines,
    settled_numbers,
    subtotals,
    unsettled_advances,
    voucher_key,
)

__all__ = ["advance_due", "order_lines", "settled_numbers", "subtotals", "unsettled_advances",
           "voucher_key"]
