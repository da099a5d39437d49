"""What a diagnostics run produces: one ``CheckResult`` per check, gathered in a ``Report``.

The JSON form is a stable interface (``kbnn-client doctor --json``, support
bundles, the GUI)::

    {"version": "<app version>", "schema": 1, "generated_at": "<RFC 3339 UTC>",
     "home": "<data folder>", "summary": {"ok": n, "warning": n, "failed": n},
     "checks": [{"id", "status", "title", "detail", "advice", "data"}, ...]}

``status`` is ``ok``, ``warning`` or ``failed``; ``title``, ``detail`` and
``advice`` (cách khắc phục) are in the language of :mod:`client.i18n` (Vietnamese
by default, English with ``--lang en``); ``data`` holds the facts behind
the verdict (never a secret).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from client.i18n import language, tr

OK = "ok"
WARNING = "warning"
FAILED = "failed"
STATUSES = (OK, WARNING, FAILED)
SCHEMA = 1

STATUS_VI = {OK: "ĐẠT", WARNING: "CẢNH BÁO", FAILED: "LỖI"}
STATUS_EN = {OK: "OK", WARNING: "WARNING", FAILED: "FAILED"}

_VN_TZ = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class CheckResult:
    id: str
    status: str
    title: str
    detail: str = ""
    advice: str = ""
    data: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"id": self.id, "status": self.status, "title": self.title, "detail": self.detail,
                "advice": self.advice, "data": self.data}

    def to_text(self) -> str:
        labels = STATUS_EN if language() == "en" else STATUS_VI
        lines = [f"[{labels.get(self.status, self.status)}] {self.title}"]
        lines += [f"    {line}" for line in self.detail.splitlines() if line.strip()]
        if self.advice and self.status != OK:
            advice = self.advice.splitlines()
            lines.append("    " + tr("Cách khắc phục: {advice}", advice=advice[0]))
            lines += [f"      {line}" for line in advice[1:] if line.strip()]
        return "\n".join(lines)


@dataclass
class Report:
    version: str
    generated_at: datetime
    checks: list[CheckResult]
    home: str = ""

    def summary(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for c in self.checks:
            out[c.status] = out.get(c.status, 0) + 1
        return out

    @property
    def status(self) -> str:
        """The worst status of all checks."""
        statuses = {c.status for c in self.checks}
        return FAILED if FAILED in statuses else WARNING if WARNING in statuses else OK

    def get(self, check_id: str) -> CheckResult | None:
        return next((c for c in self.checks if c.id == check_id), None)

    def to_json(self) -> dict:
        return {
            "version": self.version,
            "schema": SCHEMA,
            "generated_at": self.generated_at.astimezone(UTC).isoformat(timespec="seconds"),
            "home": self.home,
            "summary": self.summary(),
            "checks": [c.to_json() for c in self.checks],
        }

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=2, default=str)

    def to_text(self) -> str:
        """The plain-text report ("Sao chép báo cáo"), in the language of ``client.i18n``."""
        s = self.summary()
        when = self.generated_at.astimezone(_VN_TZ).strftime("%d/%m/%Y %H:%M:%S")
        head = [
            tr("BÁO CÁO KIỂM TRA MÁY — KBNN Client {version}", version=self.version),
            tr("Thời điểm: {when} (giờ Việt Nam)", when=when),
        ]
        if self.home:
            head.append(tr("Thư mục dữ liệu: {home}", home=self.home))
        head.append(tr("Tổng hợp: {ok} đạt, {warning} cảnh báo, {failed} lỗi", ok=s[OK],
                       warning=s[WARNING], failed=s[FAILED]))
        body = [c.to_text() for c in self.checks]
        return "\n".join(head) + "\n\n" + "\n\n".join(body) + "\n"
