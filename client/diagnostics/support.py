"""For the person who helps: the support bundle and the log viewer.

``save_support_bundle`` writes one zip with the diagnostics report (text and
JSON), the log files and the settings file, every text scrubbed of secrets
(passwords, PINs, bearer/session tokens, Authorization headers, URL
credentials, and the stored treasury password itself when it can be read).
``read_log_tail`` gives the last lines of the logs for the GUI's log viewer.
"""

from __future__ import annotations

import io
import logging
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from client.diagnostics.model import Report
from client.home import Home, known_secrets, preset_files, read_ini_text, scrub_secrets
from client.i18n import tr

log = logging.getLogger("client.diagnostics")

LOG_NAME = "kbnn-client.log"


def log_files(home: Home) -> list[Path]:
    """The log files, newest first (``kbnn-client.log``, ``.1``, ``.2`` …)."""
    folder = home.logs_dir
    if not folder.is_dir():
        return []
    current = folder / LOG_NAME
    rotated = []
    for p in folder.glob(LOG_NAME + ".*"):
        suffix = p.name[len(LOG_NAME) + 1:]
        if suffix.isdigit():
            rotated.append((int(suffix), p))
    out = [current] if current.is_file() else []
    out += [p for _n, p in sorted(rotated)]
    # anything else in the folder (older names, crash dumps as text) after those
    out += sorted(p for p in folder.iterdir() if p.is_file() and p not in out)
    return out


def _tail_lines(path: Path, want: int, block: int = 65536) -> list[str]:
    """The last ``want`` lines of ``path`` without reading the whole file."""
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        pos = fh.tell()
        data = b""
        while pos > 0 and data.count(b"\n") <= want:
            step = min(block, pos)
            pos -= step
            fh.seek(pos)
            data = fh.read(step) + data
    lines = data.decode("utf-8", "replace").splitlines()
    if pos > 0 and lines:
        lines = lines[1:]  # the first one may be cut
    return lines[-want:] if want > 0 else []


def read_log_tail(home: Home, lines: int = 500) -> list[str]:
    """The last ``lines`` log lines (oldest first), across rotated files, secrets scrubbed."""
    out: list[str] = []
    for path in [p for p in log_files(home) if p.name.startswith(LOG_NAME)]:
        need = lines - len(out)
        if need <= 0:
            break
        try:
            out = _tail_lines(path, need) + out
        except OSError:
            continue
    known = known_secrets()
    return [scrub_secrets(line, known) for line in out]


def _known_secrets(home: Home) -> list[str]:
    """Literal secrets this profile holds (to remove even where no key names them)."""
    out = list(known_secrets())
    pw = home.get("training", "password")
    if pw:
        out.append(pw)
    if not home.is_training and home.get("server", "user"):
        try:
            from client.app import Credentials

            stored = Credentials(home).password()
            if stored:
                out.append(stored)
        except Exception:  # noqa: BLE001 - no keyring: nothing more to hide
            pass
    return out


def bundle_name(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"kbnn-client-ho-tro-{now.astimezone().strftime('%Y%m%d-%H%M%S')}.zip"


def save_support_bundle(home: Home, report: Report, dest: Path | str) -> Path:
    """Write the support zip to ``dest`` (a file, or a folder to put a dated file in).

    Contents: ``bao-cao.txt``, ``bao-cao.json``, ``logs/…``, ``settings.ini`` and the
    installer presets found (``presets/…``), each scrubbed of secrets. Written
    atomically. Returns the file written.
    """
    dest = Path(dest)
    if dest.is_dir():
        dest = dest / bundle_name()
    known = _known_secrets(home)

    def clean(text: str) -> str:
        return scrub_secrets(text, known)

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bao-cao.txt", clean(report.to_text()))
        z.writestr("bao-cao.json", clean(report.to_json_text()))
        for path in log_files(home):
            try:
                text = path.read_text("utf-8", errors="replace")
            except OSError as exc:
                text = tr("(không đọc được tệp: {error})", error=exc)
            z.writestr(f"logs/{path.name}", clean(text))
        if home.settings_path.is_file():
            z.writestr("settings.ini", clean(home.settings_path.read_text("utf-8", errors="replace")))
        for n, preset in enumerate(p for p in preset_files() if p.is_file()):
            # what treasury IT preset on this PC (read before settings.ini)
            try:
                text = f"; {preset}\n" + read_ini_text(preset)
            except OSError as exc:
                text = f"; {preset}\n" + tr("(không đọc được tệp: {error})", error=exc)
            z.writestr(f"presets/{n + 1}-{preset.name}", clean(text))
    tmp = dest.with_name(dest.name + ".tmp")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "wb") as fh:
        fh.write(buf.getvalue())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, dest)
    log.info("support bundle written: %s", dest.name)
    return dest
