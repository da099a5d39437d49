"""Property-based conformance: the sandbox against its own served OpenAPI document.

Schemathesis reads ``/api/v1/openapi.json`` from a running sandbox over
loopback HTTP, generates requests for every operation (valid and invalid
ones) with Hypothesis, sends them with a fresh unit session, and checks every
answer: no server error, a documented status code, the documented content
type and headers, a body matching the documented schema (``problem+json`` for
every error), and that what the document says is invalid is refused.
"""

from __future__ import annotations

import base64
import hashlib
import uuid

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from client.sandbox.server import start_sandbox
from tests.integration.sandbox_support import (
    OTHER_PASSWORD,
    OTHER_UNIT,
    OTHER_USER,
    PASSWORD,
    UNIT,
    USER,
    FakeVerifier,
    fake_package,
    signers_for,
)

_SERVED: dict[str, str] = {}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    srv = start_sandbox(data_dir=tmp_path_factory.mktemp("conformance") / "sb", advance=0,
                        verifier=FakeVerifier(),
                        units=[(UNIT, USER, PASSWORD), (OTHER_UNIT, OTHER_USER, OTHER_PASSWORD)],
                        signers=signers_for(UNIT) + signers_for(OTHER_UNIT))
    # one submission, so that status, list and receipt have something real to find
    token = _token(srv)
    package = fake_package()
    r = requests.post(srv.base_url + "/submissions", data=package, timeout=5, headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4()),
        "Content-Type": "application/vnd.etsi.asic-e+zip",
        "Content-Digest": "sha-256=:" + base64.b64encode(hashlib.sha256(package).digest()).decode()
        + ":"})
    assert r.status_code == 201
    yield srv
    srv.stop()


def _token(srv) -> str:
    return _token_at(srv.base_url)


def _token_at(base_url: str) -> str:
    r = requests.post(base_url + "/sessions", timeout=5,
                      json={"unit_code": UNIT, "username": USER, "password": PASSWORD})
    assert r.status_code == 201, r.text
    return r.json()["token"]


@pytest.fixture(scope="module")
def api_schema(served):
    _SERVED.clear()
    _SERVED["base_url"] = served.base_url
    return schemathesis.openapi.from_url(served.base_url + "/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schemathesis.serializer("application/vnd.etsi.asic-e+zip")
def _package_bytes(_ctx, value) -> bytes:
    """A generated package body is sent as the bytes Hypothesis made (any bytes at all)."""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


@schemathesis.auth(refresh_interval=None)
class _Session:
    """The unit's session for every generated request; a logout gets a session of its own
    (so that it revokes only that one)."""

    def get(self, case, ctx) -> str:
        if ctx.operation.path == "/sessions/current":
            return _token_at(_SERVED["base_url"])
        if "token" not in _SERVED:
            _SERVED["token"] = _token_at(_SERVED["base_url"])
        return _SERVED["token"]

    def set(self, case, data: str, ctx) -> None:
        case.headers = dict(case.headers or {}, Authorization=f"Bearer {data}")


@schema.parametrize()
@settings(max_examples=25, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_every_answer_conforms_to_the_served_openapi(case, served):
    excluded = []
    if case.operation.method.upper() == "POST" and case.operation.path == "/submissions":
        # The schema cannot say that Content-Digest must match the body, nor that the
        # body must be a signed package: a schema-valid body is still refused with 400.
        excluded.append(positive_data_acceptance)
    if case.operation.path == "/submissions" and "cursor" in (case.query or {}):
        # The cursor is opaque: only a ``next`` the sandbox gave is valid, any other is a 400.
        excluded.append(positive_data_acceptance)
    case.call_and_validate(excluded_checks=excluded)


def test_the_document_lists_every_operation_of_the_contract(served):
    doc = requests.get(served.base_url + "/openapi.json", timeout=5).json()
    ops = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    assert ops == {("GET", "/health"), ("POST", "/sessions"), ("DELETE", "/sessions/current"),
                   ("GET", "/units/{unit_code}/signers"), ("POST", "/submissions"),
                   ("GET", "/submissions"), ("GET", "/submissions/{id}"),
                   ("GET", "/submissions/{id}/receipt")}
    assert doc["servers"] == [{"url": served.base_url}]
