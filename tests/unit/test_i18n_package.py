"""English texts of backups, attachments, packages, module discovery and the signing
workflow (issue 8).

``kbnn-client --lang en restore|verify`` run in-process through ``client.cli.main``; the
other tests call the core functions with the language set to English and check that the
default language still gives the Vietnamese texts, byte for byte.
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from types import SimpleNamespace

import pytest

from client import attachments
from client.backup import Cancelled, create_backup
from client.cli import main
from client.errors import InvalidInput, TokenError
from client.home import Home
from client.i18n import set_language
from client.signing import asice, discovery, workflow


def test_cli_restore_of_a_file_that_is_not_a_zip(capsys, tmp_path):
    home = str(tmp_path / "home")
    bad = tmp_path / "sao-luu.zip"
    bad.write_bytes(b"not a zip at all")
    assert main(["--home", home, "--lang", "en", "restore", str(bad)]) == InvalidInput.exit_code
    assert capsys.readouterr().err.splitlines()[0] == (
        "kbnn-client: Not restored: «sao-luu.zip» is not a backup file (not a valid zip file).")
    assert main(["--home", home, "restore", str(bad)]) == InvalidInput.exit_code
    assert capsys.readouterr().err.splitlines()[0] == (
        "kbnn-client: Không khôi phục: «sao-luu.zip» không phải tệp sao lưu (không phải tệp "
        "zip hợp lệ).")


def _zip_without_mimetype() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("document.json", b"{}")
    return buf.getvalue()


def test_cli_verify_json_names_the_package_problems_in_english(capsys, tmp_path):
    home = str(tmp_path / "home")
    pkg = tmp_path / "goi.zip"
    pkg.write_bytes(_zip_without_mimetype())
    main(["--home", home, "--lang", "en", "verify", "--json", str(pkg)])
    text = capsys.readouterr().out
    assert "The package lacks the 'mimetype' entry." in text
    assert "Gói thiếu mục" not in text
    main(["--home", home, "verify", "--json", str(pkg)])
    assert "Gói thiếu mục 'mimetype'." in capsys.readouterr().out


def test_package_structure_problems_follow_the_language():
    data = _zip_without_mimetype()
    assert [p.message for p in asice.Package.from_bytes(data).problems] == [
        "Gói thiếu mục 'mimetype'."]
    with pytest.raises(asice.ManifestError, match="^Tệp kê khai tham chiếu một tệp nhiều lần.$"):
        asice.parse_manifest(asice.build_manifest(1, {"a": b"1"}, ["a", "a"], []))
    set_language("en")
    assert [p.message for p in asice.Package.from_bytes(data).problems] == [
        "The package lacks the 'mimetype' entry."]
    assert asice.Package.from_bytes(b"junk").problems[0].message.startswith(
        "The file is not a valid ZIP package (")
    with pytest.raises(asice.ManifestError, match="^The manifest refers to a file more than once.$"):
        asice.parse_manifest(asice.build_manifest(1, {"a": b"1"}, ["a", "a"], []))
    with pytest.raises(InvalidInput) as info:
        asice.attachment_entry_name("thư mục/hợp đồng.pdf")
    assert info.value.message == ("Invalid attachment name: attachments/thư mục/hợp đồng.pdf "
                                  "(attachments may not be in a subfolder).")


def test_attachment_checks_in_english_and_by_default():
    files = {"chạy.exe": b"MZ", "ảnh.jpg": b"%PDF-1.7", "không đuôi": b"x"}
    vi = [p.message for p in attachments.check_files(files)]
    assert vi == [
        "Tệp đính kèm: chỉ đính kèm được tệp PDF, Word (.docx), Excel (.xlsx), ảnh JPG hoặc PNG "
        "(«chạy.exe» có phần mở rộng «.exe»).",
        "Tệp đính kèm: nội dung tệp «ảnh.jpg» không phải ảnh JPEG như phần mở rộng cho biết.",
        "Tệp đính kèm: chỉ đính kèm được tệp PDF, Word (.docx), Excel (.xlsx), ảnh JPG hoặc PNG "
        "(«không đuôi» có phần mở rộng «không có»).",
    ]
    set_language("en")
    en = [p.message for p in attachments.check_files(files)]
    assert en == [
        "Attachment: only PDF, Word (.docx), Excel (.xlsx), JPG or PNG image files can be "
        "attached («chạy.exe» has the extension «.exe»).",
        "Attachment: the content of file «ảnh.jpg» is not a JPEG image as its extension says.",
        "Attachment: only PDF, Word (.docx), Excel (.xlsx), JPG or PNG image files can be "
        "attached («không đuôi» has no extension).",
    ]
    big = {"lớn.pdf": b"%PDF-" + bytes(11 * 1024 * 1024)}
    assert attachments.check_files(big)[0].message == (
        "Attachment «lớn.pdf» is 11.0 MiB; the limit is 10 MiB.")


def test_signing_order_is_explained_in_the_language():
    prepared = workflow.Prepared(package=asice.Package(), document={}, pdf=b"", existing=None,
                                 next_role="chief-accountant")
    signer = SimpleNamespace(cert_der=b"")
    with pytest.raises(InvalidInput) as info:
        workflow.sign_prepared(prepared, "head-of-unit", signer)
    assert info.value.message == ("Chưa thể ký với vai trò Thủ trưởng đơn vị: Kế toán trưởng "
                                  "phải ký trước.")
    set_language("en")
    with pytest.raises(InvalidInput) as info:
        workflow.sign_prepared(prepared, "head-of-unit", signer)
    assert info.value.message == ("Cannot sign as head of unit yet: the chief accountant must "
                                  "sign first.")
    assert info.value.problems[0].message.endswith("The next signer must be the chief accountant.")
    with pytest.raises(InvalidInput) as info:
        workflow.prepare(b"PK\x03\x04 package", trust=[], attachments={"a.pdf": b"%PDF-"})
    assert info.value.message == "Attachments cannot be added to a package that is already signed."


def test_32bit_module_in_a_64bit_process_in_english(tmp_path):
    dll = tmp_path / "token_p11.dll"
    header = bytearray(0x200)
    header[0:2] = b"MZ"
    struct.pack_into("<I", header, 0x3C, 0x80)
    header[0x80:0x84] = b"PE\0\0"
    struct.pack_into("<H", header, 0x84, 0x014C)  # x86
    dll.write_bytes(bytes(header))
    kw = {"env": {}, "platform": "windows", "catalogue": {}, "arch": "x64"}
    with pytest.raises(TokenError) as info:
        discovery.require_module(str(dll), **kw)
    assert info.value.message.startswith("Mô-đun PKCS#11 «token_p11.dll» chỉ có bản 32-bit; ")
    set_language("en")
    with pytest.raises(TokenError) as info:
        discovery.require_module(str(dll), **kw)
    assert info.value.message == (
        "The PKCS#11 module «token_p11.dll» exists only as a 32-bit build; the application runs "
        "64-bit, so it cannot be loaded. Install the 64-bit token driver (download it from your "
        "digital signature provider), or use the 32-bit KBNN Client.")


def test_cancelled_backup_says_so_in_english(tmp_path):
    home = Home(tmp_path / "home")
    set_language("en")
    with pytest.raises(Cancelled) as info:
        create_backup(home, tmp_path / "b.zip", cancel=lambda: True)
    assert info.value.message == "Cancelled; the data has not changed."
    assert json.loads(json.dumps([p.to_json() for p in info.value.problems]))[0]["message"] == (
        "Cancelled; the data has not changed.")
    set_language(None)
    with pytest.raises(Cancelled) as info:
        create_backup(home, tmp_path / "b.zip", cancel=lambda: True)
    assert info.value.message == "Đã hủy; dữ liệu không thay đổi."
