"""The budget catalogue (Mục lục ngân sách): NDKT codes as versioned, replaceable data.

The client ships ``resources/catalogue/ndkt-<version>.csv`` (columns ``code,
name, level, parent, status``; ``level`` is ``muc`` or ``tieu_muc``). Treasury
IT can load the official list with ``kbnn-client catalogue import FILE``: it
goes to ``<home>/catalogue/`` and from then on is the one used. Every file is
checked for structure before it replaces anything (a broken file leaves the
current catalogue in place), and the client always says which version it
uses: a code missing from the catalogue is flagged with that version, not
silently accepted nor refused.

Structure of a code (Thông tư 324/2016/TT-BTC): 4 digits; spending codes
6000–9999; a mục is a multiple of 50 (6000, 6050, 6100 …) and its tiểu mục
lie in the 49 codes after it (6001–6049 under 6000).
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import io
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from client.errors import InvalidInput, Problem
from client.i18n import tr
from client.resources import resource

SHIPPED_DIR = ("catalogue",)
MUC = "muc"
TIEU_MUC = "tieu_muc"
LEVELS = (MUC, TIEU_MUC)
STATUSES = ("checked", "unverified", "official")
_CODE = re.compile(r"[0-9]{4}")
_VERSION = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,39}")
_FILE_VERSION = re.compile(r"ndkt-(.+)\.csv$", re.IGNORECASE)
MAX_FILE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    level: str  # MUC or TIEU_MUC
    parent: str  # the mục of a tiểu mục, "" for a mục
    status: str  # "checked", "unverified" or "official"

    def to_json(self) -> dict:
        return {"code": self.code, "name": self.name, "level": self.level,
                "parent": self.parent, "status": self.status}


def code_problem(code: str) -> str | None:
    """Why ``code`` is not a well-formed spending NDKT (tiểu mục), in the current language;
    None if it is."""
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        return tr("mã NDKT phải gồm đúng 4 chữ số")
    if not 6000 <= int(code) <= 9999:
        return tr("mã NDKT chi phải từ 6000 đến 9999")
    if int(code) % 50 == 0:
        return tr("đây là mã mục (nhóm), phải ghi mã tiểu mục")
    return None


def muc_of(code: str) -> str:
    """The mục a tiểu mục belongs to by structure: 6501 -> "6500", 6551 -> "6550"."""
    return f"{int(code) // 50 * 50:04d}"


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())


class Catalogue:
    """One loaded catalogue version."""

    def __init__(self, version: str, entries: list[Entry], *, source: str = "",
                 sha256: str = "") -> None:
        self.version = version
        self.entries = list(entries)
        self.by_code = {e.code: e for e in self.entries}
        self.source = source
        self.sha256 = sha256

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, code: str) -> Entry | None:
        return self.by_code.get(code)

    def name(self, code: str) -> str:
        entry = self.by_code.get(code)
        return entry.name if entry else ""

    def search(self, text: str, limit: int = 20) -> list[Entry]:
        """Tiểu mục whose code starts with ``text`` or whose name contains it (accents optional)."""
        wanted = (text or "").strip()
        if not wanted:
            return []
        folded = _fold(wanted)
        hits: list[Entry] = []
        for e in self.entries:
            if e.level != TIEU_MUC:
                continue
            if e.code.startswith(wanted) or folded in _fold(e.name):
                hits.append(e)
        hits.sort(key=lambda e: (not e.code.startswith(wanted), e.code))
        return hits[:limit]

    def completions(self) -> list[str]:
        """Every tiểu mục as "6501 · Thanh toán tiền điện", for a completing NDKT column: typing
        part of the code or of the name finds it; ``code_of`` turns the choice back into a code."""
        return [f"{e.code} · {e.name}" for e in self.entries if e.level == TIEU_MUC]

    @staticmethod
    def code_of(text: str) -> str:
        """The code a cell holds: "6501 · Thanh toán tiền điện" or " 6501 " -> "6501"."""
        head = (text or "").strip().split(" ", 1)[0]
        return head if _CODE.fullmatch(head) else (text or "").strip()

    def check(self, code: str) -> tuple[str, str, str] | None:
        """(problem code, severity, detail in the current language) for a line's NDKT; None when
        fine."""
        why = code_problem(code)
        if why is not None:
            group = isinstance(code, str) and bool(_CODE.fullmatch(code)) \
                and int(code) >= 6000 and int(code) % 50 == 0
            return ("ndkt-group" if group else "ndkt-invalid"), "error", why
        entry = self.by_code.get(code)
        if entry is None:
            muc = self.by_code.get(muc_of(code))
            if muc:
                detail = tr("mã {code} (thuộc mục {muc} «{muc_name}») không có trong danh mục NDKT "
                            "phiên bản {version} đang dùng; hãy kiểm tra lại mã hoặc nạp danh mục "
                            "mới (kbnn-client catalogue import)",
                            code=code, muc=muc.code, muc_name=muc.name, version=self.version)
            else:
                detail = tr("mã {code} không có trong danh mục NDKT phiên bản {version} đang dùng; "
                            "hãy kiểm tra lại mã hoặc nạp danh mục mới (kbnn-client catalogue "
                            "import)", code=code, version=self.version)
            return ("ndkt-unknown", "warning", detail)
        if entry.level != TIEU_MUC:
            return ("ndkt-group", "error",
                    tr("{code} «{name}» là mã mục, phải ghi mã tiểu mục", code=code, name=entry.name))
        return None

    def describe(self) -> dict:
        checked = sum(1 for e in self.entries if e.status in ("checked", "official"))
        return {"version": self.version, "source": self.source, "sha256": self.sha256,
                "codes": len(self.entries),
                "tieu_muc": sum(1 for e in self.entries if e.level == TIEU_MUC),
                "checked": checked}


# -- reading and checking a file ------------------------------------------------------------------

def parse_catalogue(data: bytes, *, version: str, source: str = "") -> Catalogue:
    """A catalogue from CSV bytes, every row's structure checked.

    Raises ``InvalidInput`` listing each bad row (file row number, current language).
    """
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(tr("Tệp danh mục «{source}» quá lớn (tối đa 5 MiB).", source=source))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(tr("Tệp danh mục «{source}» phải là CSV mã hóa UTF-8.",
                                source=source)) from exc
    text = unicodedata.normalize("NFC", text)
    if not _VERSION.fullmatch(version or ""):
        raise InvalidInput(tr("Phiên bản danh mục «{version}» không hợp lệ: chỉ gồm chữ, số, "
                              "dấu chấm, gạch ngang (ví dụ 2026.2).", version=version))
    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader, [])]
    if "code" not in header or "name" not in header:
        raise InvalidInput(tr("Tệp danh mục «{source}» phải có dòng tiêu đề với các cột code, "
                              "name (và có thể level, parent, status).", source=source))
    col = {h: i for i, h in enumerate(header)}
    problems: list[Problem] = []
    entries: list[Entry] = []
    seen: dict[str, int] = {}

    def bad(row: int, detail: str) -> None:
        problems.append(Problem("catalogue-row-invalid",
                                tr("Dòng {row}: {detail}.", row=row, detail=detail),
                                f"{source}:{row}"))

    for row_no, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue

        def cell(name: str, cells: list[str] = cells) -> str:
            i = col.get(name)
            return cells[i].strip() if i is not None and i < len(cells) else ""

        code, name = cell("code"), cell("name")
        level = cell("level") or (MUC if code.isdigit() and int(code) % 50 == 0 else TIEU_MUC)
        parent = cell("parent")
        status = cell("status") or "official"
        if not _CODE.fullmatch(code):
            bad(row_no, tr("mã «{code}» phải gồm đúng 4 chữ số", code=code))
            continue
        if not name:
            bad(row_no, tr("mã {code} chưa có tên", code=code))
            continue
        if level not in LEVELS:
            bad(row_no, tr("cấp «{level}» phải là muc hoặc tieu_muc", level=level))
            continue
        if status not in STATUSES:
            bad(row_no, tr("trạng thái «{status}» phải là {allowed}", status=status,
                           allowed=", ".join(STATUSES)))
            continue
        if code in seen:
            bad(row_no, tr("mã {code} lặp lại (đã có ở dòng {first})", code=code, first=seen[code]))
            continue
        if level == MUC and int(code) % 50:
            bad(row_no, tr("mã mục {code} phải là bội của 50 (ví dụ 6500, 6550)", code=code))
            continue
        if level == TIEU_MUC:
            if int(code) % 50 == 0:
                bad(row_no, tr("mã tiểu mục {code} không được là bội của 50 (đó là mã mục)", code=code))
                continue
            parent = parent or muc_of(code)
            if parent != muc_of(code):
                bad(row_no, tr("tiểu mục {code} phải thuộc mục {muc}, không phải «{parent}»", code=code,
                                  muc=muc_of(code), parent=parent))
                continue
        else:
            parent = ""
        seen[code] = row_no
        entries.append(Entry(code, name, level, parent, status))
    if not entries and not problems:
        problems.append(Problem("catalogue-empty", tr("Tệp danh mục không có mã nào."), source))
    if problems:
        if len(problems) > 1:
            message = tr("Tệp danh mục «{source}» sai cấu trúc, chưa nạp: {first} (và {more} lỗi "
                         "khác)", source=source, first=problems[0].message, more=len(problems) - 1)
        else:
            message = tr("Tệp danh mục «{source}» sai cấu trúc, chưa nạp: {first}", source=source,
                         first=problems[0].message)
        raise InvalidInput(message, problems[:50])
    entries.sort(key=lambda e: e.code)
    return Catalogue(version, entries, source=source,
                     sha256=hashlib.sha256(data).hexdigest())


def version_from_name(path: Path) -> str | None:
    """``ndkt-2026.2.csv`` -> ``"2026.2"``; None when the name does not say."""
    m = _FILE_VERSION.search(Path(path).name)
    return m.group(1) if m and _VERSION.fullmatch(m.group(1)) else None


def shipped() -> Catalogue:
    """The newest catalogue shipped in ``resources/catalogue/``."""
    def order(path: Path) -> list:  # "2026.10" after "2026.9"
        return [(0, int(x), "") if x.isdigit() else (1, 0, x)
                for x in re.split(r"[.-]", version_from_name(path) or path.stem)]

    files = sorted(resource(*SHIPPED_DIR).glob("ndkt-*.csv"), key=order)
    if not files:  # pragma: no cover - a broken installation
        raise InvalidInput(tr("Thiếu danh mục NDKT trong bộ cài đặt (resources/catalogue)."))
    path = files[-1]
    return parse_catalogue(path.read_bytes(), version=version_from_name(path) or path.stem,
                           source=tr("kèm phần mềm ({file})", file=path.name))


def _installed_dir(home_path: Path) -> Path:
    return Path(home_path) / "catalogue"


def load(home_path: Path | None = None) -> Catalogue:
    """The catalogue in use: the one treasury IT imported into the home folder, else the shipped one."""
    if home_path is not None:
        folder = _installed_dir(home_path)
        meta_path = folder / "current.json"
        if meta_path.is_file():
            meta = json.loads(meta_path.read_text("utf-8"))
            data = (folder / meta["file"]).read_bytes()
            return parse_catalogue(data, version=meta["version"],
                                   source=tr("nạp ngày {when} từ {file}",
                                             when=meta.get("imported_at", "?"),
                                             file=meta.get("original", meta["file"])))
    return shipped()


def import_file(home_path: Path, path: Path, version: str | None = None) -> Catalogue:
    """Check ``path`` and make it the catalogue in use; the previous one stays on disk."""
    from client.signing.workflow import write_atomic

    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(tr("Không đọc được tệp danh mục «{path}»: {reason}.", path=path,
                                reason=exc.strerror)) from exc
    version = version or version_from_name(path)
    if not version:
        raise InvalidInput(tr("Không biết phiên bản của danh mục «{file}»: hãy đặt tên tệp "
                              "dạng ndkt-PHIÊNBẢN.csv hoặc dùng --version.", file=path.name))
    cat = parse_catalogue(data, version=version, source=path.name)
    folder = _installed_dir(home_path)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"ndkt-{version}.csv"
    write_atomic(folder / name, data)
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat()
    meta = {"version": version, "file": name, "original": path.name, "imported_at": now,
            "sha256": cat.sha256, "codes": len(cat)}
    write_atomic(folder / "current.json",
                 json.dumps(meta, ensure_ascii=False, indent=2).encode("utf-8"))
    cat.source = tr("nạp ngày {when} từ {file}", when=now, file=path.name)
    return cat


__all__ = ["Catalogue", "Entry", "MUC", "TIEU_MUC", "code_problem", "import_file", "load",
           "muc_of", "parse_catalogue", "shipped", "version_from_name"]
