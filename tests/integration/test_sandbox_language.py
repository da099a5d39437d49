"""The sandbox treasury answers in Vietnamese, as the real treasury does, even when the
client in the same process (training mode) shows English."""

from __future__ import annotations

import uuid

from client.i18n import set_language, tr
from client.sandbox.server import start_sandbox
from client.transport.api import TreasuryClient
from tests.integration.sandbox_support import (
    PASSWORD,
    UNIT,
    USER,
    document,
    fake_package,
    signers_for,
)


def test_an_english_client_process_gets_vietnamese_answers_from_its_sandbox(tmp_path):
    set_language("en")
    srv = start_sandbox(data_dir=tmp_path / "sb", advance=0, units=[(UNIT, USER, PASSWORD, "A")],
                        signers=signers_for(UNIT))
    try:
        api = TreasuryClient(srv.base_url, unit_code=UNIT, username=USER,
                             password=lambda: PASSWORD, timeout=(2.0, 10.0))
        answer = api.submit(fake_package(document(number="BL-EN")), str(uuid.uuid4()))
        assert answer.status == 422
        messages = [e["message"] for e in answer.body["errors"]]
        assert "Gói chứa tệp không được phép theo định dạng gói." in messages
        # ...while this (the client's) thread still speaks English
        assert tr("Lỗi") == "Error"
    finally:
        srv.stop()
        set_language(None)
