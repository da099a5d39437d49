"""Signing packages through real SoftHSM2 tokens: keys generated on the token, two tokens
at once, RSA PKCS#1 v1.5 / PSS and ECDSA with mechanism fallback, an intermediate CA held
only by the token, certificates refused before any PIN (the module counted in a child
process), and what the picker offers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms
from pkcs11 import Mechanism

from client.signing.asice import Package
from client.signing.preflight import rank_candidates
from client.signing.tokens import TokenService
from client.signing.verify import verify_package
from client.signing.workflow import SignerSpec, prepare, sign_prepared, token_signer
from client.training.pki import create_ca, create_intermediate_ca
from client.training.token import import_cert_only, provision_signer, store_ca_certificate
from tests.softhsm import ROOT, process_token_env, run_python
from tests.unit.test_cades_verify import DOC_BYTES

UNIT = "1047665"
ORG = "Trường Tiểu học Kim Liên"
CHIEF, HEAD = "chief-accountant", "head-of-unit"
PINS = {"KTT": "1111", "TTDV": "2222"}
NOW = datetime.now(UTC).replace(microsecond=0)


class World:
    """Keys and certificates on the shared process tokens, under this file's own CKA_IDs."""

    def __init__(self) -> None:
        self.env = process_token_env(list(PINS.items()))
        self.ca = create_ca("CA Thử Ký SoftHSM")
        self.root = create_ca("Gốc Hai Tầng", path_length=1)
        self.sub = create_intermediate_ca(self.root, "Trung Gian Trên Token")
        kw = {"organisation": ORG, "unit_code": UNIT}
        with TokenService(self.env.module) as svc:
            self.serial = {t.label: t.serial for t in svc.tokens()}
            p = provision_signer
            self.chief_rsa = p(svc, "KTT", PINS["KTT"], self.ca, name="KẾ TOÁN RSA", key_id=b"s3-rsa",
                               cccd="001085000011", **kw)
            self.head_ec = p(svc, "TTDV", PINS["TTDV"], self.ca, name="THỦ TRƯỞNG EC", key_type="ec",
                             key_id=b"s3-ec", **kw)
            self.expired = p(svc, "KTT", PINS["KTT"], self.ca, name="KẾ TOÁN HẾT HẠN",
                             key_id=b"s3-expired", not_before=NOW - timedelta(days=800),
                             not_after=NOW - timedelta(days=1), **kw)
            self.future = p(svc, "KTT", PINS["KTT"], self.ca, name="KẾ TOÁN CHƯA HIỆU LỰC",
                            key_id=b"s3-future", not_before=NOW + timedelta(days=2),
                            not_after=NOW + timedelta(days=700), **kw)
            # two-level PKI: the intermediate exists only on the token
            self.chained = p(svc, "KTT", PINS["KTT"], self.sub, name="KẾ TOÁN HAI TẦNG",
                             key_id=b"s3-chain", **kw)
            store_ca_certificate(svc, "KTT", PINS["KTT"], self.sub.cert_der, "Trung Gian Trên Token")
            # a certificate whose key is elsewhere
            import_cert_only(svc, "TTDV", PINS["TTDV"], self.chief_rsa, b"s3-orphan", "KHÔNG CÓ KHÓA")
        self.trust = [self.ca.cert_der]

    def entry(self, svc: TokenService, key_id: bytes):
        return next(e for e in svc.certificates() if e.key_id == key_id)


@pytest.fixture(scope="module")
def world() -> World:
    return World()


@pytest.fixture()
def svc(world):
    service = TokenService(world.env.module)
    yield service
    service.close()


def signer(svc, world, key_id: bytes, label: str, scheme: str | None = None) -> SignerSpec:
    return token_signer(svc, world.entry(svc, key_id), PINS[label], scheme=scheme)


def signed_by_chief(svc, world, scheme: str | None = None) -> bytes:
    prepared = prepare(DOC_BYTES, trust=world.trust)
    return sign_prepared(prepared, CHIEF, signer(svc, world, b"s3-rsa", "KTT", scheme))


def algorithm(package: bytes, n: int) -> str:
    sig = Package.from_bytes(package).entries[f"META-INF/signature00{n}.p7s"]
    si = cms.ContentInfo.load(sig)["content"]["signer_infos"][0]
    return si["signature_algorithm"]["algorithm"].native


def test_two_tokens_chief_rsa_then_head_ec(svc, world):
    tokens = {t.label for t in svc.tokens()}
    assert {"KTT", "TTDV"} <= tokens  # both present at once
    p1 = signed_by_chief(svc, world)
    assert algorithm(p1, 1) == "sha256_rsa"
    prepared = prepare(p1, trust=world.trust)
    assert prepared.next_role == HEAD and prepared.existing.valid
    p2 = sign_prepared(prepared, HEAD, signer(svc, world, b"s3-ec", "TTDV"))
    assert algorithm(p2, 2) == "sha256_ecdsa"
    rep = verify_package(p2, world.trust)
    assert rep.valid and rep.complete, rep.problems
    assert [s.role for s in rep.signatures] == [CHIEF, HEAD]
    assert [s.signer_name for s in rep.signatures] == ["KẾ TOÁN RSA", "THỦ TRƯỞNG EC"]
    # the head's manifest covers the chief's signature file
    man2 = Package.from_bytes(p2).entries["META-INF/ASiCManifest002.xml"].decode()
    assert 'URI="META-INF/signature001.p7s"' in man2


def test_rsa_pss_through_the_token(svc, world):
    package = signed_by_chief(svc, world, scheme="pss")
    assert algorithm(package, 1) == "rsassa_pss"
    assert verify_package(package, world.trust).valid


@pytest.mark.parametrize("key_id,label,role_first,hidden,expected", [
    (b"s3-rsa", "KTT", True, Mechanism.SHA256_RSA_PKCS, "sha256_rsa"),
    (b"s3-ec", "TTDV", False, Mechanism.ECDSA_SHA256, "sha256_ecdsa"),
])
def test_mechanism_fallback_hashes_outside_the_token(svc, world, key_id, label, role_first,
                                                     hidden, expected):
    """A token without the one-step mechanism: hash here, raw RSA/ECDSA on the token."""
    svc._hidden_mechanisms = {int(hidden)}
    if role_first:
        package = signed_by_chief(svc, world)
        n = 1
    else:
        svc._hidden_mechanisms = set()
        p1 = signed_by_chief(svc, world)
        svc._hidden_mechanisms = {int(hidden)}
        package = sign_prepared(prepare(p1, trust=world.trust), HEAD,
                                signer(svc, world, key_id, label))
        n = 2
    assert algorithm(package, n) == expected
    assert verify_package(package, world.trust).valid


def test_intermediate_held_by_the_token_goes_into_the_signature(svc, world):
    entry = world.entry(svc, b"s3-chain")
    assert entry.chain == (world.sub.cert_der,)
    ca_entries = [e for e in svc.certificates() if e.cert_der == world.sub.cert_der]
    assert ca_entries and ca_entries[0].is_ca and not ca_entries[0].has_private_key

    prepared = prepare(DOC_BYTES, trust=[world.root.cert_der])
    package = sign_prepared(prepared, CHIEF, token_signer(svc, entry, PINS["KTT"]))
    sd = cms.ContentInfo.load(Package.from_bytes(package).entries["META-INF/signature001.p7s"])
    embedded = {c.chosen.dump() for c in sd["content"]["certificates"]}
    assert world.sub.cert_der in embedded and world.root.cert_der not in embedded
    rep = verify_package(package, [world.root.cert_der])  # only the root is known
    assert rep.valid, rep.problems

    # the same signature without the token's intermediate cannot be trusted
    from client.signing import asice, cades

    pkg = prepare(DOC_BYTES, trust=[world.root.cert_der]).package
    man = asice.build_manifest(1, pkg.entries, pkg.data_entries(), [])
    sig = cades.sign_manifest(man, cert_der=entry.cert_der, chain=[], role=CHIEF,
                              raw_sign=token_signer(svc, entry, PINS["KTT"]).raw_sign)
    pkg.entries[asice.manifest_name(1)] = man
    pkg.entries[asice.signature_name(1)] = sig
    rep = verify_package(pkg.to_bytes(), [world.root.cert_der])
    assert "certificate-untrusted" in rep.codes()


def test_picker_offers_only_certificates_with_keys(svc, world):
    entries = [e for e in svc.certificates() if e.key_id.startswith(b"s3-")
               or e.cert_der == world.sub.cert_der]
    ranked = rank_candidates(entries, UNIT, CHIEF)
    names = [c.info.subject_cn for c in ranked]
    assert "Trung Gian Trên Token" not in names  # CA certificate
    orphan = [e for e in entries if e.key_id == b"s3-orphan"]
    assert orphan and not orphan[0].has_private_key
    assert len(names) == len([e for e in entries if e.has_private_key and not e.is_ca])
    assert names.count("KẾ TOÁN RSA") == 1  # only the copy WITH its key (the orphan is left out)
    by = {c.info.subject_cn: c for c in ranked}
    assert not by["KẾ TOÁN HẾT HẠN"].usable and not by["KẾ TOÁN CHƯA HIỆU LỰC"].usable
    assert by["KẾ TOÁN RSA"].usable and by["KẾ TOÁN RSA"].mns_matches


# ---------------------------------------------------------------- refused before any PIN (child)

CHILD = r"""
import json, os, sys
os.environ["PIN_KTT"] = "1111"
from client.signing.tokens import use_lib_factory
from tests.p11fake import CountingFactory
module, home, doc, ca, out, key_id = sys.argv[1:7]
counter = CountingFactory()
use_lib_factory(module, counter)
if len(sys.argv) > 7 and sys.argv[7] == "ctrl-c":
    import client.commands.common as common
    def cancelled(prompt=""):
        raise KeyboardInterrupt
    common.getpass.getpass = cancelled
    sys.stdin.isatty = lambda: True
from client.cli import main
args = ["--home", home, "sign", doc, "-o", out, "--role", "chief-accountant", "--module", module,
        "--token", "KTT", "--key-id", key_id, "--trust", ca, "--offline"]
if not (len(sys.argv) > 7 and sys.argv[7] == "ctrl-c"):
    args += ["--pin-env", "PIN_KTT"]
rc = main(args)
print(json.dumps({"rc": rc, "logins": counter.logins}))
"""


def run_child(world: World, tmp: Path, key_id: bytes, *extra: str) -> tuple[dict, str]:
    (tmp / "doc.json").write_bytes(DOC_BYTES)
    (tmp / "ca.pem").write_bytes(world.ca.cert_pem())
    argv = [world.env.module, str(tmp / "home"), str(tmp / "doc.json"), str(tmp / "ca.pem"),
            str(tmp / "out.asice"), key_id.hex(), *extra]
    proc = run_python(world.env.conf, f"import sys\nsys.argv = ['child', *{argv!r}]\n" + CHILD,
                      timeout=120)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    assert lines, proc.stderr + proc.stdout
    return json.loads(lines[-1]), proc.stderr


@pytest.mark.parametrize("key_id,text", [
    (b"s3-expired", "đã hết hạn"),
    (b"s3-future", "chưa có hiệu lực"),
])
def test_expired_and_not_yet_valid_refused_before_any_pin(world, tmp_path, key_id, text):
    result, err = run_child(world, tmp_path, key_id)
    assert result["rc"] == 4, err
    assert text in err and "chưa hỏi mã PIN" in err
    assert result["logins"] == []  # the token never saw a login
    assert not (tmp_path / "out.asice").exists()


def test_counting_child_sees_exactly_one_login_when_signing(world, tmp_path):
    result, err = run_child(world, tmp_path, b"s3-rsa")
    assert result["rc"] == 0, err
    assert result["logins"] == ["KTT"]
    assert verify_package((tmp_path / "out.asice").read_bytes(), world.trust).valid


def test_cancelling_at_the_pin_prompt_leaves_nothing(world, tmp_path):
    result, err = run_child(world, tmp_path, b"s3-rsa", "ctrl-c")
    assert result["rc"] == 130 and "hủy" in err
    assert result["logins"] == []
    assert [p.name for p in tmp_path.iterdir() if "out.asice" in p.name] == []


def test_tokens_command_lists_modules_tokens_and_certificates(world, tmp_path):
    env = dict(os.environ, SOFTHSM2_CONF=str(world.env.conf), PYTHONPATH=str(ROOT),
               PYTHONIOENCODING="utf-8")
    proc = subprocess.run([sys.executable, "-m", "client", "--home", str(tmp_path / "h"), "tokens",
                           "--module", world.env.module, "--json"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["module"] == world.env.module
    [mod] = doc["modules"]
    assert mod["vendor"] == "SoftHSM2" and mod["format"] == "elf" and mod["loadable"]
    by_label = {t["label"]: t for t in doc["tokens"]}
    assert {"KTT", "TTDV"} <= set(by_label)
    certs = {c["key_id"]: c for c in by_label["KTT"]["certificates"]}
    rsa = certs[b"s3-rsa".hex()]
    assert rsa["has_private_key"] and rsa["uids"]["MNS"] == [UNIT]
    assert rsa["uids"]["CCCD"] == ["001085000011"] and rsa["issuer"] == "CA Thử Ký SoftHSM"
    assert {"digitalSignature", "nonRepudiation"} <= set(rsa["key_usage"])
    assert certs[b"s3-chain".hex()]["chain_length"] == 1
    assert [p["code"] for p in certs[b"s3-expired".hex()]["problems"]] == ["cert-expired"]
    assert any(c["is_ca"] for c in certs.values())
    orphan = {c["key_id"]: c for c in by_label["TTDV"]["certificates"]}[b"s3-orphan".hex()]
    assert orphan["has_private_key"] is False

    text = subprocess.run([sys.executable, "-m", "client", "--home", str(tmp_path / "h"), "tokens",
                           "--module", world.env.module], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert text.returncode == 0
    assert "Token «KTT»" in text.stdout and "KẾ TOÁN RSA" in text.stdout
    assert "KHÔNG có khóa bí mật" in text.stdout and "chứng thư CA" in text.stdout


# ---------------------------------------------------------------- packages made by the tokens

ATTACHMENT = "Hóa đơn 01.pdf"


@pytest.fixture(scope="module")
def token_package(world) -> bytes:
    """Chief accountant RSA-PSS on token KTT, head of unit ECDSA on token TTDV, one attachment."""
    with TokenService(world.env.module) as service:
        p1 = sign_prepared(prepare(DOC_BYTES, trust=world.trust,
                                   attachments={ATTACHMENT: b"%PDF-1.4 attached invoice"}),
                           CHIEF, signer(service, world, b"s3-rsa", "KTT", "pss"))
        return sign_prepared(prepare(p1, trust=world.trust), HEAD,
                             signer(service, world, b"s3-ec", "TTDV"))


def _openssl(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=60)


def test_openssl_and_plain_sha256_accept_token_packages(world, token_package, tmp_path):
    """Interoperability, without any client code: the stdlib zip and XML readers, hashlib and
    ``openssl cms`` check an RSA-PSS and an ECDSA signature made on the tokens."""
    import base64
    import hashlib
    import shutil
    import zipfile
    from io import BytesIO
    from urllib.parse import unquote
    from xml.etree import ElementTree as ET

    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    ns = {"asic": "http://uri.etsi.org/02918/v1.2.1#", "ds": "http://www.w3.org/2000/09/xmldsig#"}
    ca = tmp_path / "ca.pem"
    ca.write_bytes(world.ca.cert_pem())
    z = zipfile.ZipFile(BytesIO(token_package))
    first = z.infolist()[0]
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert z.read("mimetype") == b"application/vnd.etsi.asic-e+zip"
    expected_alg = {1: b"rsassaPss", 2: b"ecdsa-with-SHA256"}
    for n in (1, 2):
        sig, man = tmp_path / f"s{n}.p7s", tmp_path / f"m{n}.xml"
        sig.write_bytes(z.read(f"META-INF/signature00{n}.p7s"))
        man.write_bytes(z.read(f"META-INF/ASiCManifest00{n}.xml"))
        verify = ["cms", "-verify", "-binary", "-inform", "DER", "-in", str(sig), "-content",
                  str(man), "-CAfile", str(ca), "-purpose", "any", "-out", os.devnull]
        res = _openssl(*verify)
        assert res.returncode == 0, res.stderr.decode()
        printed = _openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", str(sig)).stdout
        assert expected_alg[n] in printed
        for attr in (b"signingTime", b"id-smime-aa-signingCertificateV2", b"messageDigest"):
            assert attr in printed, attr
        assert [b"chief-accountant", b"head-of-unit"][n - 1] in z.read(f"META-INF/signature00{n}.p7s")
        # the manifest digests are plain SHA-256 of the entries
        covered = set()
        for ref in ET.fromstring(man.read_bytes()).findall("asic:DataObjectReference", ns):
            name = unquote(ref.get("URI"))
            covered.add(name)
            value = base64.b64decode(ref.find("ds:DigestValue", ns).text)
            assert value == hashlib.sha256(z.read(name)).digest(), name
        assert covered >= {"document.json", "document.pdf", f"attachments/{ATTACHMENT}"}
        assert ("META-INF/signature001.p7s" in covered) == (n == 2)
        # and openssl refuses the signature over a changed manifest
        man.write_bytes(man.read_bytes().replace(b"</asic:ASiCManifest>", b"<!---->\n</asic:ASiCManifest>"))
        assert _openssl(*verify).returncode != 0


def _tamper(data: bytes, fn) -> bytes:
    pkg = Package.from_bytes(data)
    fn(pkg.entries)
    return pkg.to_bytes()


def _flip_last(e: dict, name: str) -> None:
    content = e[name]
    e[name] = content[:-1] + bytes([content[-1] ^ 0x01])


def _flip_middle(e: dict, name: str) -> None:
    content, mid = e[name], len(e[name]) // 2
    e[name] = content[:mid] + bytes([content[mid] ^ 0x01]) + content[mid + 1:]


def _swap(e: dict, *pairs: tuple[str, str]) -> None:
    for a, b in pairs:
        e[a], e[b] = e[b], e[a]


S1, S2 = "META-INF/signature001.p7s", "META-INF/signature002.p7s"
M1, M2 = "META-INF/ASiCManifest001.xml", "META-INF/ASiCManifest002.xml"
TAMPERING = {
    # case: (change, reason code, where the reason points, the signature(s) it invalidates)
    "byte in document.json": (lambda e: _flip_middle(e, "document.json"),
                              "manifest-digest-mismatch", "document.json", {1, 2}),
    "byte in document.pdf": (lambda e: _flip_middle(e, "document.pdf"),
                             "manifest-digest-mismatch", "document.pdf", {1, 2}),
    "byte in the attachment": (lambda e: _flip_middle(e, f"attachments/{ATTACHMENT}"),
                               "manifest-digest-mismatch", f"attachments/{ATTACHMENT}", {1, 2}),
    # manifest 001 is not an entry manifest 002 covers (package-format §1): only signature 1 fails
    "byte in manifest 001": (lambda e: _flip_middle(e, M1), "signature-invalid", S1, {1}),
    "byte in manifest 002": (lambda e: _flip_middle(e, M2), "signature-invalid", S2, {2}),
    "byte in signature 001": (lambda e: _flip_last(e, S1), "signature-invalid", S1, {1, 2}),
    "byte in signature 002": (lambda e: _flip_last(e, S2), "signature-invalid", S2, {2}),
    "signature 002 removed": (lambda e: e.pop(S2), "manifest-invalid", M2, set()),
    "signature 001 removed": (lambda e: e.pop(S1), "role-missing", S1, {2}),
    "entry added": (lambda e: e.__setitem__("attachments/them.pdf", b"%PDF-1.4 later"),
                    "entry-not-covered", "attachments/them.pdf", {1, 2}),
    "manifests swapped": (lambda e: _swap(e, (M1, M2)), "signature-invalid", S1, {1, 2}),
    "signatures reordered": (lambda e: _swap(e, (M1, M2), (S1, S2)), "role-order", S1, {1, 2}),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampering_matrix_on_token_signed_packages(world, token_package, case):
    change, code, where, invalid = TAMPERING[case]
    assert verify_package(token_package, world.trust).valid  # untouched, it is valid
    rep = verify_package(_tamper(token_package, change), world.trust)
    assert not rep.valid
    named = [p for p in rep.problems if p.code == code and p.severity == "error"]
    assert named and any(p.where == where for p in named), \
        [(p.code, p.where) for p in rep.problems]
    assert all(p.message and p.message[0].isupper() for p in named)  # a sentence, for people
    verdicts = {s.index: s.verdict for s in rep.signatures}
    assert {i for i, v in verdicts.items() if v == "invalid"} == invalid, verdicts


def test_token_signature_from_an_untrusted_ca_is_named(world, token_package):
    """The same token package checked against anchors that do not include its CA."""
    rep = verify_package(token_package, [world.root.cert_der])
    assert not rep.valid
    untrusted = [p for p in rep.problems if p.code == "certificate-untrusted"]
    assert {p.where for p in untrusted} == {S1, S2}
    assert "không được cấp bởi tổ chức chứng thực tin cậy" in untrusted[0].message
    assert [s.verdict for s in rep.signatures] == ["indeterminate", "indeterminate"]
