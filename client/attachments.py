"""Supporting documents of a dossier (any kind): contracts, acceptance records, decisions.

package-format.md §1: ``attachments/<name>`` entries, PDF, XLSX, DOCX, JPG or
PNG, each at most 10 MiB, names NFC with no folder and no ``..``, the whole
package at most 20 MiB. Every manifest covers them, so every signature does.

The document lists its attachments in the optional extension field
``attachments`` — ``[{"name": "Hợp đồng 12.pdf", "size": 48213, "sha256":
"<hex>"}]``, sorted by name — so the printed form (rendered from
``document.json`` alone) names them, and a verifier can tell that the package
carries exactly the files the signers were shown. ``check_entries`` is what
``signing.verify`` runs on every package (CLI, GUI, sandbox).
"""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path
from typing import Any

from client.errors import InvalidInput, Problem
from client.i18n import tr
from client.signing.asice import (
    ATTACHMENTS_DIR,
    MAX_ATTACHMENT,
    MAX_PACKAGE,
    attachment_entry_name,
)

# Allowed types: extension -> (what it is, in Vietnamese; how its content starts).
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("PDF", (b"%PDF-",)),
    ".xlsx": ("Excel", (b"PK\x03\x04",)),
    ".docx": ("Word", (b"PK\x03\x04",)),
    ".jpg": ("ảnh JPEG", (b"\xff\xd8\xff",)),
    ".jpeg": ("ảnh JPEG", (b"\xff\xd8\xff",)),
    ".png": ("ảnh PNG", (b"\x89PNG\r\n\x1a\n",)),
}
# what each allowed type is, in Vietnamese (through tr() where it is shown)
KIND_VI = {ext: kind for ext, (kind, _magic) in ALLOWED.items()}
FIELD = "attachments"
_MIB = 1024 * 1024


def _ext(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def type_problem(name: str, content: bytes) -> str | None:
    """Why ``content`` named ``name`` is not an allowed attachment (in the current
    language), or None."""
    ext = _ext(name)
    kind = ALLOWED.get(ext)
    if kind is None and ext:
        return tr("chỉ đính kèm được tệp PDF, Word (.docx), Excel (.xlsx), ảnh JPG hoặc PNG "
                  "(«{name}» có phần mở rộng «{ext}»)", name=name, ext=ext)
    if kind is None:
        return tr("chỉ đính kèm được tệp PDF, Word (.docx), Excel (.xlsx), ảnh JPG hoặc PNG "
                  "(«{name}» có phần mở rộng «không có»)", name=name)
    if not content.startswith(kind[1]):
        return tr("nội dung tệp «{name}» không phải {kind} như phần mở rộng cho biết",
                  name=name, kind=tr(KIND_VI[ext]))
    return None


def listing(files: dict[str, bytes]) -> list[dict]:
    """The document's ``attachments`` field for ``files`` (name -> bytes), sorted by name."""
    return [{"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in sorted(files.items())]


def check_files(files: dict[str, bytes]) -> list[Problem]:
    """Every reason ``files`` cannot go into a package as attachments."""
    problems: list[Problem] = []
    total = 0
    for name, data in files.items():
        try:
            attachment_entry_name(name)
        except InvalidInput as exc:
            problems.extend(exc.problems)
            continue
        if len(data) > MAX_ATTACHMENT:
            problems.append(Problem("attachment-too-large",
                                    tr("Tệp đính kèm «{name}» nặng {mib:.1f} MiB, tối đa 10 MiB.",
                                       name=name, mib=len(data) / _MIB),  # not money
                                    name))
        why = type_problem(name, data)
        if why:
            problems.append(Problem("attachment-type-not-allowed",
                                    tr("Tệp đính kèm: {why}.", why=why), name))
        total += len(data)
    if total > MAX_PACKAGE - _MIB:
        problems.append(Problem("attachments-too-large",
                                tr("Các tệp đính kèm cộng lại vượt quá dung lượng gói cho "
                                   "phép (cả gói tối đa 20 MiB)."), ATTACHMENTS_DIR))
    return problems


def read_files(paths: list[str | Path]) -> dict[str, bytes]:
    """Attachment files from disk, keyed by their NFC file name; raises ``InvalidInput``."""
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        name = unicodedata.normalize("NFC", path.name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            problems.append(Problem("attachment-unreadable",
                                    tr("Không đọc được tệp đính kèm «{path}»: {error}.",
                                       path=raw, error=exc.strerror), name))
            continue
        if name in files:
            problems.append(Problem("attachment-duplicate-name",
                                    tr("Hai tệp đính kèm cùng tên «{name}»: hãy đổi tên một "
                                       "tệp.", name=name), name))
            continue
        files[name] = data
    problems += check_files(files)
    if problems:
        raise InvalidInput(tr("Chưa đính kèm được: {reason}", reason=problems[0].message),
                           problems)
    return files


def with_attachments(doc: dict, files: dict[str, bytes]) -> dict:
    """A copy of ``doc`` listing ``files`` (before the first signature only)."""
    out = dict(doc)
    out[FIELD] = listing(files)
    return out


def listed(doc: dict | None) -> list[dict] | None:
    """The document's ``attachments`` listing, or None when it has none."""
    value = doc.get(FIELD) if isinstance(doc, dict) else None
    return value if isinstance(value, list) else None


def check_entries(entries: dict[str, bytes], document: dict | None) -> list[Problem]:
    """The package's ``attachments/*`` against the allowed types and the document's listing.

    A document with an ``attachments`` field must list exactly the package's
    attachments (name, size, SHA-256); a document without it gets a warning
    when the package has attachments that the printed form does not name.
    """
    problems: list[Problem] = []
    present = {n[len(ATTACHMENTS_DIR):]: data for n, data in entries.items()
               if n.startswith(ATTACHMENTS_DIR)}
    for name, data in present.items():
        why = type_problem(name, data)
        if why:
            problems.append(Problem("attachment-type-not-allowed",
                                    tr("Tệp đính kèm: {why}.", why=why), ATTACHMENTS_DIR + name))
    if not isinstance(document, dict) or FIELD not in document:
        if present:
            problems.append(Problem(
                "attachments-not-listed",
                tr("Gói có {count} tệp đính kèm nhưng document.json không liệt kê chúng (bản "
                   "in không ghi tên tệp đính kèm).", count=len(present)),
                ATTACHMENTS_DIR, "warning"))
        return problems
    items = document[FIELD]
    if not isinstance(items, list) or not all(
            isinstance(i, dict) and isinstance(i.get("name"), str) for i in items):
        problems.append(Problem("document-invalid",
                                tr("Mục «attachments» của document.json phải là danh sách "
                                   "{name, size, sha256}."), "document.json: attachments"))
        return problems
    wanted: dict[str, dict[str, Any]] = {i["name"]: i for i in items}
    for name, item in wanted.items():
        data = present.get(name)
        if data is None:
            problems.append(Problem("attachment-missing",
                                    tr("Bảng kê ghi tệp đính kèm «{name}» nhưng gói không có "
                                       "tệp này.", name=name),
                                    ATTACHMENTS_DIR + name))
        elif item.get("size") != len(data) or \
                item.get("sha256") != hashlib.sha256(data).hexdigest():
            problems.append(Problem("attachment-mismatch",
                                    tr("Tệp đính kèm «{name}» khác với tệp ghi trong bảng kê "
                                       "(kích thước hoặc mã băm không khớp).", name=name),
                                    ATTACHMENTS_DIR + name))
    for name in present:
        if name not in wanted:
            problems.append(Problem("attachment-not-listed",
                                    tr("Gói có tệp đính kèm «{name}» mà bảng kê không ghi.",
                                       name=name),
                                    ATTACHMENTS_DIR + name))
    return problems


__all__ = ["ALLOWED", "FIELD", "check_entries", "check_files", "listed", "listing",
           "read_files", "type_problem", "with_attachments"]
