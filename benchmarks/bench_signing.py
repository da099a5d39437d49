"""Signing benchmark: sign and verify a 10 000-line salary table package, beside
``openssl cms -sign`` / ``openssl cms -verify`` on the same bytes with a key file.

    .venv/bin/python benchmarks/bench_signing.py [--lines 10000] [--repeat 5] [--render] [--median]
                                                 [--no-softhsm]

What is timed (best of ``--repeat`` runs, or the median with ``--median``; milliseconds;
PDF rendering is excluded — the PDF is rendered once beforehand with ``--render``,
otherwise a stand-in of 1 MiB):

client, key file (a ``cryptography`` private key in memory, as ``openssl -inkey`` reads):
  * CAdES core — ``build_manifest`` (SHA-256 of document.json and document.pdf) +
    ``cades.sign_manifest`` (CAdES-BES with signing-certificate-v2 and the claimed role):
    the work ``openssl cms -sign`` does;
  * sign 1st (workflow) — what ``workflow.prepare`` does minus rendering (parse and validate
    document.json line by line, build the package) + ``workflow.sign_prepared`` (the core,
    the zip, the defensive re-verification of the new package);
  * sign 2nd (workflow) — ``workflow.prepare`` of the signed package (verifies it in full)
    + ``workflow.sign_prepared`` as head of unit;
  * verify — ``verify.verify_package`` of the package with both signatures (every check of
    package-format §4: zip, document, manifests, both CMS signatures, chains, roles);
  * verify one signature — the CMS check of signature001 over its manifest plus the
    manifest digests: what ``openssl cms -verify`` + ``sha256sum`` do.
openssl (a child process per call, as a user would run it; its start-up cost is printed):
  * ``openssl cms -sign -binary -md sha256`` detached over document.json + ``openssl dgst``
    of document.pdf (the two entries the manifest covers);
  * ``openssl cms -verify -binary -purpose any`` of the client's signature001 over its
    manifest + ``openssl dgst -sha256`` of the two entries.

Rows for RSA-2048 (PKCS#1 v1.5) and ECDSA P-256; with SoftHSM2 installed, the client also
signs through a SoftHSM2 token (PKCS#11 on the TokenService thread).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa  # noqa: E402

from client import documents  # noqa: E402
from client.signing import asice, cades  # noqa: E402
from client.signing.asice import Package  # noqa: E402
from client.signing.verify import verify_package  # noqa: E402
from client.signing.workflow import Prepared, SignerSpec, prepare, sign_prepared  # noqa: E402
from client.training.pki import TrainingCA, create_ca, issue_signer_cert  # noqa: E402

UNIT = {"code": "1047665", "name": "Trường Tiểu học Kim Liên", "treasury": "KBNN Đống Đa",
        "account": "9523.1.1047665", "account_kind": "estimate"}
CHIEF, HEAD = asice.ROLES
BANKS = ["Vietcombank - CN Hà Nội", "BIDV - CN Đống Đa", "VietinBank - CN Thành An",
         "Agribank - CN Láng Hạ"]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"]
GIVEN = ["Thị Hoa", "Văn Minh", "Thu Hằng", "Quốc Việt", "Ngọc Lan", "Đức Anh", "Minh Châu"]


def salary_document(n_lines: int) -> bytes:
    """The canonical bytes of a valid ``n_lines``-line Mẫu 09 salary table."""
    lines = []
    for i in range(n_lines):
        salary = 5_000_000 + (i * 7919) % 9_000_000
        bonus = (i % 5) * 250_000
        lines.append({
            "group": "I. Công chức" if i < n_lines // 2 else "II. Hợp đồng",
            "name": f"{FAMILY[i % len(FAMILY)]} {GIVEN[i % len(GIVEN)]} {i + 1}",
            "account": f"{1_000_000_000_000 + i * 37:013d}",
            "bank": BANKS[i % len(BANKS)],
            "parts": {"salary": salary, "bonus": bonus},
            "note": "",
        })
    doc = documents.new_salary_table(
        unit=UNIT, number="09/2025", date="2025-01-25", period={"year": 2025, "month": 1},
        lines=lines, prepared_by="Lê Thị Lan")
    errors = [p for p in documents.validate(doc) if p.severity == "error"]
    if errors:
        raise SystemExit(f"benchmark document is invalid: {errors[:3]}")
    return documents.serialize(doc)


# ---------------------------------------------------------------------------- timing


def best_ms(fn: Callable[[], object], repeat: int) -> float:
    """The fastest of ``repeat`` runs after a warm-up, in milliseconds: on a shared machine
    the minimum is the least disturbed estimate of what the code itself costs (``--median``
    reports the median instead)."""
    fn()  # warm-up (imports, caches)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    pick = statistics.median if USE_MEDIAN else min
    return pick(times) * 1000  # seconds, not money


USE_MEDIAN = False


def run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, timeout=120)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr.decode(errors='replace')}")


# ---------------------------------------------------------------------------- signers


class KeyFileSigner:
    """A signer certificate and its private key, also written as PEM files for openssl."""

    def __init__(self, ca: TrainingCA, key_type: str, folder: Path) -> None:
        self.key_type = key_type
        self.key = (ec.generate_private_key(ec.SECP256R1()) if key_type == "ec"
                    else rsa.generate_private_key(public_exponent=65537, key_size=2048))
        self.cert_der = issue_signer_cert(ca, self.key.public_key(), name=f"NGƯỜI KÝ {key_type}",
                                          organisation=UNIT["name"], unit_code=UNIT["code"])
        from cryptography import x509

        cert = x509.load_der_x509_certificate(self.cert_der)
        self.cert_pem = folder / f"{key_type}-cert.pem"
        self.key_pem = folder / f"{key_type}-key.pem"
        self.cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self.key_pem.write_bytes(self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        self.scheme = "ecdsa" if key_type == "ec" else "pkcs1v15"

    def raw_sign(self, data: bytes, hash_name: str) -> bytes:
        algo = hashes.SHA384() if hash_name == "sha384" else hashes.SHA256()
        if self.key_type == "ec":
            return self.key.sign(data, ec.ECDSA(algo))
        return self.key.sign(data, padding.PKCS1v15(), algo)

    def spec(self, chain: list[bytes]) -> SignerSpec:
        return SignerSpec(cert_der=self.cert_der, chain=chain, scheme=self.scheme,
                          raw_sign=self.raw_sign)


def softhsm_signer(ca: TrainingCA, folder: Path):
    """(service, SignerSpec) for an RSA key generated on a fresh SoftHSM2 token, or None."""
    from client.signing.tokens import TokenService
    from client.signing.workflow import token_signer
    from client.training.token import create_token, init_softhsm, provision_signer, softhsm_module

    module = softhsm_module()
    if module is None:
        return None
    conf = init_softhsm(folder / "softhsm")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    create_token(conf, "BENCH", "12345678", "1111")
    svc = TokenService(module)
    provision_signer(svc, "BENCH", "1111", ca, name="NGƯỜI KÝ TOKEN", key_id=b"bench",
                     organisation=UNIT["name"], unit_code=UNIT["code"])
    entry = next(e for e in svc.certificates() if e.key_id == b"bench")
    return svc, token_signer(svc, entry, "1111")


# ---------------------------------------------------------------------------- client side


def prepared_for(doc_bytes: bytes, pdf: bytes, trust: list[bytes]) -> Prepared:
    """What ``workflow.prepare`` does for a first signature, minus rendering the PDF:
    parse and validate document.json, build the package."""
    doc = documents.parse(doc_bytes)
    if any(p.severity == "error" for p in documents.validate(doc)):
        raise SystemExit("benchmark document is invalid")
    return Prepared(package=Package.new(doc_bytes, pdf), document=doc, pdf=pdf, existing=None,
                    next_role=CHIEF, trust=trust, checked_json=doc_bytes)


def cades_core(pkg: Package, signer: SignerSpec) -> bytes:
    manifest = asice.build_manifest(1, pkg.entries, pkg.data_entries(), [])
    return cades.sign_manifest(manifest, cert_der=signer.cert_der, chain=signer.chain,
                               role=CHIEF, raw_sign=signer.raw_sign, scheme=signer.scheme)


def verify_one(pkg: Package, trust: list[bytes]) -> None:
    """signature001 over its manifest + its digests, through the client's verifier."""
    from client.signing import verify as v

    report = v.SignatureReport(1, asice.signature_name(1), None, "", None, "", b"", "valid", [])
    v._check_cms(pkg, 1, asice.manifest_name(1), asice.signature_name(1), report,
                 v._load_trust(trust), datetime.now(UTC))
    v._check_manifest(pkg, 1, asice.manifest_name(1), asice.signature_name(1), report)
    errors = [p for p in report.reasons if p.severity == "error"]
    if errors:
        raise SystemExit(f"verify_one failed: {errors}")


# ---------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--render", action="store_true",
                    help="render the real Mẫu 09 PDF once (not timed) instead of a 1 MiB stand-in")
    ap.add_argument("--no-softhsm", action="store_true")
    ap.add_argument("--median", action="store_true", help="report the median, not the best run")
    args = ap.parse_args(argv)
    global USE_MEDIAN
    USE_MEDIAN = args.median
    openssl = shutil.which("openssl")
    if not openssl:
        print("openssl is not installed: nothing to compare with", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="kbnn-bench-sign-") as tmp:
        folder = Path(tmp)
        doc_bytes = salary_document(args.lines)
        if args.render:
            from client.render import render_pdf

            start = time.perf_counter()
            pdf = render_pdf(documents.parse(doc_bytes))
            render_ms = (time.perf_counter() - start) * 1000  # seconds, not money
        else:
            pdf = b"%PDF-1.7\n% stand-in for the rendered form\n" + os.urandom(1024 * 1024)
            render_ms = None
        (folder / "document.json").write_bytes(doc_bytes)
        (folder / "document.pdf").write_bytes(pdf)

        ca = create_ca("CA Benchmark")
        (folder / "ca.pem").write_bytes(ca.cert_pem())
        trust = [ca.cert_der]
        startup = best_ms(lambda: run([openssl, "version"]), args.repeat)

        print(f"Salary table: {args.lines} lines, document.json {len(doc_bytes) / 1e6:.2f} MB, "
              f"document.pdf {len(pdf) / 1e6:.2f} MB "
              + (f"(rendered once in {render_ms:.0f} ms, not timed)" if render_ms is not None
                 else "(stand-in; --render for the real form)"))
        print(f"openssl: {subprocess.run([openssl, 'version'], capture_output=True, text=True).stdout.strip()}"
              f"; process start-up alone {startup:.1f} ms (included in its times)")
        print(f"{'median' if args.median else 'best'} of {args.repeat} runs, milliseconds\n")

        head = f"{'operation':<58} {'client':>9} {'openssl':>9} {'ratio':>7}"
        print(head)
        print("-" * len(head))

        def row(name: str, client_ms: float, openssl_ms: float | None) -> None:
            if openssl_ms is None:
                print(f"{name:<58} {client_ms:>9.1f} {'':>9} {'':>7}")
            else:
                print(f"{name:<58} {client_ms:>9.1f} {openssl_ms:>9.1f} "
                      f"{client_ms / openssl_ms:>6.2f}x")

        signers: list[tuple[str, SignerSpec, Path | None, Path | None]] = []
        for key_type, label in (("rsa", "RSA-2048 key file"), ("ec", "ECDSA P-256 key file")):
            kf = KeyFileSigner(ca, key_type, folder)
            signers.append((label, kf.spec([ca.cert_der]), kf.cert_pem, kf.key_pem))
        service = None
        if not args.no_softhsm:
            made = softhsm_signer(ca, folder)
            if made is not None:
                service, spec = made
                signers.append(("RSA-2048 on a SoftHSM2 token", spec, None, None))

        pkg_for_zip = Package.new(doc_bytes, pdf)
        row("document.json parse + validate (in every workflow row)",
            best_ms(lambda: documents.validate(documents.parse(doc_bytes)), args.repeat), None)
        row("zip the package (in every workflow sign row)",
            best_ms(pkg_for_zip.to_bytes, args.repeat), None)
        try:
            for label, spec, cert_pem, key_pem in signers:
                prepared = prepared_for(doc_bytes, pdf, trust)
                one = sign_prepared(prepared, CHIEF, spec)
                pkg1 = Package.from_bytes(one)
                (folder / "man1.xml").write_bytes(pkg1.entries[asice.manifest_name(1)])
                (folder / "sig1.p7s").write_bytes(pkg1.entries[asice.signature_name(1)])
                two = sign_prepared(prepare(one, trust=trust), HEAD, spec)

                core = best_ms(lambda spec=spec: cades_core(Package.new(doc_bytes, pdf), spec),
                                 args.repeat)
                flow = best_ms(lambda spec=spec: sign_prepared(
                    prepared_for(doc_bytes, pdf, trust), CHIEF, spec), args.repeat)
                second = best_ms(lambda one=one, spec=spec: sign_prepared(
                    prepare(one, trust=trust), HEAD, spec), args.repeat)
                verify_all = best_ms(lambda two=two: verify_package(two, trust), args.repeat)
                verify_sig = best_ms(lambda pkg1=pkg1: verify_one(pkg1, trust), args.repeat)

                ossl_sign = ossl_verify = None
                digest_cmd = [openssl, "dgst", "-sha256", str(folder / "document.json"),
                              str(folder / "document.pdf")]
                if cert_pem is not None:
                    sign_cmd = [openssl, "cms", "-sign", "-binary", "-md", "sha256",
                                "-in", str(folder / "document.json"), "-signer", str(cert_pem),
                                "-inkey", str(key_pem), "-certfile", str(folder / "ca.pem"),
                                "-outform", "DER", "-out", str(folder / "ossl.p7s")]
                    pdf_digest = [openssl, "dgst", "-sha256", str(folder / "document.pdf")]
                    ossl_sign = best_ms(lambda c=sign_cmd, d=pdf_digest: (run(c), run(d)),
                                          args.repeat)
                    verify_cmd = [openssl, "cms", "-verify", "-binary", "-inform", "DER",
                                  "-in", str(folder / "sig1.p7s"),
                                  "-content", str(folder / "man1.xml"),
                                  "-CAfile", str(folder / "ca.pem"), "-purpose", "any",
                                  "-out", os.devnull]
                    ossl_verify = best_ms(lambda c=verify_cmd, d=digest_cmd: (run(c), run(d)),
                                            args.repeat)
                    # sanity: what openssl signed verifies against document.json
                    run([openssl, "cms", "-verify", "-binary", "-inform", "DER",
                         "-in", str(folder / "ossl.p7s"), "-content", str(folder / "document.json"),
                         "-CAfile", str(folder / "ca.pem"), "-purpose", "any", "-out", os.devnull])

                print(f"[{label}]")
                row("  sign: manifest + CAdES-BES (core)", core, ossl_sign)
                row("  sign 1st: workflow (validate, zip, re-verify)", flow, ossl_sign)
                row("  sign 2nd: workflow (verify 1st, zip, re-verify)", second, ossl_sign)
                row("  verify one signature + entry digests", verify_sig, ossl_verify)
                row("  verify package, 2 signatures, every §4 check", verify_all,
                    None if ossl_verify is None else 2 * ossl_verify)
        finally:
            if service is not None:
                service.close()
        sha = hashlib.sha256(doc_bytes).hexdigest()[:16]
        print(f"\ndocument.json sha256 {sha}…; ratio = client / openssl (below 1: client faster). "
              "openssl verify of the package = 2 × one signature (no document, role or order "
              "checks).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
