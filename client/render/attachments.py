"""The "Tài liệu kèm theo" block every printed form ends its body with, from ``attachments``."""

from __future__ import annotations

from client.render.common import SERIF_BOLD, SERIF_ITALIC, esc, para, style


def _size(n: object) -> str:
    if not isinstance(n, int) or isinstance(n, bool):
        return ""
    if n < 1024:
        return f"{n} byte"
    if n < 1024 * 1024:
        return f"{(n + 512) // 1024} KB"
    tenths = (n * 10 + 512 * 1024) // (1024 * 1024)
    return f"{tenths // 10},{tenths % 10} MB"


def attachments_block(doc: dict) -> list:
    """Paragraphs naming each attachment the document lists (empty when it lists none)."""
    items = doc.get("attachments") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items:
        return []
    head = style("att-head", 9.5, font=SERIF_BOLD, leading=13, space_before=6)
    body = style("att-body", 9, leading=12)
    note = style("att-note", 8, font=SERIF_ITALIC, leading=10.5)
    out = [para(f"Tài liệu kèm theo ({len(items)} tệp, ký số cùng bảng kê):", head)]
    for i, item in enumerate(items, start=1):
        item = item if isinstance(item, dict) else {}
        size = _size(item.get("size"))
        digest = str(item.get("sha256", ""))[:16]
        out.append(para(f"{i}. {esc(item.get('name', ''))}"
                        + (f" ({size})" if size else "")
                        + (f" — SHA-256 {esc(digest)}…" if digest else ""), body))
    out.append(para("Mã băm (SHA-256) giúp đối chiếu đúng tệp đã được ký.", note))
    return out


__all__ = ["attachments_block"]
