"""The ASiC-E container (package-format.md §1): entries, manifests, zip bytes.

Reading is structural only: ``Package.from_bytes`` collects what is wrong with
the zip itself (``problems``) instead of raising, so that the verifier can name
every failure. Cryptographic and semantic checks live in ``verify.py``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import quote, unquote
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from client.errors import InvalidInput, Problem
from client.i18n import tr

MIMETYPE = "application/vnd.etsi.asic-e+zip"
ROLES = ("chief-accountant", "head-of-unit")  # signing order
MAX_PACKAGE = 20 * 1024 * 1024
MAX_ATTACHMENT = 10 * 1024 * 1024

NS_ASIC = "http://uri.etsi.org/02918/v1.2.1#"
NS_DS = "http://www.w3.org/2000/09/xmldsig#"
SHA256_URI = "http://www.w3.org/2001/04/xmlenc#sha256"
SIGNATURE_MIMETYPE = "application/pkcs7-signature"

DOCUMENT_JSON = "document.json"
DOCUMENT_PDF = "document.pdf"
ATTACHMENTS_DIR = "attachments/"
META_INF = "META-INF/"

SIGNATURE_RE = re.compile(r"^META-INF/signature(\d{3})\.p7s$")
MANIFEST_RE = re.compile(r"^META-INF/ASiCManifest(\d{3})\.xml$")

# Fixed zip timestamp so that the same entries always give the same bytes.
_ZIP_DATE = (2020, 1, 1, 0, 0, 0)

_MIME_BY_EXT = {
    ".json": "application/json",
    ".pdf": "application/pdf",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".p7s": SIGNATURE_MIMETYPE,
    ".xml": "application/xml",
}


def signature_name(index: int) -> str:
    return f"META-INF/signature{index:03d}.p7s"


def manifest_name(index: int) -> str:
    return f"META-INF/ASiCManifest{index:03d}.xml"


def mimetype_for(name: str) -> str:
    """The MimeType written in a manifest for entry ``name``."""
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot > name.rfind("/") else ""
    return _MIME_BY_EXT.get(ext, "application/octet-stream")


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a safe entry name (in the current language), or None if it is safe."""
    if not name:
        return tr("tên tệp rỗng")
    if unicodedata.normalize("NFC", name) != name:
        return tr("tên tệp không ở dạng Unicode NFC")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
        return tr("tên tệp chứa ký tự điều khiển")
    if "\\" in name:
        return tr("tên tệp chứa dấu '\\'")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return tr("tên tệp là đường dẫn tuyệt đối")
    parts = name.split("/")
    if any(p in ("..", ".") for p in parts):
        return tr("tên tệp chứa thành phần '..' hoặc '.'")
    if any(p == "" for p in parts):
        return tr("tên tệp chứa thư mục rỗng")
    return None


def _is_attachment_name(name: str) -> bool:
    return name.startswith(ATTACHMENTS_DIR) and name.count("/") == 1 and len(name) > len(ATTACHMENTS_DIR)


def is_data_name(name: str) -> bool:
    """Entries a manifest must cover: everything except ``mimetype`` and META-INF/."""
    return name != "mimetype" and not name.startswith(META_INF)


def is_expected_name(name: str) -> bool:
    """Whether ``name`` is one of the entries package-format §1 allows."""
    return (
        name in ("mimetype", DOCUMENT_JSON, DOCUMENT_PDF)
        or _is_attachment_name(name)
        or bool(SIGNATURE_RE.match(name))
        or bool(MANIFEST_RE.match(name))
    )


def attachment_entry_name(name: str) -> str:
    """Normalise a caller-given attachment name to ``attachments/<name>``; raise if unsafe."""
    name = unicodedata.normalize("NFC", name)
    if not name.startswith(ATTACHMENTS_DIR):
        name = ATTACHMENTS_DIR + name
    why = name_problem(name)
    if why is None and not _is_attachment_name(name):
        why = tr("tệp đính kèm không được nằm trong thư mục con")
    if why is not None:
        raise InvalidInput(
            tr("Tên tệp đính kèm không hợp lệ: {name} ({why}).", name=name, why=why),
            [Problem("entry-name-unsafe", tr("Tên tệp đính kèm không hợp lệ ({why}).", why=why),
                     name)],
        )
    return name


@dataclass
class Package:
    """An ASiC-E package as an ordered mapping of entry name → bytes."""

    entries: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    # ---- reading -------------------------------------------------------

    @classmethod
    def from_bytes(cls, data: bytes) -> Package:
        pkg = cls()
        probs = pkg.problems
        if len(data) > MAX_PACKAGE:
            probs.append(Problem(
                "too-large",
                tr("Gói vượt quá dung lượng cho phép ({size} byte > {limit} byte).",
                   size=len(data), limit=MAX_PACKAGE),
                "",
            ))
            return pkg
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
            infos = zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            probs.append(Problem("not-a-zip", tr("Tệp không phải là gói ZIP hợp lệ ({error}).",
                                                 error=exc), ""))
            return pkg

        _check_mimetype(data, infos, probs)

        total = 0
        seen: dict[str, str] = {}
        for info in infos:
            raw_name = info.filename
            if raw_name.endswith("/") and info.file_size == 0:
                # Directory entry: carries no content, but its name must still be safe.
                why = name_problem(raw_name.rstrip("/"))
                if why:
                    probs.append(Problem("entry-name-unsafe",
                                         tr("Tên mục không an toàn ({why}).", why=why), raw_name))
                continue
            why = name_problem(raw_name)
            if why:
                probs.append(Problem("entry-name-unsafe",
                                     tr("Tên mục không an toàn ({why}).", why=why), raw_name))
                continue
            key = unicodedata.normalize("NFC", raw_name).casefold()
            if key in seen:
                probs.append(Problem("entry-duplicate", tr("Tên mục bị trùng trong gói."),
                                     raw_name))
                continue
            seen[key] = raw_name
            if info.flag_bits & 0x1:
                probs.append(Problem("entry-corrupt",
                                     tr("Mục trong gói bị mã hóa, không đọc được."), raw_name))
                continue
            limit = MAX_ATTACHMENT if raw_name.startswith(ATTACHMENTS_DIR) else MAX_PACKAGE
            if info.file_size > limit or total + info.file_size > MAX_PACKAGE:
                probs.append(Problem(
                    "too-large",
                    tr("Mục vượt quá dung lượng cho phép ({size} byte).", size=info.file_size),
                    raw_name,
                ))
                continue
            try:
                with zf.open(info) as fh:
                    content = fh.read(limit + 1)
            except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError,
                    NotImplementedError, RuntimeError) as exc:
                probs.append(Problem("entry-corrupt", tr("Mục trong gói bị hỏng ({error}).",
                                                         error=exc), raw_name))
                continue
            if len(content) > limit:
                probs.append(Problem("too-large", tr("Mục vượt quá dung lượng cho phép."),
                                     raw_name))
                continue
            total += len(content)
            pkg.entries[raw_name] = content
        return pkg

    # ---- building ------------------------------------------------------

    @classmethod
    def new(cls, document_json: bytes, document_pdf: bytes,
            attachments: dict[str, bytes] | None = None) -> Package:
        pkg = cls()
        pkg.entries["mimetype"] = MIMETYPE.encode("ascii")
        pkg.entries[DOCUMENT_JSON] = bytes(document_json)
        pkg.entries[DOCUMENT_PDF] = bytes(document_pdf)
        for name, content in sorted((attachments or {}).items()):
            entry = attachment_entry_name(name)
            if entry in pkg.entries:
                raise InvalidInput(
                    tr("Tệp đính kèm bị trùng tên: {name}.", name=entry),
                    [Problem("entry-duplicate", tr("Tệp đính kèm bị trùng tên."), entry)],
                )
            if len(content) > MAX_ATTACHMENT:
                raise InvalidInput(
                    tr("Tệp đính kèm {name} vượt quá 10 MiB.", name=entry),
                    [Problem("too-large", tr("Tệp đính kèm vượt quá 10 MiB."), entry)],
                )
            pkg.entries[entry] = bytes(content)
        size = sum(len(v) for v in pkg.entries.values())
        if size > MAX_PACKAGE:
            raise InvalidInput(
                tr("Gói vượt quá 20 MiB."),
                [Problem("too-large", tr("Tổng dung lượng gói vượt quá 20 MiB."), "")],
            )
        return pkg

    def copy(self) -> Package:
        return Package(dict(self.entries), list(self.problems))

    # ---- queries -------------------------------------------------------

    def data_entries(self) -> list[str]:
        """document.json, document.pdf, then every other non-META-INF entry (attachments/*)."""
        names = [n for n in self.entries if is_data_name(n)]
        first = [n for n in (DOCUMENT_JSON, DOCUMENT_PDF) if n in self.entries]
        rest = sorted(n for n in names if n not in first)
        return first + rest

    def signature_names(self) -> list[str]:
        return sorted(n for n in self.entries if SIGNATURE_RE.match(n))

    def manifest_names(self) -> list[str]:
        return sorted(n for n in self.entries if MANIFEST_RE.match(n))

    def next_index(self) -> int:
        used = [int(m.group(1)) for n in self.entries
                for m in (SIGNATURE_RE.match(n) or MANIFEST_RE.match(n),) if m]
        return max(used, default=0) + 1

    # ---- writing -------------------------------------------------------

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr(_zipinfo("mimetype", zipfile.ZIP_STORED), MIMETYPE.encode("ascii"))
            for name, content in self.entries.items():
                if name == "mimetype":
                    continue
                zf.writestr(_zipinfo(name, zipfile.ZIP_DEFLATED), content)
        return buf.getvalue()


def _zipinfo(name: str, method: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
    info.compress_type = method
    info.create_system = 0
    info.external_attr = 0
    info.extra = b""
    return info


def _check_mimetype(data: bytes, infos: list[zipfile.ZipInfo], probs: list[Problem]) -> None:
    def bad(msg: str) -> None:
        probs.append(Problem("mimetype-invalid", msg, "mimetype"))

    named = [i for i in infos if i.filename == "mimetype"]
    if not named:
        bad(tr("Gói thiếu mục 'mimetype'."))
        return
    first = infos[0]
    if first.filename != "mimetype" or first.header_offset != 0:
        bad(tr("Mục 'mimetype' không phải là mục đầu tiên của gói."))
        return
    if first.compress_type != zipfile.ZIP_STORED:
        bad(tr("Mục 'mimetype' bị nén (phải lưu nguyên, không nén)."))
        return
    # The local header (not just the central directory) must have no extra field.
    if len(data) < 30 or data[:4] != b"PK\x03\x04":
        bad(tr("Mục 'mimetype' không nằm ở đầu tệp."))
        return
    name_len, extra_len = struct.unpack("<HH", data[26:30])
    if data[30:30 + name_len] != b"mimetype" or extra_len != 0 or first.extra:
        bad(tr("Mục 'mimetype' có trường phụ (extra field) hoặc tiêu đề sai."))
        return
    content = data[30 + name_len:30 + name_len + first.compress_size]
    if content != MIMETYPE.encode("ascii"):
        bad(tr("Nội dung 'mimetype' phải đúng là '{mimetype}'.", mimetype=MIMETYPE))


# ---- manifests ---------------------------------------------------------


class ManifestRef(NamedTuple):
    uri: str  # entry name (percent-decoded)
    mimetype: str
    digest_alg: str  # algorithm URI
    digest_b64: str
    rootfile: bool


@dataclass
class Manifest:
    sig_reference: str  # entry name of the signature this manifest belongs to
    references: list[ManifestRef]

    def by_uri(self) -> dict[str, ManifestRef]:
        return {r.uri: r for r in self.references}


class ManifestError(ValueError):
    """The manifest XML is malformed; the message is in the current language."""


def _uri(name: str) -> str:
    return quote(name, safe="/-._~")


def build_manifest(index: int, entries: dict[str, bytes], data_names: list[str],
                   earlier_signatures: list[str]) -> bytes:
    """The bytes of ``META-INF/ASiCManifest{index:03d}.xml`` (stable for the same input)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        f'<asic:ASiCManifest xmlns:asic="{NS_ASIC}" xmlns:ds="{NS_DS}">',
        f'  <asic:SigReference URI={quoteattr(_uri(signature_name(index)))}'
        f' MimeType="{SIGNATURE_MIMETYPE}"/>',
    ]
    names = list(data_names) + [s for s in earlier_signatures if s not in data_names]
    if DOCUMENT_JSON in names:
        names.remove(DOCUMENT_JSON)
        names.insert(0, DOCUMENT_JSON)
    for name in names:
        digest = base64.b64encode(hashlib.sha256(entries[name]).digest()).decode("ascii")
        mime = SIGNATURE_MIMETYPE if SIGNATURE_RE.match(name) else mimetype_for(name)
        root = ' Rootfile="true"' if name == DOCUMENT_JSON else ""
        lines += [
            f'  <asic:DataObjectReference URI={quoteattr(_uri(name))}'
            f' MimeType={quoteattr(mime)}{root}>',
            f'    <ds:DigestMethod Algorithm="{SHA256_URI}"/>',
            f"    <ds:DigestValue>{escape(digest)}</ds:DigestValue>",
            "  </asic:DataObjectReference>",
        ]
    lines.append("</asic:ASiCManifest>")
    return ("\n".join(lines) + "\n").encode("utf-8")


_MAX_MANIFEST = 1024 * 1024


def parse_manifest(data: bytes) -> Manifest:
    """Parse a manifest; raise ``ManifestError`` if malformed. DTDs/entities are refused."""
    if len(data) > _MAX_MANIFEST:
        raise ManifestError(tr("Tệp kê khai (manifest) quá lớn."))
    upper = data.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise ManifestError(tr("Tệp kê khai (manifest) chứa DOCTYPE/ENTITY, không được phép."))
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ManifestError(tr("Tệp kê khai (manifest) không phải XML hợp lệ ({error}).",
                               error=exc)) from exc
    if root.tag != f"{{{NS_ASIC}}}ASiCManifest":
        raise ManifestError(tr("Phần tử gốc của tệp kê khai phải là asic:ASiCManifest."))
    sig_refs = root.findall(f"{{{NS_ASIC}}}SigReference")
    if len(sig_refs) != 1 or not sig_refs[0].get("URI"):
        raise ManifestError(tr("Tệp kê khai phải có đúng một asic:SigReference có URI."))
    refs: list[ManifestRef] = []
    for el in root:
        if el.tag == f"{{{NS_ASIC}}}SigReference":
            continue
        if el.tag != f"{{{NS_ASIC}}}DataObjectReference":
            raise ManifestError(tr("Phần tử không được phép trong tệp kê khai: {tag}.",
                                   tag=el.tag))
        uri = el.get("URI")
        method = el.find(f"{{{NS_DS}}}DigestMethod")
        value = el.find(f"{{{NS_DS}}}DigestValue")
        if not uri or method is None or value is None or not method.get("Algorithm"):
            raise ManifestError(tr("asic:DataObjectReference thiếu URI, DigestMethod hoặc "
                                   "DigestValue."))
        try:
            name = unquote(uri, errors="strict")
        except UnicodeDecodeError as exc:
            raise ManifestError(tr("URI trong tệp kê khai không hợp lệ.")) from exc
        refs.append(ManifestRef(
            uri=name,
            mimetype=el.get("MimeType", ""),
            digest_alg=method.get("Algorithm", ""),
            digest_b64="".join((value.text or "").split()),
            rootfile=(el.get("Rootfile", "false").strip().lower() in ("true", "1")),
        ))
    try:
        sig_ref = unquote(sig_refs[0].get("URI", ""), errors="strict")
    except UnicodeDecodeError as exc:
        raise ManifestError(tr("URI trong tệp kê khai không hợp lệ.")) from exc
    uris = [r.uri for r in refs]
    if len(set(uris)) != len(uris):
        raise ManifestError(tr("Tệp kê khai tham chiếu một tệp nhiều lần."))
    return Manifest(sig_reference=sig_ref, references=refs)
