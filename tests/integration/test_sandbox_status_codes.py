"""Every status code and problem code the sandbox answers, one request each, over HTTP.

A table: what to send, and the status and problem code that must come back
(``application/problem+json`` with a Vietnamese title for every error). The
package checks behind ``422`` are in test_sandbox_contract.py (real packages),
the scenarios' ``429``/``503`` in test_sandbox_scenarios.py as well.
"""

from __future__ import annotations

import base64
import hashlib
import uuid

import pytest
import requests

from client.sandbox.server import start_sandbox
from tests.integration.sandbox_support import (
    OTHER_PASSWORD,
    OTHER_UNIT,
    OTHER_USER,
    PASSWORD,
    STRANGER_CERT,
    UNIT,
    USER,
    FakeVerifier,
    document,
    fake_package,
    signers_for,
)

TRAINER = ("giangvien", "mk-123456")


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = start_sandbox(data_dir=tmp_path_factory.mktemp("codes") / "sb", advance=0,
                           verifier=FakeVerifier(), trainer=TRAINER,
                           units=[(UNIT, USER, PASSWORD), (OTHER_UNIT, OTHER_USER, OTHER_PASSWORD)],
                           signers=signers_for(UNIT) + signers_for(OTHER_UNIT))
    yield server
    server.stop()


def _token(srv, unit=UNIT, user=USER, password=PASSWORD) -> str:
    r = requests.post(srv.base_url + "/sessions", timeout=5,
                      json={"unit_code": unit, "username": user, "password": password})
    assert r.status_code == 201, r.text
    return r.json()["token"]


def _submit(srv, package: bytes, *, token: str | None = None, key: str | None = None,
            digest: str | None = None, ctype: str = "application/vnd.etsi.asic-e+zip",
            ) -> requests.Response:
    headers = {"Content-Type": ctype,
               "Content-Digest": digest or "sha-256=:" + base64.b64encode(
                   hashlib.sha256(package).digest()).decode() + ":"}
    if token is not False:
        headers["Authorization"] = f"Bearer {token or _token(srv)}"
    if key != "":
        headers["Idempotency-Key"] = key or str(uuid.uuid4())
    return requests.post(srv.base_url + "/submissions", data=package, headers=headers, timeout=10)


def _get(srv, path: str, token: str | None = None) -> requests.Response:
    return requests.get(srv.base_url + path, timeout=5,
                        headers={"Authorization": f"Bearer {token or _token(srv)}"})


def _own_submission(srv, number: str) -> tuple[str, str]:
    token = _token(srv)
    r = _submit(srv, fake_package(document(number=number)), token=token)
    assert r.status_code == 201
    return r.json()["id"], token


def _key_reused(srv) -> requests.Response:
    token, key = _token(srv), str(uuid.uuid4())
    assert _submit(srv, fake_package(document(number="K-1")), token=token, key=key).status_code \
        == 201
    return _submit(srv, fake_package(document(number="K-2")), token=token, key=key)


def _replay(srv) -> requests.Response:
    token, key, package = _token(srv), str(uuid.uuid4()), fake_package(document(number="R-1"))
    first = _submit(srv, package, token=token, key=key)
    again = _submit(srv, package, token=token, key=key)
    assert again.json() == first.json()
    return again


def _token_expired(srv) -> requests.Response:
    token = _token(srv)
    assert requests.post(srv.base_url + "/_admin/sessions/expire", timeout=5).status_code == 204
    return _get(srv, f"/units/{UNIT}/signers", token)


def _throttled(srv) -> requests.Response:
    for _ in range(5):
        r = requests.post(srv.base_url + "/sessions", timeout=5, json={
            "unit_code": OTHER_UNIT, "username": "ketoan09", "password": "sai"})
        assert r.status_code == 401
    return requests.post(srv.base_url + "/sessions", timeout=5, json={
        "unit_code": OTHER_UNIT, "username": "ketoan09", "password": "sai"})


def _trainer(srv) -> requests.Session:
    s = requests.Session()
    site = srv.base_url.rsplit("/api/v1", 1)[0]
    assert s.post(site + "/trainer/login", data={"username": TRAINER[0], "password": TRAINER[1]},
                  timeout=5).status_code == 200
    return s


def _final_status(srv) -> requests.Response:
    sid, _ = _own_submission(srv, "F-1")
    admin = srv.base_url + f"/_admin/submissions/{sid}/status"
    assert requests.post(admin, json={"status": "paid"}, timeout=5).status_code == 200
    return requests.post(admin, json={"status": "rejected", "reason": "muộn"}, timeout=5)


def _trainer_without_header(srv) -> requests.Response:
    site = srv.base_url.rsplit("/api/v1", 1)[0]
    return _trainer(srv).post(site + "/trainer/api/scenario", json={"scenario": "outage"},
                              timeout=5)


CASES = {
    # status, problem code (None: a success), request
    "health": (200, None, lambda s: requests.get(s.base_url + "/health", timeout=5)),
    "login": (201, None, lambda s: requests.post(s.base_url + "/sessions", timeout=5, json={
        "unit_code": UNIT, "username": USER, "password": PASSWORD})),
    "logout": (204, None, lambda s: requests.delete(
        s.base_url + "/sessions/current", timeout=5,
        headers={"Authorization": f"Bearer {_token(s)}"})),
    "submit": (201, None, lambda s: _submit(s, fake_package(document(number="OK-1")))),
    "replay": (200, None, _replay),
    "login body not JSON": (400, "bad-request", lambda s: requests.post(
        s.base_url + "/sessions", data=b"unit=1", timeout=5)),
    "bad limit": (400, "bad-request", lambda s: _get(s, "/submissions?limit=0")),
    "no idempotency key": (400, "idempotency-key-missing",
                           lambda s: _submit(s, fake_package(), key="")),
    "wrong digest": (400, "digest-mismatch", lambda s: _submit(
        s, fake_package(), digest="sha-256=:" + base64.b64encode(b"x" * 32).decode() + ":")),
    "not a zip": (400, "not-a-package", lambda s: _submit(s, b"%PDF-1.7 not a package")),
    "wrong content type": (400, "not-a-package", lambda s: _submit(s, fake_package(),
                                                                    ctype="application/zip")),
    "wrong password": (401, "bad-credentials", lambda s: requests.post(
        s.base_url + "/sessions", timeout=5,
        json={"unit_code": UNIT, "username": USER, "password": "sai"})),
    "no token": (401, "not-logged-in", lambda s: _submit(s, fake_package(), token=False)),
    "token expired": (401, "token-expired", _token_expired),
    "another unit's signers": (403, "unit-mismatch",
                               lambda s: _get(s, f"/units/{OTHER_UNIT}/signers")),
    "another unit's package": (403, "unit-mismatch", lambda s: _submit(
        s, fake_package(document(unit=OTHER_UNIT)))),
    "trainer action without X-Trainer": (403, "forbidden", _trainer_without_header),
    "unknown submission": (404, "not-found", lambda s: _get(s, f"/submissions/{uuid.uuid4()}")),
    "another unit's submission": (404, "not-found", lambda s: _get(
        s, f"/submissions/{_own_submission(s, 'O-1')[0]}",
        _token(s, OTHER_UNIT, OTHER_USER, OTHER_PASSWORD))),
    "receipt before paid": (404, "receipt-not-ready", lambda s: _get(
        s, f"/submissions/{_own_submission(s, 'P-1')[0]}/receipt")),
    "unknown path": (404, "not-found", lambda s: _get(s, "/khong-co")),
    "wrong method": (405, "method-not-allowed", lambda s: requests.put(
        s.base_url + "/health", timeout=5)),
    "final status": (409, "final-status", _final_status),
    "login body too large": (413, "too-large", lambda s: requests.post(
        s.base_url + "/sessions", data=b"{" + b" " * 70_000 + b"}", timeout=5,
        headers={"Content-Type": "application/json"})),
    "same key, other bytes": (422, "key-reused", _key_reused),
    "signer not registered": (422, "signer-not-registered", lambda s: _submit(
        s, fake_package(document(number="S-1"), signatures=[
            ("chief-accountant", STRANGER_CERT), ("head-of-unit", signers_for()[1][2])]))),
    "head of unit missing": (422, "incomplete", lambda s: _submit(
        s, fake_package(document(number="I-1"),
                        signatures=[("chief-accountant", signers_for()[0][2])]))),
    "a reason of package-format §4": (422, "signature-invalid", lambda s: _submit(
        s, fake_package(document(number="V-1"), problems=[{
            "code": "signature-invalid", "where": "META-INF/signature001.p7s",
            "message": "Chữ ký của Kế toán trưởng không khớp với nội dung bảng kê."}]))),
    "login throttled": (429, "too-many-attempts", _throttled),
}


@pytest.mark.parametrize("name", list(CASES))
def test_status_and_problem_code(srv, name):
    status, code, send = CASES[name]
    r = send(srv)
    assert r.status_code == status, (r.status_code, r.text[:400])
    if code is None:
        return
    assert r.headers["Content-Type"].startswith("application/problem+json")
    body = r.json()
    assert (body["status"], body["code"]) == (status, code)
    assert body["type"] == f"https://kbnn.example/problems/{code}"
    assert body["title"] and body["title"] != body["code"]
    if status == 405:
        assert "GET" in r.headers["Allow"]
    if status == 429:
        assert int(r.headers["Retry-After"]) >= 1
    if status == 422 and code != "key-reused":
        assert body["errors"] and body["errors"][0]["code"] == code
        assert body["errors"][0]["message"]
