"""Pre-Unicode Vietnamese text in old workbooks: TCVN3 (ABC) and VNI, detected and converted.

In a workbook typed with a TCVN3 font (.VnTime) the text arrives as Latin-1
look-alikes ("NguyÔn V¨n An" = "Nguyễn Văn An"); with a VNI font (VNI-Times)
as a base letter followed by mark characters ("Nguyeãn Vaên An"). See
reference/domain.md, "Legacy Vietnamese text in old workbooks".

Detection is per sheet, never per cell: a cell such as "Hà Tú" is valid
Unicode *and* valid TCVN3, so only a sheet with no Unicode-only Vietnamese
letters at all and clear legacy signatures is converted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

TCVN3 = "TCVN3 (ABC)"
VNI = "VNI"

# TCVN 5712:1993 bytes 0xA1-0xFF (as glibc's TCVN5712-1 decodes them).
_TCVN3_HIGH = (
    "ĂÂÊÔƠƯĐăâêôơưđẰ\u0300\u0309\u0303\u0301\u0323àảãáạẲằẳẵắẴẮẦẨẪẤỀặầẩẫấậèỂẻẽéẹềểễếệìỉỄẾỒĩíịò"
    "ỔỏõóọồổỗốộờởỡớợùỖủũúụừửữứựỳỷỹýỵỐ"
)
_TCVN3 = {0xA1 + i: ch for i, ch in enumerate(_TCVN3_HIGH)}
assert len(_TCVN3) == 0xFF - 0xA1 + 1

# Letters of Unicode Vietnamese that no legacy-encoded cell can contain.
_UNICODE_ONLY = re.compile("[ĂăĐđĨĩŨũƠơƯư\u1ea0-\u1ef9\u0300\u0301\u0303\u0309\u0323]")
# Frequent TCVN3 letters whose Latin-1 look-alikes are symbols, never Vietnamese letters:
# ă â ê ơ ư đ Đ à ả ã á ạ ằ ẳ ẵ ắ ầ
_TCVN3_SIGNS = re.compile("[¨©ª¬\xad®§µ¶·¸¹»¼½¾Ç]")
# VNI: a vowel followed by a mark that is not a Vietnamese letter in Unicode, or đ ư ỵ ỉ.
_VNI_SIGNS = re.compile("[aeouyAEOUY][øùûïäëåüØÙÛÏÄËÅÜ]|[aeAE][âáàåãÂÁÀÅÃ]|[oO][âåÂÅ]"
                        "|[aA][êéèúÊÉÈÚ]|[ñÑöÖîÎæÆ]")

_TONES = {"ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323"}
_CIRCUMFLEX = {"â": "", "á": "\u0301", "à": "\u0300", "å": "\u0309", "ã": "\u0303",
               "ä": "\u0323"}
_BREVE = {"ê": "", "é": "\u0301", "è": "\u0300", "ú": "\u0309", "ü": "\u0303", "ë": "\u0323"}
_VNI_SINGLE = {"í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ", "ñ": "đ",
               "ô": "ơ", "ö": "ư"}


def _lower_map(table: dict[str, str]) -> dict[str, str]:
    """Marks come in a lower- and an upper-case glyph: accept both."""
    out = dict(table)
    out.update({k.upper(): v for k, v in table.items()})
    return out


_TONES_ALL = _lower_map(_TONES)
_CIRCUMFLEX_ALL = _lower_map(_CIRCUMFLEX)
_BREVE_ALL = _lower_map(_BREVE)
_VNI_SINGLE_ALL = dict(_VNI_SINGLE)
_VNI_SINGLE_ALL.update({k.upper(): v.upper() for k, v in _VNI_SINGLE.items()})


def tcvn3_to_unicode(text: str) -> str:
    """Convert TCVN3 look-alike text; words typed in capitals stay in capitals."""
    words = re.split(r"(\s+)", text)
    out = []
    for word in words:
        converted = "".join(_TCVN3.get(ord(c), c) for c in word)
        letters = [c for c in word if c.isascii() and c.isalpha()]
        if len(letters) >= 2 and all(c.isupper() for c in letters):
            converted = converted.upper()  # uppercase font, lowercase codes
        out.append(converted)
    return unicodedata.normalize("NFC", "".join(out))


def vni_to_unicode(text: str) -> str:
    """Convert VNI look-alike text (base letter + mark characters)."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        low = c.lower()
        if c in _VNI_SINGLE_ALL:
            base = _VNI_SINGLE_ALL[c]
            i += 1
            if base.lower() in ("ơ", "ư") and nxt in _TONES_ALL:
                base += _TONES_ALL[nxt]
                i += 1
            out.append(base)
            continue
        if low in "aeo" and nxt in _CIRCUMFLEX_ALL:
            out.append(c + "\u0302" + _CIRCUMFLEX_ALL[nxt])
            i += 2
            continue
        if low == "a" and nxt in _BREVE_ALL:
            out.append(c + "\u0306" + _BREVE_ALL[nxt])
            i += 2
            continue
        if low in "aeouy" and nxt in _TONES_ALL:
            out.append(c + _TONES_ALL[nxt])
            i += 2
            continue
        out.append(c)
        i += 1
    return unicodedata.normalize("NFC", "".join(out))


def detect(texts: Iterable[str]) -> str | None:
    """``TCVN3``, ``VNI`` or None for the text cells of one sheet."""
    tcvn = vni = 0
    for text in texts:
        if _UNICODE_ONLY.search(unicodedata.normalize("NFC", text)):
            return None  # real Unicode Vietnamese: the sheet is Unicode
        tcvn += len(_TCVN3_SIGNS.findall(text))
        vni += len(_VNI_SIGNS.findall(text))
    if max(tcvn, vni) < 2:
        return None
    return TCVN3 if tcvn >= vni else VNI


def convert(text: str, encoding: str) -> str:
    return tcvn3_to_unicode(text) if encoding == TCVN3 else vni_to_unicode(text)


def looks_legacy(text: str) -> str | None:
    """``TCVN3``/``VNI`` when this one piece of text still reads as a legacy encoding.

    Stricter than ``detect`` (which judges a whole sheet): the text must hold
    no Unicode-only Vietnamese letter, carry a legacy signature, and convert
    into text that does hold Vietnamese letters. Used by the checks to warn
    about text a mixed sheet left unconverted.
    """
    if not text or text.isascii():
        return None
    if _UNICODE_ONLY.search(unicodedata.normalize("NFC", text)):
        return None
    tcvn = len(_TCVN3_SIGNS.findall(text))
    vni = len(_VNI_SIGNS.findall(text))
    if not tcvn and not vni:
        return None
    encoding = TCVN3 if tcvn >= vni else VNI
    if _UNICODE_ONLY.search(convert(text, encoding)):
        return encoding
    return None


__all__ = ["TCVN3", "VNI", "convert", "detect", "looks_legacy", "tcvn3_to_unicode",
           "vni_to_unicode"]
