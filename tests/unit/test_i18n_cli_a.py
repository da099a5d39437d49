"""English texts of the ``sign``, ``verify``, ``tokens``, ``status``, ``queue`` and ``proxy``
commands (issue 8).

The commands run in-process through ``client.cli.main``; ``sign`` goes through a
PKCS#11 test double (``tests.p11fake``, registered for a module path) so that the
whole command — ranking, pre-PIN checks, signing, writing — speaks English with
``--lang en`` and stays byte-identical Vietnamese without it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from client.cli import main
from client.commands import signing as signing_cmd
from client.commands import treasury as treasury_cmd
from client.commands.common import Parser
from client.i18n import set_language
from client.signing.tokens import use_lib_factory
from client.training.pki import create_ca, issue_signer_cert
from tests.p11fake import FakeModule, FakeToken
from tests.unit.test_cades_verify import DOC_BYTES

VIETNAMESE = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"


def has_vietnamese(text: str) -> bool:
    return any(ch in VIETNAMESE for ch in text.lower())



@pytest.fixture(scope="module")
def pki():
    ca = create_ca("CA Thử CLI")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = issue_signer_cert(ca, key.public_key(), name="NGUYỄN THỊ KẾ TOÁN",
                             organisation="Trường Tiểu học Kim Liên", unit_code="1047665",
                             cccd="001085000001")
    return ca, key, cert


@pytest.fixture()
def world(pki, tmp_path, monkeypatch):
    ca, key, cert = pki
    tok = FakeToken(label="KTT", pin="1234")
    tok.add_key(b"ktt-key", key, cert, "NGUYỄN THỊ KẾ TOÁN")
    module = str(tmp_path / "fake-pkcs11.so")
    Path(module).write_bytes(b"")
    use_lib_factory(module, FakeModule([tok]))
    (tmp_path / "doc.json").write_bytes(DOC_BYTES)
    (tmp_path / "ca.pem").write_bytes(ca.cert_pem())
    monkeypatch.setenv("PIN_OK", "1234")
    yield SimpleNamespace(tmp=tmp_path, module=module, tok=tok)
    use_lib_factory(module, None)


def sign(w, out_name: str, *extra: str, role: str = "chief-accountant") -> int:
    return main(["--home", str(w.tmp / "home"), *extra, "sign", str(w.tmp / "doc.json"),
                 "-o", str(w.tmp / out_name), "--role", role, "--module", w.module,
                 "--pin-env", "PIN_OK", "--trust", str(w.tmp / "ca.pem"), "--offline"])


def verify(w, name: str, *lang: str) -> int:
    return main(["--home", str(w.tmp / "home"), *lang, "verify", str(w.tmp / name),
                 "--trust", str(w.tmp / "ca.pem")])


def test_sign_and_verify_in_english_then_in_vietnamese(world, capsys):
    w = world
    assert sign(w, "en.asice", "--lang", "en") == 0
    out = capsys.readouterr().out
    assert out.startswith("Signing as chief accountant: ")
    assert "; token «KTT»." in out
    assert f"Signed and written to {w.tmp / 'en.asice'}." in out
    for data in ("NGUYỄN THỊ KẾ TOÁN", "Trường Tiểu học Kim Liên", "CA Thử CLI"):  # names, not texts
        out = out.replace(data, "")
    assert not has_vietnamese(out), out

    assert verify(w, "en.asice", "--lang", "en") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Document package {w.tmp / 'en.asice'}: VALID (signatures not complete yet)"
    assert " chief accountant — NGUYỄN THỊ KẾ TOÁN — signed at " in lines[1]
    assert lines[1].endswith(" — VALID")
    assert lines[2].startswith("      certificate: serial number ") and ", issued by " in lines[2]

    assert sign(w, "vi.asice") == 0
    out = capsys.readouterr().out
    assert out.startswith("Ký với tư cách Kế toán trưởng: ")
    assert f"Đã ký và ghi {w.tmp / 'vi.asice'}." in out
    verify(w, "vi.asice")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Gói hồ sơ {w.tmp / 'vi.asice'}: HỢP LỆ (chưa đủ chữ ký)"
    assert " Kế toán trưởng — NGUYỄN THỊ KẾ TOÁN — ký lúc " in lines[1]
    assert lines[1].endswith(" — HỢP LỆ")
    assert lines[2].startswith("      chứng thư số: số sê-ri ") and ", cấp bởi " in lines[2]


def test_sign_refusals_in_english_and_by_default(world, capsys):
    w = world
    assert sign(w, "x.asice", "--lang", "en", role="head-of-unit") != 0
    assert capsys.readouterr().err.splitlines()[0] == (
        "kbnn-client: By the signing order, the next signer is the chief accountant, "
        "not the head of unit.")
    assert sign(w, "x.asice", role="head-of-unit") != 0
    assert capsys.readouterr().err.splitlines()[0] == (
        "kbnn-client: Theo thứ tự ký, người ký tiếp theo là Kế toán trưởng, "
        "không phải Thủ trưởng đơn vị.")

    # the file kinds are passed to read_file as keys: the whole sentence is translated there
    assert verify(w, "missing.asice", "--lang", "en") == 1
    assert capsys.readouterr().err == (
        f"kbnn-client: Document package «{w.tmp / 'missing.asice'}» not found.\n")
    assert verify(w, "missing.asice") == 1
    assert capsys.readouterr().err == (
        f"kbnn-client: Không tìm thấy gói hồ sơ «{w.tmp / 'missing.asice'}».\n")

    w.tok.tries_left = 0  # a locked PIN: refused before asking for it
    assert sign(w, "x.asice", "--lang", "en") == 4
    err = capsys.readouterr().err
    assert err.startswith("kbnn-client: Cannot sign with this certificate (the PIN was not asked for):")
    assert not (w.tmp / "x.asice").exists()


def test_tokens_listing_in_english_and_by_default(world, capsys):
    w = world
    home = str(w.tmp / "home")
    assert main(["--home", home, "--lang", "en", "tokens", "--module", w.module]) == 0
    out = capsys.readouterr().out
    assert out.startswith("The application is running ")
    assert f"PKCS#11 module [in use]: {w.module}" in out
    assert "    Token «KTT» (serial number " in out and ") — PIN normal" in out
    cert_line = next(ln for ln in out.splitlines() if ln.startswith("      - NGUYỄN THỊ KẾ TOÁN"))
    assert " — issued by " in cert_line and " — serial number " in cert_line
    assert cert_line.endswith("[has a private key]")
    assert " — valid " in cert_line

    assert main(["--home", home, "tokens", "--module", w.module]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Ứng dụng đang chạy ")
    assert f"Mô-đun PKCS#11 [đang dùng]: {w.module}" in out
    assert ") — PIN bình thường" in out and "[có khóa bí mật]" in out


def test_status_and_proxy_in_english_and_by_default(tmp_path, capsys):
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.ini").write_text("[network]\nproxy = none\n", encoding="utf-8")
    h = str(home)
    assert main(["--home", h, "--lang", "en", "status"]) == 0
    assert capsys.readouterr().out == "No package has been sent yet.\n"
    assert main(["--home", h, "--lang", "en", "status", "--save-receipt", "x.p7m"]) == 1
    assert capsys.readouterr().err == ("kbnn-client: Say which package's debit advice to save "
                                       "(submission id or item number).\n")
    assert main(["--home", h, "--lang", "en", "proxy", "show"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Proxy: no proxy", "Timeouts: connect 10 seconds, answer 60 seconds"]

    assert main(["--home", h, "status"]) == 0
    assert capsys.readouterr().out == "Chưa có hồ sơ nào được gửi.\n"
    assert main(["--home", h, "status", "7"]) == 1
    assert capsys.readouterr().err == (
        "kbnn-client: Không có hồ sơ «7» (mã hồ sơ Kho bạc hoặc số mục).\n")
    assert main(["--home", h, "proxy", "show"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "Proxy: không dùng proxy", "Thời gian chờ: kết nối 10 giây, trả lời 60 giây"]


def queued_item(**kw) -> SimpleNamespace:
    base = dict(local_id=5, document_number="09/2025", kind="salary-table", total=12_500_000,
                state_text="chờ gửi", waiting=True, attempts=2, next_try=None, submission_id=None,
                status_text=None, treasury_status=None, has_receipt=False, reason=None,
                last_error="Không kết nối được", delivery_uncertain=True)
    return SimpleNamespace(**{**base, **kw})


def test_queue_item_lines_in_english_and_by_default(capsys):
    item = queued_item()
    paid = queued_item(waiting=False, submission_id="HS-1", status_text="đã thanh toán",
                       has_receipt=True, reason="dòng 1\ndòng 2")
    set_language("en")
    treasury_cmd.print_item(item)
    treasury_cmd.print_item(paid)
    assert capsys.readouterr().out.splitlines() == [
        "#5  Document no. 09/2025  (salary-table)  12.500.000 VND",
        "      Queue: chờ gửi — tried 2 time(s)",
        "      Last error: Không kết nối được",
        "      (The treasury may have received it — it will be resent with the same key, "
        "without duplicates; it cannot be cancelled)",
        "#5  Document no. 09/2025  (salary-table)  12.500.000 VND",
        "      Queue: chờ gửi",
        "      Treasury: đã thanh toán (submission id HS-1); debit advice available",
        "      Reason: dòng 1",
        "        dòng 2",
    ]
    set_language(None)
    treasury_cmd.print_item(item)
    assert capsys.readouterr().out.splitlines() == [
        "#5  Chứng từ số 09/2025  (salary-table)  12.500.000 đ",
        "      Hàng đợi: chờ gửi — đã thử 2 lần",
        "      Lỗi gần nhất: Không kết nối được",
        "      (Kho bạc có thể đã nhận — sẽ gửi lại cùng khóa, không bị trùng; không hủy được)",
    ]


@pytest.mark.parametrize("register", [signing_cmd.register, treasury_cmd.register])
def test_help_texts_follow_the_language(register):
    def helps() -> str:
        parser = Parser(prog="kbnn-client")
        register(parser.add_subparsers(parser_class=Parser))
        texts = [a.help or "" for a in parser._actions]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    texts += [a.help or "" for a in sub._actions] + [sub.format_help()]
                texts += [c.help or "" for c in action._choices_actions]
        return "\n".join(texts)

    vi = helps()
    assert has_vietnamese(vi)
    set_language("en")
    en = helps()
    assert not has_vietnamese(en), [ln for ln in en.splitlines() if has_vietnamese(ln)]
    assert "treasury" in en
