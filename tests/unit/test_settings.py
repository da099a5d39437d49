"""Typed settings over settings.ini, and the Vietnamese date and money formats."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from client.errors import InvalidInput, UsageError
from client.home import Home
from client.money import amount_in_words, format_money_vn
from client.settings import SETTINGS, Settings, format_date_vn, format_datetime_vn, lookup


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(Home(tmp_path / "home"))


def test_defaults_and_words_variants_reach_amount_in_words(settings):
    assert settings.get("ui.language") == "vi"
    assert settings.words_options() == {"zero_tens": "linh", "four": "tư", "thousand": "nghìn"}
    assert settings.amount_in_words(1_024_105) == amount_in_words(1_024_105)
    settings.update({"words.zero_tens": "le", "words.four": "Bốn", "words.thousand": "ngàn"})
    again = Settings(Home(settings.home.path))  # read back from the file
    assert again.words_options() == {"zero_tens": "lẻ", "four": "bốn", "thousand": "ngàn"}
    assert again.amount_in_words(1_024_105) == "Một triệu không trăm hai mươi bốn ngàn một trăm lẻ năm đồng"


@pytest.mark.parametrize("key, value, why", [
    ("server.url", "ftp://kho-bac.vn", "https://"),
    ("server.url", "http://dvc.example.vn/api/v1", "mã hóa"),
    ("server.url", "https://user:pw@dvc.example.vn", "mật khẩu"),
    ("server.unit", "12345", "7 chữ số"),
    ("network.proxy_host", "10.0.0.1", "cổng"),
    ("network.proxy_host", "http://u:p@10.0.0.1:3128", "mật khẩu"),
    ("network.connect_timeout", "0", "lớn hơn 0"),
    ("ui.language", "fr", "vi / en"),
    ("words.zero_tens", "không", "linh / lẻ"),
    ("server.ca_file", "/no/such/ca.pem", "không tìm thấy tệp"),
    ("signing.module", "/no/such/lib.so", "không tìm thấy tệp"),
])
def test_invalid_values_are_refused_in_vietnamese_and_not_saved(settings, key, value, why):
    with pytest.raises(InvalidInput) as err:
        settings.update({key: value})
    assert why in err.value.message and lookup(key).label in err.value.message
    assert err.value.problems[0].where == key
    assert not settings.home.settings_path.exists()


def test_normalised_values(settings, tmp_path):
    ca = tmp_path / "ca.pem"
    from tests.integration.sandbox_support import CHIEF_CERT

    ca.write_bytes(CHIEF_CERT)  # DER is fine too
    stored = settings.update({"server.url": "https://dvc.example.vn/api/v1/", "server.ca_file": str(ca),
                              "network.proxy_host": "proxy.so-tc.vn:3128", "network.proxy": "manual",
                              "ui.language": "English", "server.url ": "http://127.0.0.1:8765/api/v1",
                              "network.read_timeout": "90,5"})
    assert stored["network.proxy"] == "manual"
    assert settings.get("server.url") == "http://127.0.0.1:8765/api/v1"  # loopback may be http
    assert settings.get("server.ca_file") == str(ca.resolve())
    assert settings.get("network.proxy_host") == "http://proxy.so-tc.vn:3128"
    assert settings.get("ui.language") == "en" and settings.get("network.read_timeout") == "90.5"
    cfg = settings.proxy()
    assert (cfg.mode, cfg.url) == ("manual", "http://proxy.so-tc.vn:3128")
    assert cfg.requests_proxies() == {"http": cfg.url, "https": cfg.url} and not cfg.trust_env
    # the transport reads the same [network] section
    from client.transport.network import network_settings

    ns = network_settings(settings.home)
    assert (ns.proxy, ns.read_timeout) == ("manual", 90.5) and not ns.problems()


def test_proxy_given_as_an_address_means_manual_and_manual_needs_a_host(settings):
    with pytest.raises(InvalidInput, match="network.proxy_host"):
        settings.set("network.proxy", "manual")
    assert settings.set("network.proxy", "10.1.2.3:8080") == "manual"
    assert settings.get("network.proxy_host") == "http://10.1.2.3:8080"
    assert settings.set("network.proxy", "không") == "none"
    assert settings.proxy().for_url("https://dvc.example.vn") is None
    settings.unset("network.proxy")
    assert settings.get("network.proxy") == "system"


def test_unknown_key_lists_the_known_ones(settings):
    with pytest.raises(UsageError) as err:
        settings.set("server.password", "x")
    assert "server.url" in err.value.message and "words.zero_tens" in err.value.message


def test_values_say_where_each_comes_from(settings, tmp_path, monkeypatch):
    preset = tmp_path / "kbnn-client.ini"
    preset.write_text("[server]\nurl = https://preset.example.vn/api/v1\n", encoding="utf-8")
    monkeypatch.setenv("KBNN_CLIENT_PRESET", str(preset))
    s = Settings(Home(tmp_path / "h2"))
    s.update({"words.four": "bốn"})
    by = {v.setting.key: v for v in Settings(Home(tmp_path / "h2")).values()}
    assert (by["server.url"].value, by["server.url"].source) == ("https://preset.example.vn/api/v1", "preset")
    assert (by["words.four"].value, by["words.four"].source) == ("bốn", "user")
    assert (by["ui.language"].value, by["ui.language"].source) == ("vi", "default")
    assert by["server.user"].source == "unset" and set(by) == set(SETTINGS)
    # saving did not freeze the preset into the user's file: treasury IT can still change it
    assert "preset.example.vn" not in (tmp_path / "h2" / "settings.ini").read_text("utf-8")
    preset.write_text("[server]\nurl = https://moi.example.vn/api/v1\n", encoding="utf-8")
    assert Settings(Home(tmp_path / "h2")).get("server.url") == "https://moi.example.vn/api/v1"
    # ... unless the user chose their own value
    s.update({"server.url": "https://rieng.example.vn/api/v1"})
    preset.write_text("[server]\nurl = https://khac.example.vn/api/v1\n", encoding="utf-8")
    assert Settings(Home(tmp_path / "h2")).get("server.url") == "https://rieng.example.vn/api/v1"


def test_cli_settings_set_and_show(tmp_path):
    import subprocess
    import sys

    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    base = [sys.executable, "-m", "client", "--home", str(tmp_path / "cli")]
    ok = subprocess.run(base + ["settings", "set", "words.thousand", "ngàn"], capture_output=True,
                        text=True, encoding="utf-8", env=env, timeout=60)
    assert ok.returncode == 0 and "words.thousand = ngàn" in ok.stdout
    bad = subprocess.run(base + ["settings", "set", "server.unit", "abc"], capture_output=True, text=True,
                         encoding="utf-8", env=env, timeout=60)
    assert bad.returncode == 1 and "7 chữ số" in bad.stderr
    shown = subprocess.run(base + ["settings", "show", "--json"], capture_output=True, text=True,
                           encoding="utf-8", env=env, timeout=60)
    import json

    rows = {r["key"]: r for r in json.loads(shown.stdout)}
    assert rows["words.thousand"]["value"] == "ngàn" and rows["words.four"]["source"] == "default"


def test_dates_and_money_the_vietnamese_way():
    assert format_date_vn(date(2026, 10, 25)) == "25/10/2026"
    assert format_date_vn("2026-10-05") == "05/10/2026"
    # 20:30 UTC on the 24th is already the 25th in Hà Nội
    assert format_date_vn(datetime(2026, 10, 24, 20, 30, tzinfo=UTC)) == "25/10/2026"
    assert format_date_vn("2026-10-24T20:30:00Z") == "25/10/2026"
    assert format_date_vn(datetime(2026, 10, 24, 20, 30)) == "24/10/2026"  # naive: as is
    assert format_date_vn(None) == "" and format_date_vn("không phải ngày") == "không phải ngày"
    assert format_datetime_vn(datetime(2026, 10, 24, 20, 5, tzinfo=timezone(timedelta(hours=0)))) == \
        "25/10/2026 03:05"
    assert format_money_vn(1_234_567) == "1.234.567 đ"
    assert format_money_vn(0) == "0 đ" and format_money_vn(-5_000) == "-5.000 đ"
    with pytest.raises(TypeError):
        format_money_vn(1.5)  # type: ignore[arg-type]
