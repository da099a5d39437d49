"""Module discovery: PE/ELF headers written as bytes, a Windows folder tree in tmp, the catalogue."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

from client.errors import TokenError
from client.signing import discovery
from client.signing.discovery import (
    binary_arch,
    discover_modules,
    elf_machine,
    ensure_safe_to_load,
    load_catalogue,
    pe_machine,
    require_module,
)


def pe_image(machine: int, e_lfanew: int = 0x80, size: int = 0x200) -> bytes:
    """The first bytes of a PE file: DOS header ("MZ", e_lfanew at 0x3C), then
    "PE\\0\\0" and the COFF header's Machine field."""
    buf = bytearray(max(size, e_lfanew + 24))
    buf[0:2] = b"MZ"
    struct.pack_into("<I", buf, 0x3C, e_lfanew)
    buf[e_lfanew:e_lfanew + 4] = b"PE\0\0"
    struct.pack_into("<H", buf, e_lfanew + 4, machine)
    return bytes(buf)


X86, X64, ARM64 = 0x014C, 0x8664, 0xAA64


def elf_header(machine: int, bits: int = 64, little: bool = True) -> bytes:
    buf = bytearray(64)
    buf[0:4] = b"\x7fELF"
    buf[4] = 2 if bits == 64 else 1
    buf[5] = 1 if little else 2
    struct.pack_into("<H" if little else ">H", buf, 18, machine)
    return bytes(buf)


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize("machine,arch", [(X86, "x86"), (X64, "x64"), (ARM64, "arm64"),
                                          (0x01C4, "arm"), (0x1234, "unknown:0x1234")])
def test_pe_machine(machine, arch):
    assert pe_machine(pe_image(machine)) == arch


def test_pe_machine_rejects_what_is_not_pe():
    assert pe_machine(b"") is None
    assert pe_machine(b"MZ" + bytes(10)) is None  # truncated DOS header
    img = bytearray(pe_image(X64))
    img[0x80:0x84] = b"NE\0\0"  # a 16-bit NE image, not PE
    assert pe_machine(bytes(img)) is None
    lying = bytearray(pe_image(X64))
    struct.pack_into("<I", lying, 0x3C, 0x7000)  # e_lfanew beyond the bytes given
    assert pe_machine(bytes(lying)) is None
    assert pe_machine(b"\x7fELF" + bytes(100)) is None


def test_binary_arch_reads_far_pe_headers_and_elf(tmp_path):
    far = tmp_path / "far.dll"
    far.write_bytes(pe_image(X86, e_lfanew=0x1800))  # beyond the first 4 KiB read
    assert binary_arch(far) == ("pe", "x86")
    elf = tmp_path / "lib.so"
    elf.write_bytes(elf_header(62))
    assert binary_arch(elf) == ("elf", "x64")
    assert elf_machine(elf_header(3, bits=32)) == "x86"
    assert elf_machine(elf_header(183, little=False)) == "arm64"
    junk = tmp_path / "junk.dll"
    junk.write_bytes(b"not a module")
    assert binary_arch(junk) == (None, None)
    assert binary_arch(tmp_path / "missing.dll") == (None, None)


def test_real_softhsm_module_is_an_elf_of_this_machine():
    from client.training.token import softhsm_module

    module = softhsm_module()
    if module is None or not module.endswith(".so"):
        pytest.skip("SoftHSM2 not installed")
    fmt, arch = binary_arch(module)
    assert fmt == "elf" and arch == discovery.process_arch()


# ---------------------------------------------------------------- the catalogue is data


def test_shipped_catalogue_holds_the_reference_list():
    cat = load_catalogue()
    files = {f for e in cat["windows"] for f in e.get("files", [])}
    for name in ("vnptca_p11_v6.dll", "vnptca_p11_v10.dll", "vnpt-ca_v34.dll", "viettel-ca_v1.dll",
                 "viettel-ca.dll", "BkavCAv2S.dll", "fptca_v3.dll", "fpt-ca.dll", "nca_v4.dll",
                 "nca_v9.dll", "CA2_csp11.dll", "ncca_csp11_v1.dll", "ica_csp11_v1.dll",
                 "VinaCA_p11.dll", "safe-ca.dll", "NEWTEL-CA.dll", "CKCA.dll",
                 "eps2003csp11v2.dll", "ShuttleCsp11_3003.dll", "eTPKCS11.dll", "wdpkcs.dll"):
        assert name in files, name
    assert not [f for f in files if f.rsplit(".", 1)[0].lower().endswith("_s")]  # CSP shells
    vendors = {e["vendor"] for e in cat["windows"]}
    assert {"VNPT-CA", "Viettel-CA", "BKAV-CA", "FPT-CA"} <= vendors
    linux = [p for e in cat["linux"] for p in e["paths"]]
    assert "/usr/lib/softhsm/libsofthsm2.so" in linux
    assert any("opensc-pkcs11.so" in p for p in linux)


# ---------------------------------------------------------------- a Windows machine in tmp


@pytest.fixture()
def windows(tmp_path):
    root = tmp_path / "Windows"
    (root / "System32").mkdir(parents=True)
    (root / "SysWOW64").mkdir()
    return root


def put(folder: Path, name: str, machine: int) -> Path:
    p = folder / name
    p.write_bytes(pe_image(machine))
    return p


def win(root: Path, **kw):
    kw.setdefault("env", {"SystemRoot": str(root)})
    kw.setdefault("platform", "windows")
    kw.setdefault("arch", "x64")
    return discover_modules(**kw)


def test_module_only_in_syswow64_is_named_32bit_only(windows):
    put(windows / "SysWOW64", "vnptca_p11_v8.dll", X86)
    [m] = win(windows)
    assert m.vendor == "VNPT-CA" and m.source == "syswow64" and m.arch == "x86"
    assert not m.loadable and m.known
    [p] = m.problems
    assert p.code == "module-32bit-only" and p.severity == "error"
    assert "chỉ có bản 32-bit" in p.message and "SysWOW64" in p.message
    assert "vnptca_p11_v8.dll" in p.message and "64-bit" in p.message
    # and the app says so instead of "not found"
    with pytest.raises(TokenError) as ei:
        require_module(None, env={"SystemRoot": str(windows)}, platform="windows", arch="x64")
    assert ei.value.code == "module-arch"
    assert "chỉ có bản 32-bit" in str(ei.value)


def test_both_copies_present_the_64bit_one_is_used(windows):
    s32 = put(windows / "System32", "viettel-ca_v5.dll", X64)
    put(windows / "SysWOW64", "viettel-ca_v5.dll", X86)
    [m] = win(windows)
    assert m.path == str(s32) and m.loadable and m.arch == "x64" and not m.problems
    assert require_module(None, env={"SystemRoot": str(windows)}, platform="windows",
                          arch="x64") == str(s32)


def test_a_32bit_process_uses_the_32bit_copy(windows):
    put(windows / "System32", "BkavCA.dll", X64)
    wow = put(windows / "SysWOW64", "BkavCA.dll", X86)
    [m] = win(windows, arch="x86")
    assert m.path == str(wow) and m.loadable


def test_32bit_dll_in_system32_is_a_mismatch_too(windows):
    put(windows / "System32", "fptca_v6.dll", X86)
    [m] = win(windows)
    assert not m.loadable and m.problems[0].code == "module-32bit-only"
    assert "SysWOW64" not in m.problems[0].message


def test_64bit_module_in_a_32bit_process(windows):
    put(windows / "System32", "eTPKCS11.dll", X64)
    [m] = win(windows, arch="x86")
    assert not m.loadable and m.problems[0].code == "module-arch-mismatch"
    assert "64-bit" in m.problems[0].message


def test_order_configured_env_then_catalogue_order(windows, tmp_path):
    put(windows / "System32", "wdpkcs.dll", X64)
    put(windows / "System32", "vnptca_p11_v10.dll", X64)
    mine = put(tmp_path, "vendor_p11.dll", X64)
    env_mod = put(tmp_path, "other.dll", X64)
    mods = win(windows, configured=str(mine),
               env={"SystemRoot": str(windows), "KBNN_PKCS11_MODULE": str(env_mod)})
    assert [m.source for m in mods] == ["configured", "env", "system32", "system32"]
    assert [Path(m.path).name for m in mods] == ["vendor_p11.dll", "other.dll",
                                                 "vnptca_p11_v10.dll", "wdpkcs.dll"]
    assert not mods[0].known and mods[2].known


def test_csp_shell_name_is_warned(windows, tmp_path):
    shell = put(tmp_path, "vnptca_p11_v8_s.dll", X64)
    [m] = win(windows, configured=str(shell))
    assert m.loadable and [p.code for p in m.problems] == ["module-csp-shell"]


def test_absolute_paths_expand_program_files(windows, tmp_path):
    opensc = tmp_path / "PF" / "OpenSC Project" / "OpenSC" / "pkcs11"
    opensc.mkdir(parents=True)
    put(opensc, "opensc-pkcs11.dll", X64)
    [m] = win(windows, env={"SystemRoot": str(windows), "ProgramFiles": str(tmp_path / "PF")})
    assert m.vendor == "OpenSC" and m.source == "known" and m.loadable
    # an unset variable does not turn into a relative path
    assert win(windows, env={"SystemRoot": str(windows)}) == []


def test_catalogue_is_replaceable_data(tmp_path):
    cat = {"linux": [{"vendor": "Nhà cung cấp mới", "paths": [str(tmp_path / "libnew-p11.so")]}]}
    assert discover_modules(platform="linux", catalogue=cat, env={}) == []
    (tmp_path / "libnew-p11.so").write_bytes(elf_header(62))
    [m] = discover_modules(platform="linux", catalogue=cat, env={}, arch="x64")
    assert m.vendor == "Nhà cung cấp mới" and m.known and m.loadable
    [m] = discover_modules(platform="linux", catalogue=cat, env={}, arch="arm64")
    assert not m.loadable and m.problems[0].code == "module-arch-mismatch"


def test_linux_finds_softhsm_here():
    from client.training.token import softhsm_module

    module = softhsm_module()
    if module is None:
        pytest.skip("SoftHSM2 not installed")
    mods = discover_modules(env={}, platform="linux")
    soft = [m for m in mods if m.vendor == "SoftHSM2"]
    assert soft and soft[0].loadable and soft[0].known


def test_require_module_strict_and_lenient(tmp_path):
    missing = str(tmp_path / "gone.so")
    with pytest.raises(TokenError) as ei:
        require_module(missing)
    assert ei.value.code == "module-not-found" and "gone.so" in ei.value.message
    with pytest.raises(TokenError) as ei:
        require_module(None, env={}, platform="linux", catalogue={})
    assert ei.value.code == "module-not-found" and "--module" in ei.value.message
    # a path remembered in settings that vanished: discovery goes on
    ok = tmp_path / "libok.so"
    ok.write_bytes(elf_header(62))
    cat = {"linux": [{"vendor": "X", "paths": [str(ok)]}]}
    assert require_module(missing, strict=False, env={}, platform="linux", catalogue=cat,
                          arch="x64") == str(ok)


# ---------------------------------------------------------------- unknown modules: child process


def test_unknown_bad_module_is_refused_by_the_child_probe(tmp_path):
    bad = tmp_path / "mystery-p11.so"
    bad.write_bytes(b"\x7fELF this is no module")
    with pytest.raises(TokenError) as ei:
        ensure_safe_to_load(str(bad))
    assert ei.value.code == "module-load"
    assert ei.value.problems and ei.value.problems[0].code == "module-probe-failed"


def test_unknown_good_module_is_probed_once(tmp_path, monkeypatch):
    from client.training.token import softhsm_module

    module = softhsm_module()
    if module is None:
        pytest.skip("SoftHSM2 not installed")
    alias = tmp_path / "mystery-vendor.so"
    os.symlink(module, alias)
    from client.signing import tokens

    calls = []
    original = tokens.probe_module

    def counting(path, timeout=15):
        calls.append(path)
        return original(path, timeout=timeout)

    monkeypatch.setattr(tokens, "probe_module", counting)
    ensure_safe_to_load(str(alias))
    ensure_safe_to_load(str(alias))
    assert calls == [str(alias)]  # probed in a child once, then remembered


def test_known_module_names_are_not_probed(tmp_path, monkeypatch):
    from client.signing import tokens

    monkeypatch.setattr(tokens, "probe_module", lambda *a, **k: pytest.fail("probed"))
    known = tmp_path / "vnptca_p11_v8.dll"
    known.write_bytes(pe_image(X64))
    ensure_safe_to_load(str(known))
