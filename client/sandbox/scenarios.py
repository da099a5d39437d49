"""Network scenarios of the sandbox: normal, slow, flaky, outage, year-end.

A scenario decides, for each API request, whether to answer normally, to
wait first, to answer ``503``/``429`` with ``Retry-After``, or to drop the
connection (before or after doing the work). Every random choice comes from
a generator seeded with ``(seed, scenario, n)`` where ``n`` is the request's
number since the scenario was switched on, so the same sequence of requests
meets the same outcomes on every run (a demo and a test can replay it).

Spec strings (``--scenario``, the trainer page, the admin endpoint):

=================  =========================================================
``normal``         every request answered at once
``slow[:LO-HI]``   each answer waits LO..HI seconds (default 1–4)
``flaky[:P]``      with probability P (default 0.3): ``503``, or the connection
                   dropped before the request is handled, or after (the work is
                   done, the answer is lost)
``outage[:N]``     every request dropped for N seconds (default 60), then normal
``year-end[:R]``   above R requests per second (default 2) per session or
                   address: ``429`` with ``Retry-After``
=================  =========================================================
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

NAMES = ("normal", "slow", "flaky", "outage", "year-end")
NAMES_VI = {
    "normal": "Bình thường",
    "slow": "Mạng chậm",
    "flaky": "Mạng chập chờn (lỗi 503, rớt kết nối)",
    "outage": "Mất kết nối (máy chủ ngừng)",
    "year-end": "Cao điểm cuối năm (429 khi gửi quá nhanh)",
}
DEFAULT_PARAM = {"normal": "", "slow": "1-4", "flaky": "0.3", "outage": "60", "year-end": "2"}


class ScenarioError(ValueError):
    """A scenario spec that cannot be understood (message in Vietnamese)."""


@dataclass(frozen=True)
class Decision:
    """What to do with one request."""

    action: str = "pass"  # pass | delay | 503 | 429 | drop-before | drop-after
    delay: float = 0.0  # seconds to wait before going on (slow)
    retry_after: int = 0  # seconds (503, 429)

    @property
    def answers_now(self) -> bool:
        return self.action in ("503", "429", "drop-before")


@dataclass(frozen=True)
class ScenarioSpec:
    name: str
    param: str = ""

    @classmethod
    def parse(cls, text: str) -> ScenarioSpec:
        name, _, param = (text or "normal").strip().partition(":")
        name = name.strip().lower().replace("_", "-")
        if name == "yearend":
            name = "year-end"
        if name not in NAMES:
            raise ScenarioError(f"Kịch bản «{text}» không có; chọn một trong: {', '.join(NAMES)}.")
        param = param.strip() or DEFAULT_PARAM[name]
        spec = cls(name, param)
        spec.values()  # validate now
        return spec

    def values(self) -> tuple[float, float]:
        """The numbers of the parameter: (low, high) for slow; (value, 0) otherwise."""
        try:
            if self.name == "normal":
                return 0.0, 0.0
            if self.name == "slow":
                lo, sep, hi = self.param.partition("-")
                low, high = (float(lo), float(hi)) if sep else (0.0, float(lo))  # seconds, not money
                if not 0 <= low <= high <= 600:
                    raise ValueError
                return low, high
            value = float(self.param)  # seconds, not money
        except ValueError:
            raise ScenarioError(f"Tham số «{self.param}» của kịch bản {self.name} không hợp lệ.") from None
        if self.name == "flaky" and not 0 <= value <= 1:
            raise ScenarioError("Tỷ lệ lỗi của kịch bản flaky phải từ 0 đến 1.")
        if self.name in ("outage", "year-end") and not 0 < value <= 86_400:
            raise ScenarioError(f"Tham số của kịch bản {self.name} phải là số dương.")
        return value, 0.0

    def __str__(self) -> str:
        return f"{self.name}:{self.param}" if self.param else self.name


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class ScenarioState:
    """The scenario in force; thread-safe. ``clock`` is monotonic seconds."""

    spec: ScenarioSpec = field(default_factory=lambda: ScenarioSpec("normal"))
    seed: int = 1
    clock: Callable[[], float] = time.monotonic
    wall: Callable[[], float] = time.time
    started: float = 0.0
    started_wall: float = 0.0
    count: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.started = self.clock()
        self.started_wall = self.wall()

    def switch(self, spec: ScenarioSpec, seed: int | None = None) -> None:
        """Switch to ``spec``; the request count starts again from 0."""
        with self._lock:
            self.spec = spec
            if seed is not None:
                self.seed = int(seed)
            self.started = self.clock()
            self.started_wall = self.wall()
            self.count = 0
            self.outcomes = {}
            self._buckets = {}

    def _rng(self, n: int) -> random.Random:
        return random.Random(f"{self.seed}|{self.spec.name}|{self.spec.param}|{n}")

    def decide(self, client_key: str = "") -> Decision:
        """The outcome of the next request (``client_key``: who, for year-end's rate)."""
        with self._lock:
            now = self.clock()
            spec = self.spec
            if spec.name == "outage" and now - self.started >= spec.values()[0]:
                # the outage is over by itself
                self.spec, self.started, self.started_wall = ScenarioSpec("normal"), now, self.wall()
                self.count, self._buckets = 0, {}
                spec = self.spec
            n = self.count
            self.count += 1
            decision = self._decide(spec, n, now, client_key)
            self.outcomes[decision.action] = self.outcomes.get(decision.action, 0) + 1
            return decision

    def _decide(self, spec: ScenarioSpec, n: int, now: float, key: str) -> Decision:
        if spec.name == "normal":
            return Decision()
        rng = self._rng(n)
        if spec.name == "slow":
            low, high = spec.values()
            return Decision("delay", delay=rng.uniform(low, high))
        if spec.name == "flaky":
            rate = spec.values()[0]
            if rng.random() >= rate:
                return Decision()
            action = rng.choice(("503", "drop-before", "drop-after"))
            return Decision(action, retry_after=rng.randint(1, 3) if action == "503" else 0)
        if spec.name == "outage":
            left = spec.values()[0] - (now - self.started)
            return Decision("drop-before", retry_after=max(1, math.ceil(left)))
        # year-end: a token bucket per client, R tokens per second, R deep (at least 1)
        rate = spec.values()[0]
        depth = max(1.0, rate)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(depth, now)
        bucket.tokens = min(depth, bucket.tokens + (now - bucket.at) * rate)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return Decision()
        wait = (1.0 - bucket.tokens) / rate
        return Decision("429", retry_after=max(1, math.ceil(wait)) + rng.randint(0, 2))

    def to_json(self) -> dict:
        with self._lock:
            out = {"name": self.spec.name, "param": self.spec.param, "spec": str(self.spec),
                   "label": NAMES_VI[self.spec.name], "seed": self.seed,
                   "requests": self.count, "outcomes": dict(self.outcomes)}
            if self.spec.name == "outage":
                left = self.spec.values()[0] - (self.clock() - self.started)
                out["seconds_left"] = max(0, math.ceil(left))
            return out
