"""ASiC-E container: zip layout, structural problems, manifests."""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import warnings
import zipfile
from xml.etree import ElementTree as ET

import pytest

from client.errors import InvalidInput
from client.signing import asice
from client.signing.asice import (
    MAX_ATTACHMENT,
    MIMETYPE,
    Package,
    build_manifest,
    parse_manifest,
)

DOC = '{"format": "kbnn-document/1", "note": "Bảng lương"}'.encode()
PDF = b"%PDF-1.4\n% test\n" + bytes(range(256)) * 4


def _zip(entries: list[tuple[str, bytes, int]]) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names on purpose
        with zipfile.ZipFile(buf, "w") as zf:
            for name, content, method in entries:
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                info.compress_type = method
                zf.writestr(info, content)
    return buf.getvalue()


def _good_entries() -> list[tuple[str, bytes, int]]:
    return [
        ("mimetype", MIMETYPE.encode(), zipfile.ZIP_STORED),
        ("document.json", DOC, zipfile.ZIP_DEFLATED),
        ("document.pdf", PDF, zipfile.ZIP_DEFLATED),
    ]


def _codes(pkg: Package) -> set[str]:
    return {p.code for p in pkg.problems}


def test_new_package_roundtrip_and_layout():
    pkg = Package.new(DOC, PDF, {"Hóa đơn tháng 1.pdf": b"%PDF-att", "ảnh.png": b"\x89PNG"})
    data = pkg.to_bytes()
    # mimetype: first local header at offset 0, STORED, no extra field, exact content
    assert data[:4] == b"PK\x03\x04"
    method, = struct.unpack("<H", data[8:10])
    name_len, extra_len = struct.unpack("<HH", data[26:30])
    assert method == 0 and extra_len == 0
    assert data[30:30 + name_len] == b"mimetype"
    assert data[30 + name_len:30 + name_len + len(MIMETYPE)] == MIMETYPE.encode()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        assert infos[0].filename == "mimetype"
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in infos[1:])
        assert zf.read("document.json") == DOC
    back = Package.from_bytes(data)
    assert back.problems == []
    assert back.entries == pkg.entries
    assert back.data_entries() == ["document.json", "document.pdf",
                                   "attachments/Hóa đơn tháng 1.pdf", "attachments/ảnh.png"]
    # deterministic bytes
    assert back.to_bytes() == data == pkg.to_bytes()


def test_signature_names_and_next_index():
    pkg = Package.new(DOC, PDF)
    assert pkg.signature_names() == [] and pkg.next_index() == 1
    pkg.entries["META-INF/ASiCManifest001.xml"] = b"<x/>"
    pkg.entries["META-INF/signature002.p7s"] = b"x"
    pkg.entries["META-INF/signature001.p7s"] = b"x"
    assert pkg.signature_names() == ["META-INF/signature001.p7s", "META-INF/signature002.p7s"]
    assert pkg.next_index() == 3
    assert "META-INF/signature001.p7s" not in pkg.data_entries()


@pytest.mark.parametrize("name", ["../x.pdf", "a/b.pdf", "/etc/passwd", "x\\y.pdf", ".."])
def test_unsafe_attachment_names_refused(name):
    with pytest.raises(InvalidInput) as exc:
        Package.new(DOC, PDF, {name: b"x"})
    assert exc.value.problems[0].code == "entry-name-unsafe"


def test_attachment_too_large_refused():
    with pytest.raises(InvalidInput) as exc:
        Package.new(DOC, PDF, {"big.pdf": bytes(MAX_ATTACHMENT + 1)})
    assert exc.value.problems[0].code == "too-large"


def test_not_a_zip():
    pkg = Package.from_bytes(b"this is not a zip at all")
    assert _codes(pkg) == {"not-a-zip"}
    assert pkg.entries == {}


def test_mimetype_compressed():
    entries = _good_entries()
    entries[0] = ("mimetype", MIMETYPE.encode(), zipfile.ZIP_DEFLATED)
    pkg = Package.from_bytes(_zip(entries))
    assert "mimetype-invalid" in _codes(pkg)
    assert "nén" in pkg.problems[0].message


def test_mimetype_not_first():
    entries = _good_entries()
    entries[0], entries[1] = entries[1], entries[0]
    assert "mimetype-invalid" in _codes(Package.from_bytes(_zip(entries)))


def test_mimetype_missing_and_wrong():
    assert "mimetype-invalid" in _codes(Package.from_bytes(_zip(_good_entries()[1:])))
    entries = _good_entries()
    entries[0] = ("mimetype", MIMETYPE.encode() + b"\n", zipfile.ZIP_STORED)
    assert "mimetype-invalid" in _codes(Package.from_bytes(_zip(entries)))


def test_mimetype_with_extra_field():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("mimetype")
        info.extra = struct.pack("<HH4s", 0xCAFE, 4, b"abcd")
        zf.writestr(info, MIMETYPE.encode())
        zf.writestr("document.json", DOC)
    assert "mimetype-invalid" in _codes(Package.from_bytes(buf.getvalue()))


def test_good_zip_has_no_problems():
    assert Package.from_bytes(_zip(_good_entries())).problems == []


@pytest.mark.parametrize("name", ["../x", "attachments/../../x", "/abs.pdf", "a//b"])
def test_unsafe_entry_names(name):
    pkg = Package.from_bytes(_zip(_good_entries() + [(name, b"evil", zipfile.ZIP_DEFLATED)]))
    assert "entry-name-unsafe" in _codes(pkg)
    assert name not in pkg.entries


def test_duplicate_entry():
    entries = _good_entries() + [("document.json", b"{}", zipfile.ZIP_DEFLATED)]
    pkg = Package.from_bytes(_zip(entries))
    assert "entry-duplicate" in _codes(pkg)
    assert pkg.entries["document.json"] == DOC  # the first one is kept, the second reported


def test_too_large_attachment_and_package():
    entries = _good_entries() + [("attachments/big.pdf", bytes(MAX_ATTACHMENT + 10),
                                  zipfile.ZIP_DEFLATED)]
    pkg = Package.from_bytes(_zip(entries))
    assert "too-large" in _codes(pkg)
    assert "attachments/big.pdf" not in pkg.entries
    assert _codes(Package.from_bytes(bytes(asice.MAX_PACKAGE + 1))) == {"too-large"}


def _independent_digests(xml: bytes) -> dict[str, tuple[str, str, str | None]]:
    ns = {"asic": "http://uri.etsi.org/02918/v1.2.1#", "ds": "http://www.w3.org/2000/09/xmldsig#"}
    root = ET.fromstring(xml)
    out = {}
    for ref in root.findall("asic:DataObjectReference", ns):
        out[ref.get("URI")] = (ref.find("ds:DigestValue", ns).text, ref.get("MimeType"),
                               ref.get("Rootfile"))
        assert ref.find("ds:DigestMethod", ns).get("Algorithm") == \
            "http://www.w3.org/2001/04/xmlenc#sha256"
    return out


def test_build_manifest_digests_and_types():
    pkg = Package.new(DOC, PDF, {"bang.xlsx": b"PK-xlsx"})
    pkg.entries["META-INF/signature001.p7s"] = b"sig-one"
    xml = build_manifest(2, pkg.entries, pkg.data_entries(), pkg.signature_names())
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"')
    assert xml == build_manifest(2, pkg.entries, pkg.data_entries(), pkg.signature_names())
    refs = _independent_digests(xml)
    assert set(refs) == {"document.json", "document.pdf", "attachments/bang.xlsx",
                         "META-INF/signature001.p7s"}
    for name, (digest, _mime, _root) in refs.items():
        assert digest == base64.b64encode(hashlib.sha256(pkg.entries[name]).digest()).decode()
    assert refs["document.json"][1:] == ("application/json", "true")
    assert refs["document.pdf"][1:] == ("application/pdf", None)
    assert refs["attachments/bang.xlsx"][1] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert refs["META-INF/signature001.p7s"][1] == "application/pkcs7-signature"
    root = ET.fromstring(xml)
    sig_ref = root.find("{http://uri.etsi.org/02918/v1.2.1#}SigReference")
    assert sig_ref.get("URI") == "META-INF/signature002.p7s"


def test_parse_manifest_roundtrip_with_unicode_names():
    pkg = Package.new(DOC, PDF, {"Hóa đơn số 1.pdf": b"%PDF"})
    xml = build_manifest(1, pkg.entries, pkg.data_entries(), [])
    man = parse_manifest(xml)
    assert man.sig_reference == "META-INF/signature001.p7s"
    uris = [r.uri for r in man.references]
    assert uris == ["document.json", "document.pdf", "attachments/Hóa đơn số 1.pdf"]
    first = man.references[0]
    assert first.rootfile and first.mimetype == "application/json"
    assert first.digest_alg == asice.SHA256_URI
    assert first.digest_b64 == base64.b64encode(hashlib.sha256(DOC).digest()).decode()


@pytest.mark.parametrize("xml", [
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
    b"<not xml",
    b'<asic:ASiCManifest xmlns:asic="http://uri.etsi.org/02918/v1.2.1#"/>',  # no SigReference
    b"<other/>",
])
def test_parse_manifest_rejects(xml):
    with pytest.raises(asice.ManifestError):
        parse_manifest(xml)
