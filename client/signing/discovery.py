"""Finding the PKCS#11 module: settings, ``--module``, or the known vendor modules.

The list of known modules is DATA (``resources/pkcs11-modules.json``): on
Windows each vendor's file names are looked up in ``System32`` and
``SysWOW64``; on Linux and macOS absolute paths (SoftHSM2, OpenSC).

A module's machine type is read from its header (PE on Windows, ELF on Linux,
Mach-O on macOS) without loading it, so a 32-bit-only driver is named plainly
instead of failing with an obscure loader error. A module that is not in the
list is loaded first in a child process (:func:`ensure_safe_to_load`), so a
bad DLL cannot take the application down.

Nothing here imports python-pkcs11 at module level.
"""

from __future__ import annotations

import json
import os
import platform
import re
import struct
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from client.errors import Problem, TokenError
from client.i18n import tr
from client.resources import resource

ENV_MODULE = "KBNN_PKCS11_MODULE"
CATALOGUE_FILE = "pkcs11-modules.json"

# PE "Machine" field values (IMAGE_FILE_MACHINE_*).
PE_MACHINES = {0x014C: "x86", 0x8664: "x64", 0xAA64: "arm64", 0x01C4: "arm", 0x0200: "ia64"}
# ELF e_machine values.
ELF_MACHINES = {3: "x86", 62: "x64", 183: "arm64", 40: "arm"}
# Mach-O cputype values (CPU_ARCH_ABI64 | type).
MACHO_CPUS = {0x01000007: "x64", 0x0100000C: "arm64", 7: "x86", 12: "arm"}

ARCH_BITS = {"x86": 32, "arm": 32, "x64": 64, "arm64": 64, "ia64": 64}
ARCH_VI = {"x86": "32-bit (x86)", "x64": "64-bit (x64)", "arm64": "64-bit ARM", "arm": "32-bit ARM",
           "ia64": "Itanium"}


# --------------------------------------------------------------------------- binary headers


def pe_machine(header: bytes) -> str | None:
    """The machine type of a PE (Windows DLL/EXE) image from its first bytes, or ``None``.

    Reads ``e_lfanew`` at 0x3C of the DOS header, checks the ``PE\\0\\0``
    signature there and maps the COFF ``Machine`` field. Unknown machine
    values come back as ``"unknown:0x...."``.
    """
    if len(header) < 0x40 or header[:2] != b"MZ":
        return None
    (e_lfanew,) = struct.unpack_from("<I", header, 0x3C)
    if e_lfanew + 6 > len(header) or header[e_lfanew:e_lfanew + 4] != b"PE\0\0":
        return None
    (machine,) = struct.unpack_from("<H", header, e_lfanew + 4)
    return PE_MACHINES.get(machine, f"unknown:0x{machine:04x}")


def elf_machine(header: bytes) -> str | None:
    """The machine type of an ELF shared object from its first bytes, or ``None``."""
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    order = "<" if header[5] == 1 else ">"
    (machine,) = struct.unpack_from(order + "H", header, 18)
    return ELF_MACHINES.get(machine, f"unknown:{machine}")


def macho_machine(header: bytes) -> str | None:
    """The machine type of a thin Mach-O image; ``"universal"`` for a fat one; else ``None``."""
    if len(header) < 8:
        return None
    if header[:4] in (b"\xca\xfe\xba\xbe", b"\xbe\xba\xfe\xca"):
        return "universal"
    for magic, order in ((b"\xcf\xfa\xed\xfe", "<"), (b"\xce\xfa\xed\xfe", "<"),
                         (b"\xfe\xed\xfa\xcf", ">"), (b"\xfe\xed\xfa\xce", ">")):
        if header[:4] == magic:
            (cpu,) = struct.unpack_from(order + "I", header, 4)
            return MACHO_CPUS.get(cpu, f"unknown:{cpu}")
    return None


def binary_arch(path: str | os.PathLike) -> tuple[str | None, str | None]:
    """``(format, arch)`` of a module file without loading it: format is ``"pe"``,
    ``"elf"``, ``"macho"`` or ``None`` (unreadable / not a known binary)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
            if head[:2] == b"MZ" and len(head) >= 0x40:
                (e_lfanew,) = struct.unpack_from("<I", head, 0x3C)
                if e_lfanew + 6 > len(head) and e_lfanew < 1 << 20:
                    fh.seek(0)
                    head = fh.read(e_lfanew + 6)
    except OSError:
        return None, None
    for fmt, reader in (("pe", pe_machine), ("elf", elf_machine), ("macho", macho_machine)):
        arch = reader(head)
        if arch is not None:
            return fmt, arch
    return None, None


def process_arch() -> str:
    """The architecture this Python process runs as: ``x64``, ``x86``, ``arm64`` or ``arm``."""
    machine = platform.machine().lower()
    is64 = sys.maxsize > 2**32
    if machine in ("arm64", "aarch64", "armv8", "armv8l") or machine.startswith("arm"):
        return "arm64" if is64 else "arm"
    return "x64" if is64 else "x86"


def arch_compatible(module_arch: str | None, proc_arch: str) -> bool:
    """Whether a process of ``proc_arch`` can load a module of ``module_arch``
    (unknown or universal modules are given the benefit of the doubt)."""
    if module_arch is None or module_arch == "universal" or module_arch.startswith("unknown"):
        return True
    return module_arch == proc_arch


# --------------------------------------------------------------------------- catalogue


def load_catalogue(path: str | os.PathLike | None = None) -> dict:
    """The known-module list (``resources/pkcs11-modules.json`` unless ``path``)."""
    file = Path(path) if path else resource(CATALOGUE_FILE)
    try:
        data = json.loads(Path(file).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"windows": [], "linux": [], "macos": []}
    return data if isinstance(data, dict) else {"windows": [], "linux": [], "macos": []}


def platform_name() -> str:
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "linux"


_VAR = re.compile(r"%([A-Za-z0-9_()]+)%")


def _expand(path: str, env: Mapping[str, str]) -> str | None:
    """``%VAR%`` expansion; ``None`` when a variable is not set."""
    missing = False

    def sub(m: re.Match) -> str:
        nonlocal missing
        value = env.get(m.group(1))
        if value is None:
            missing = True
            return ""
        return value

    out = _VAR.sub(sub, path)
    return None if missing else out


def _join(folder: str, name: str, windows: bool) -> str:
    sep = "\\" if windows and "\\" in folder else os.sep
    return folder.rstrip("\\/") + sep + name


def known_file_names(catalogue: dict | None = None) -> set[str]:
    """Lower-case file names of every module in the catalogue (all platforms)."""
    cat = catalogue if catalogue is not None else load_catalogue()
    names: set[str] = set()
    for plat in ("windows", "linux", "macos"):
        for entry in cat.get(plat) or []:
            for name in entry.get("files") or []:
                names.add(str(name).lower())
            for p in entry.get("paths") or []:
                names.add(re.split(r"[\\/]", str(p))[-1].lower())
    return names


# --------------------------------------------------------------------------- discovery


@dataclass
class ModuleInfo:
    """One PKCS#11 module file found on this machine."""

    path: str
    vendor: str
    source: str  # "configured" | "env" | "system32" | "syswow64" | "known"
    format: str | None  # "pe" | "elf" | "macho" | None
    arch: str | None  # "x86" | "x64" | "arm64" | ... | None when unreadable
    loadable: bool  # the process can load it (architecture matches or unknown)
    known: bool  # listed in the catalogue
    problems: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"path": self.path, "vendor": self.vendor, "source": self.source,
                "format": self.format, "arch": self.arch, "loadable": self.loadable,
                "known": self.known, "problems": [p.to_json() for p in self.problems]}


def _arch_problem(path: str, vendor: str, arch: str, proc: str, *, only_wow64: bool) -> Problem:
    name = re.split(r"[\\/]", path)[-1]
    who = f"«{name}»" + (f" ({vendor})" if vendor else "")
    if ARCH_BITS.get(arch) == 32 and ARCH_BITS.get(proc) == 64:
        if only_wow64:
            message = tr("Mô-đun PKCS#11 {who} chỉ có bản 32-bit (chỉ có trong thư mục SysWOW64); "
                         "ứng dụng đang chạy 64-bit nên không nạp được. Hãy cài bản 64-bit của "
                         "trình điều khiển token (tải từ nhà cung cấp chữ ký số), hoặc dùng bản "
                         "32-bit của KBNN Client.", who=who)
        else:
            message = tr("Mô-đun PKCS#11 {who} chỉ có bản 32-bit; ứng dụng đang chạy 64-bit nên "
                         "không nạp được. Hãy cài bản 64-bit của trình điều khiển token (tải từ "
                         "nhà cung cấp chữ ký số), hoặc dùng bản 32-bit của KBNN Client.", who=who)
        return Problem("module-32bit-only", message, path)
    return Problem(
        "module-arch-mismatch",
        tr("Mô-đun PKCS#11 {who} là bản {arch}, khác với ứng dụng đang chạy {process} nên không "
           "nạp được. Hãy cài bản trình điều khiển token phù hợp.",
           who=who, arch=ARCH_VI.get(arch, arch), process=ARCH_VI.get(proc, proc)),
        path)


def _describe(path: str, vendor: str, source: str, proc: str, known: bool, *,
              only_wow64: bool = False) -> ModuleInfo:
    fmt, arch = binary_arch(path)
    loadable = arch_compatible(arch, proc)
    info = ModuleInfo(path=path, vendor=vendor, source=source, format=fmt, arch=arch,
                      loadable=loadable, known=known)
    if not loadable and arch is not None:
        info.problems.append(_arch_problem(path, vendor, arch, proc, only_wow64=only_wow64))
    stem = re.split(r"[\\/]", path)[-1].rsplit(".", 1)[0]
    if stem.lower().endswith("_s"):
        info.problems.append(Problem(
            "module-csp-shell",
            tr("Tệp có đuôi «_s» thường là vỏ CSP của nhà cung cấp, không phải mô-đun PKCS#11; "
               "hãy chọn tệp cùng tên không có «_s»."), path, "warning"))
    return info


def _vendor_of(path: str, catalogue: dict) -> tuple[str, bool]:
    name = re.split(r"[\\/]", path)[-1].lower()
    for plat in ("windows", "linux", "macos"):
        for entry in catalogue.get(plat) or []:
            names = {str(n).lower() for n in entry.get("files") or []}
            names |= {re.split(r"[\\/]", str(p))[-1].lower() for p in entry.get("paths") or []}
            if name in names:
                return str(entry.get("vendor") or ""), True
    return "", False


def discover_modules(configured: str | None = None, *, env: Mapping[str, str] | None = None,
                     platform: str | None = None, catalogue: dict | None = None,
                     arch: str | None = None) -> list[ModuleInfo]:
    """Every PKCS#11 module file present, in order of preference: ``configured``,
    then ``KBNN_PKCS11_MODULE``, then the catalogue's modules for this platform.

    Files that do not exist are left out. On Windows a module found only in
    ``SysWOW64`` (or only in the wrong architecture) is listed with
    ``loadable=False`` and a plain Vietnamese problem. ``env``, ``platform``,
    ``catalogue`` and ``arch`` default to this machine (tests pass their own).
    """
    env = os.environ if env is None else env
    plat = platform or platform_name()
    cat = catalogue if catalogue is not None else load_catalogue()
    proc = arch or process_arch()
    windows = plat == "windows"
    out: list[ModuleInfo] = []
    seen: set[str] = set()

    def key(p: str) -> str:
        real = os.path.realpath(p)
        return real.lower() if windows else real

    def add(info: ModuleInfo) -> None:
        seen.add(key(info.path))
        out.append(info)

    for source, cand in (("configured", configured), ("env", env.get(ENV_MODULE))):
        if cand and os.path.isfile(cand) and key(cand) not in seen:
            vendor, known = _vendor_of(cand, cat)
            add(_describe(cand, vendor, source, proc, known))

    for entry in cat.get(plat) or []:
        vendor = str(entry.get("vendor") or "")
        if windows:
            root = env.get("SystemRoot") or env.get("SYSTEMROOT") or env.get("windir") or r"C:\Windows"
            sys32, wow64 = _join(root, "System32", True), _join(root, "SysWOW64", True)
            for name in entry.get("files") or []:
                found = [(src, p) for src, p in (("system32", _join(sys32, name, True)),
                                                  ("syswow64", _join(wow64, name, True)))
                         if os.path.isfile(p) and key(p) not in seen]
                if not found:
                    continue
                infos = [_describe(p, vendor, src, proc, True,
                                   only_wow64=(src == "syswow64" and len(found) == 1))
                         for src, p in found]
                usable = [i for i in infos if i.loadable]
                # One line per file name: the copy this process can load, else the
                # (unloadable) one with the plain explanation.
                add(usable[0] if usable else infos[0])
                for other in infos:
                    seen.add(key(other.path))
        for raw in entry.get("paths") or []:
            path = _expand(str(raw), env)
            if path and windows and os.sep == "/":  # a Windows tree examined from POSIX (tests)
                path = path.replace("\\", "/")
            if not path or not os.path.isfile(path) or key(path) in seen:
                continue
            add(_describe(path, vendor, "known", proc, True))
    return out


def find_module_paths(configured: str | None = None) -> list[str]:
    """Paths of the modules this process can load, best first."""
    return [m.path for m in discover_modules(configured) if m.loadable]


def require_module(configured: str | None = None, *, strict: bool = True,
                   **discover_kw: Any) -> str:
    """The module to use: ``configured`` (``--module`` or settings) or the first loadable
    one found; raises ``TokenError`` saying plainly why there is none.

    ``strict``: a ``configured`` path that is missing or of the wrong architecture is an
    error (``--module``); otherwise (a path remembered in settings) discovery goes on."""
    if configured and not os.path.isfile(configured):
        if strict:
            raise TokenError(tr("Không tìm thấy tệp mô-đun PKCS#11 «{path}».", path=configured),
                             code="module-not-found")
        configured = None
    modules = discover_modules(configured, **discover_kw)
    if configured:
        chosen = next(m for m in modules if m.source == "configured")
        if chosen.loadable:
            return chosen.path
        if strict:
            raise TokenError(chosen.problems[0].message, chosen.problems, code="module-arch")
    for m in modules:
        if m.loadable:
            return m.path
    problems = [p for m in modules for p in m.problems if p.severity == "error"]
    if problems:
        raise TokenError(tr("Đã tìm thấy trình điều khiển token nhưng ứng dụng không nạp được:"),
                         problems, code="module-arch")
    raise TokenError(tr("Không tìm thấy thư viện PKCS#11 của token. Hãy cài trình điều khiển "
                        "token (driver) của nhà cung cấp chữ ký số, hoặc chỉ đường dẫn bằng "
                        "--module."),
                     code="module-not-found")


# --------------------------------------------------------------------------- unknown modules

_probed_ok: set[str] = set()
_probe_lock = threading.Lock()


def is_known_module(path: str, catalogue: dict | None = None) -> bool:
    """Whether the file name of ``path`` is one of the catalogue's modules."""
    name = re.split(r"[\\/]", str(path))[-1].lower()
    return name in known_file_names(catalogue)


def ensure_safe_to_load(path: str, *, timeout: float = 15) -> None:
    """Before loading a module that is not in the catalogue in THIS process, load it in a
    child process (:func:`client.signing.tokens.probe_module`); raise ``TokenError`` when
    that fails or crashes. Known modules, modules served by a registered library
    factory and modules already probed in this process pass at once."""
    from client.signing import tokens

    if tokens.lib_factory_for(path) is not None or is_known_module(path):
        return
    key = os.path.normcase(os.path.realpath(path))
    with _probe_lock:
        if key in _probed_ok:
            return
    result = tokens.probe_module(path, timeout=timeout)
    if not result.ok:
        raise TokenError(result.message, [Problem("module-probe-failed", result.message, path)],
                         code="module-load")
    with _probe_lock:
        _probed_ok.add(key)
