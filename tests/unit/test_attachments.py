"""Attachments of a dossier: limits and names, the listing in document.json and on the form,
covered by every signature, checked by the one verifier."""

from __future__ import annotations

import hashlib
import json

import pytest

from client import attachments
from client.documents import parse, serialize
from client.errors import InvalidInput
from client.signing.asice import MAX_ATTACHMENT, Package
from client.signing.verify import verify_package
from client.signing.workflow import SignerSpec, sign
from tests.unit.pkihelp import raw_signer
from tests.unit.test_cades_verify import PKI
from tests.unit.test_vouchers import vouchers

CHIEF, HEAD = "chief-accountant", "head-of-unit"
CONTRACT = b"%PDF-1.4\n% hop dong so 12\n" + bytes(range(256))
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00" * 300
SHEET = b"PK\x03\x04" + b"\x01" * 100


@pytest.fixture(scope="module")
def pki() -> PKI:
    return PKI()


def spec(who, pki) -> SignerSpec:
    return SignerSpec(cert_der=who.der, chain=[pki.ca.der], scheme="pkcs1v15",
                      raw_sign=raw_signer(who.key, "pkcs1v15"))


FILES = {"Hợp đồng số 12.pdf": CONTRACT, "Biên bản nghiệm thu.png": PHOTO}


@pytest.fixture(scope="module")
def signed(pki) -> bytes:
    one = sign(serialize(vouchers()), CHIEF, spec(pki.chief, pki), trust=pki.trust,
               attachments=FILES)
    return sign(one, HEAD, spec(pki.head, pki), trust=pki.trust)


# -- limits, names, types ------------------------------------------------------------------

@pytest.mark.parametrize(("name", "content", "code"), [
    ("ghi-chu.txt", b"text", "attachment-type-not-allowed"),
    ("macro.xlsm", SHEET, "attachment-type-not-allowed"),
    ("gia-mao.pdf", b"MZ\x90\x00 not a pdf", "attachment-type-not-allowed"),
    ("anh.jpg", PHOTO, "attachment-type-not-allowed"),  # a PNG named .jpg
    ("to.pdf", b"%PDF-" + bytes(MAX_ATTACHMENT), "attachment-too-large"),
    ("thư mục/x.pdf", CONTRACT, "entry-name-unsafe"),
    ("..", CONTRACT, "entry-name-unsafe"),
])
def test_refused_files(name, content, code):
    assert code in {p.code for p in attachments.check_files({name: content})}


def test_allowed_types_pass():
    files = {"a.pdf": CONTRACT, "b.png": PHOTO, "c.xlsx": SHEET, "d.docx": SHEET,
             "e.JPG": b"\xff\xd8\xff\xe0" + b"\x00" * 10}
    assert attachments.check_files(files) == []


def test_read_files_nfc_names_and_duplicates(tmp_path):
    import unicodedata

    nfd = unicodedata.normalize("NFD", "Quyết định.pdf")
    (tmp_path / nfd).write_bytes(CONTRACT)
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "Quyết định.pdf").write_bytes(CONTRACT)
    files = attachments.read_files([tmp_path / nfd])
    assert list(files) == ["Quyết định.pdf"]
    with pytest.raises(InvalidInput) as exc:
        attachments.read_files([tmp_path / nfd, tmp_path / "x" / "Quyết định.pdf"])
    assert exc.value.problems[0].code == "attachment-duplicate-name"
    with pytest.raises(InvalidInput, match="Không đọc được"):
        attachments.read_files([tmp_path / "khong-co.pdf"])


# -- signing with attachments ----------------------------------------------------------------

def test_listed_in_the_document_covered_by_both_signatures(pki, signed):
    report = verify_package(signed, pki.trust, require_complete=True)
    assert report.valid and report.complete, report.problems
    assert not [p for p in report.problems if p.code.startswith("attachment")]
    assert report.document["attachments"] == [
        {"name": "Biên bản nghiệm thu.png", "size": len(PHOTO),
         "sha256": hashlib.sha256(PHOTO).hexdigest()},
        {"name": "Hợp đồng số 12.pdf", "size": len(CONTRACT),
         "sha256": hashlib.sha256(CONTRACT).hexdigest()}]
    pkg = Package.from_bytes(signed)
    for n in (1, 2):
        manifest = pkg.entries[f"META-INF/ASiCManifest00{n}.xml"].decode()
        assert "attachments/H%E1%BB%A3p" in manifest or "attachments/Hợp đồng số 12.pdf" in manifest
        assert "Bi%C3%AAn" in manifest or "Biên bản nghiệm thu.png" in manifest


def test_listed_on_the_printed_form(signed):
    import shutil
    import subprocess
    import tempfile

    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils not installed")
    pdf = Package.from_bytes(signed).entries["document.pdf"]
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        text = subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True,
                              text=True, check=True).stdout
    assert "Tài liệu kèm theo (2 tệp" in text
    assert "1. Biên bản nghiệm thu.png" in text and "2. Hợp đồng số 12.pdf" in text


def _tamper(data: bytes, fn) -> bytes:
    pkg = Package.from_bytes(data)
    fn(pkg.entries)
    return pkg.to_bytes()


def test_changing_an_attachment_after_signing_is_caught(pki, signed):
    changed = _tamper(signed, lambda e: e.__setitem__("attachments/Hợp đồng số 12.pdf",
                                                      CONTRACT + b"% edited"))
    report = verify_package(changed, pki.trust)
    assert not report.valid
    codes = {(p.code, p.where) for p in report.problems}
    assert ("manifest-digest-mismatch", "attachments/Hợp đồng số 12.pdf") in codes
    assert ("attachment-mismatch", "attachments/Hợp đồng số 12.pdf") in codes


def test_removed_or_added_attachment_is_caught(pki, signed):
    removed = verify_package(_tamper(signed, lambda e: e.pop("attachments/Biên bản nghiệm thu.png")),
                             pki.trust)
    assert {"entry-missing", "attachment-missing"} <= {p.code for p in removed.problems}
    added = verify_package(_tamper(signed, lambda e: e.__setitem__("attachments/thêm.pdf", CONTRACT)),
                           pki.trust)
    assert {"entry-not-covered", "attachment-not-listed"} <= {p.code for p in added.problems}


def test_document_listing_must_match_the_files_given(pki):
    doc = attachments.with_attachments(vouchers(), {"Hợp đồng số 12.pdf": CONTRACT})
    with pytest.raises(InvalidInput) as exc:
        sign(serialize(doc), CHIEF, spec(pki.chief, pki), trust=pki.trust,
             attachments={"Hợp đồng số 12.pdf": CONTRACT + b"x"})
    assert exc.value.problems[0].code == "attachment-mismatch"
    # listed exactly: the document bytes are signed as given
    data = serialize(doc)
    pkg = Package.from_bytes(sign(data, CHIEF, spec(pki.chief, pki), trust=pki.trust,
                                  attachments={"Hợp đồng số 12.pdf": CONTRACT}))
    assert pkg.entries["document.json"] == data


def test_disallowed_type_refused_before_signing_and_by_the_verifier(pki, signed):
    with pytest.raises(InvalidInput) as exc:
        sign(serialize(vouchers()), CHIEF, spec(pki.chief, pki), trust=pki.trust,
             attachments={"virus.exe": b"MZ"})
    assert [p.code for p in exc.value.problems] == ["attachment-type-not-allowed"]
    problems = attachments.check_entries({"attachments/a.pdf": b"MZ not pdf"}, None)
    assert [p.code for p in problems] == ["attachment-type-not-allowed", "attachments-not-listed"]
    assert problems[1].severity == "warning"


def test_salary_tables_carry_attachments_too(pki):
    from tests.unit.test_documents import salary_doc

    data = sign(serialize(salary_doc()), CHIEF, spec(pki.chief, pki), trust=pki.trust,
                attachments={"Quyết định nâng lương.pdf": CONTRACT})
    doc = parse(Package.from_bytes(data).entries["document.json"])
    assert [a["name"] for a in doc["attachments"]] == ["Quyết định nâng lương.pdf"]
    assert json.loads(Package.from_bytes(data).entries["document.json"])["kind"] == "salary-table"
