"""Recognising a Vietnamese bank from the many ways people write it (resources/banks.csv).

"Vietcombank - CN Hà Nội", "NH TMCP Ngoại thương VN", "VCB Ba Đình" and
"Ngân hàng Ngoại Thương" are all Vietcombank (NAPAS BIN 970436). The forms
want the bank's name and branch as text: the importer keeps what the unit
wrote, and uses the recognised bank to warn about names it does not know.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from client.importers.tabular import heading_key
from client.resources import resource

# Words that say "bank" and its legal form, dropped before matching.
_NOISE = ("ngan hang thuong mai co phan", "ngan hang tmcp", "nh tmcp", "nhtmcp", "ngan hang",
          "tmcp", "thuong mai co phan", "nh", "bank", "jsc", "chi nhanh", "cn", "pgd",
          "phong giao dich", "so giao dich", "sgd")
_SEPARATORS = re.compile(r"\s+[-–—,/|]\s+|\s*[–—|]\s*|,\s*|\s+-\s*|\s*-\s+")
_BRANCH_START = re.compile(r"(?i)\b(?:chi nhánh|cn|pgd|phòng giao dịch|sở giao dịch|sgd)\b\.?")


@dataclass(frozen=True)
class Bank:
    short_name: str
    full_name: str
    bin: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class BankMatch:
    bank: Bank
    branch: str  # what follows the bank's name ("CN Hà Nội"), may be empty

    def to_json(self) -> dict:
        return {"short_name": self.bank.short_name, "full_name": self.bank.full_name,
                "bin": self.bank.bin, "branch": self.branch}


def load_banks(path: Path | None = None) -> list[Bank]:
    """The bank list (``short_name,full_name,bin,aliases`` with aliases split on ";")."""
    path = Path(path) if path else resource("banks.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return [Bank(row["short_name"].strip(), row["full_name"].strip(), row["bin"].strip(),
                     tuple(a.strip() for a in (row.get("aliases") or "").split(";") if a.strip()))
                for row in csv.DictReader(fh)]


def _strip_noise(key: str) -> str:
    words = f" {key} "
    for noise in _NOISE:
        words = words.replace(f" {noise} ", " ")
    return " ".join(words.split())


class BankIndex:
    """Every spelling of every bank, longest first, matched on whole words."""

    def __init__(self, banks: list[Bank]) -> None:
        self.banks = banks
        entries: list[tuple[str, Bank]] = []
        for bank in banks:
            names = {bank.short_name, bank.full_name, *bank.aliases}
            keys = set()
            for name in names:
                key = heading_key(name)
                keys.add(key)
                keys.add(_strip_noise(key))
                keys.add(key.replace("viet nam", "vn"))
                keys.add(_strip_noise(key.replace("viet nam", "vn")))
                keys.add(_strip_noise(key.replace(" viet nam", "")))
            for key in keys:
                if key and len(key) >= 2:
                    entries.append((key, bank))
        entries.sort(key=lambda e: -len(e[0]))
        self._entries = entries
        self._compact = {e[0].replace(" ", ""): e[1] for e in entries if " " not in e[0]}

    def match(self, text: str) -> BankMatch | None:
        """The bank ``text`` names, and the branch written after it; None if unknown."""
        if not text or not text.strip():
            return None
        key = heading_key(text)
        padded = f" {key} "
        for entry, bank in self._entries:
            if f" {entry} " in padded:
                return BankMatch(bank, _branch(text, bank))
        # "VietcomBank", "Viet Com Bank": spaces people add or drop
        compact = key.replace(" ", "")
        for entry, bank in self._compact.items():
            if len(entry) >= 4 and entry in compact:
                return BankMatch(bank, _branch(text, bank))
        return None


def _branch(text: str, bank: Bank) -> str:
    """What follows the bank name: "Vietcombank - CN Hà Nội" -> "CN Hà Nội"."""
    m = _BRANCH_START.search(text)
    if m:
        return text[m.start():].strip(" -–—,")
    parts = _SEPARATORS.split(text.strip(), maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""


@functools.lru_cache(maxsize=1)
def default_index() -> BankIndex:
    return BankIndex(load_banks())


def recognise(text: str) -> BankMatch | None:
    """``default_index().match(text)``."""
    return default_index().match(text)


__all__ = ["Bank", "BankIndex", "BankMatch", "default_index", "load_banks", "recognise"]
