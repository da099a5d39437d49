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


def test_cli_proxy_password_goes_to_the_keyring_only(tmp_path, monkeypatch, capsys):
    import keyring

    from client.cli import main as cli_main
    from client.transport.network import network_settings, proxy_password
    from tests.memkeyring import MemoryKeyring

    before = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        home_dir = str(tmp_path / "cli")
        monkeypatch.setenv("KBNN_PROXY_PW", "Proxy-Mat-Khau-42")
        # the proxy account must be known first
        assert cli_main(["--home", home_dir, "settings", "proxy-password",
                         "--password-env", "KBNN_PROXY_PW"]) == 2
        assert "network.proxy_user" in capsys.readouterr().err
        for key, value in (("network.proxy_host", "10.0.0.1:3128"), ("network.proxy", "manual"),
                           ("network.proxy_user", "nva")):
            assert cli_main(["--home", home_dir, "settings", "set", key, value]) == 0
        assert cli_main(["--home", home_dir, "settings", "proxy-password",
                         "--password-env", "KBNN_PROXY_PW"]) == 0
        assert "kho khóa" in capsys.readouterr().out
        home = Home(home_dir)
        assert proxy_password(network_settings(home)) == "Proxy-Mat-Khau-42"
        assert "Proxy-Mat-Khau-42" not in home.settings_path.read_text("utf-8")
    finally:
        keyring.set_keyring(before)


def test_settings_file_saved_by_notepad_and_a_damaged_one(tmp_path):
    home_dir = tmp_path / "home"
    home_dir.mkdir()
    ini = home_dir / "settings.ini"
    # Notepad's "UTF-8 with BOM"
    ini.write_bytes("[unit]\r\nname = Trường Tiểu học Kim Liên\r\n[words]\r\nzero_tens = lẻ\r\n"
                    .encode("utf-8-sig"))
    s = Settings(Home(home_dir))
    assert s.get("words.zero_tens") == "lẻ" and s.home.get("unit", "name") == "Trường Tiểu học Kim Liên"
    assert {v.setting.key: v.source for v in s.values()}["words.zero_tens"] == "user"
    # a damaged file: a clear Vietnamese error naming it, not a traceback
    ini.write_text("zero_tens = lẻ\n[words\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as exc:
        Home(home_dir)
    assert "settings.ini" in exc.value.message and "bị hỏng" in exc.value.message
    assert exc.value.problems[0].code == "settings-corrupt"


def test_imported_documents_read_the_total_as_the_unit_chose(tmp_path, capsys):
    import json

    from client.cli import main as cli_main

    home_dir = str(tmp_path / "home")
    assert cli_main(["--home", home_dir, "unit", "set", "--code", "1047665", "--name",
                     "Trường Tiểu học Kim Liên", "--treasury", "KBNN Đống Đa",
                     "--account", "9523.1.1047665", "--account-kind", "estimate",
                     "--prepared-by", "Trần Thị Lan"]) == 0
    src = tmp_path / "luong.csv"
    src.write_text("Họ và tên,Số tài khoản,Ngân hàng,Số tiền\n"
                   "Nguyễn Văn An,0011004455667,Vietcombank,1.004.005\n"
                   "Trần Thị Bình,0011004455668,Vietcombank,20.000\n", encoding="utf-8")

    def words() -> str:
        out = tmp_path / "doc.json"
        assert cli_main(["--home", home_dir, "import", "salary", str(src), "-o", str(out),
                         "--period", "2026-10"]) == 0
        return json.loads(out.read_bytes())["total_in_words"]

    # 1 024 005: the defaults, then the unit's own wording from the settings
    assert words() == "Một triệu không trăm hai mươi tư nghìn không trăm linh năm đồng"
    for key, value in (("words.zero_tens", "lẻ"), ("words.four", "bốn"), ("words.thousand", "ngàn")):
        assert cli_main(["--home", home_dir, "settings", "set", key, value]) == 0
    assert words() == "Một triệu không trăm hai mươi bốn ngàn không trăm lẻ năm đồng"
    capsys.readouterr()
