"""Network settings of a home folder and the treasury client built from them.

``settings.ini``::

    [server]
    url = https://dvc.example.vn/api/v1
    unit = 1047665
    user = ketoan01
    ca_file = C:\\KBNN\\ca-kbnn.pem        ; optional, added to the OS trust store

    [network]
    proxy = system | none | manual        ; default: system
    proxy_host = proxy.so-tc.vn:3128      ; manual only
    proxy_user = nguyenvana               ; optional; the password is in the OS keyring
    connect_timeout = 10                  ; seconds
    read_timeout = 60

The proxy password is kept in the OS keyring (service ``kbnn-client``, user
``proxy|host:port|user``), never in the settings file or the logs. When the
system has no keyring backend, the password is simply not found (logged as
a warning without it) and the proxy answers 407, which the client reports.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from client.errors import UsageError
from client.i18n import tr
from client.transport.api import DEFAULT_TIMEOUT, PROXY_MODES, ProxyConfig, TreasuryClient

log = logging.getLogger(__name__)

KEYRING_SERVICE = "kbnn-client"
SECTION = "network"


@dataclass
class NetworkSettings:
    proxy: str = "system"
    proxy_host: str = ""
    proxy_user: str = ""
    connect_timeout: float = DEFAULT_TIMEOUT[0]
    read_timeout: float = DEFAULT_TIMEOUT[1]

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    def problems(self) -> list[str]:
        """Vietnamese descriptions of what is wrong (empty when usable)."""
        out = []
        if self.proxy not in PROXY_MODES:
            out.append(tr("Chế độ proxy «{mode}» không hợp lệ (system, none hoặc manual).",
                          mode=self.proxy))
        if self.proxy == "manual":
            host, _, port = self.proxy_host.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                out.append(tr("Proxy thủ công cần địa chỉ dạng máy:cổng, ví dụ proxy.so-tc.vn:3128."))
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            out.append(tr("Thời gian chờ kết nối và chờ trả lời phải lớn hơn 0 giây."))
        return out


def _keyring_user(settings: NetworkSettings) -> str:
    host = settings.proxy_host.strip().rstrip("/")
    host = host.split("://", 1)[1] if "://" in host else host
    return f"proxy|{host.lower()}|{settings.proxy_user}"


def _float(value: str | None, default: float) -> float:
    try:
        return float(value) if value not in (None, "") else default  # seconds, not money
    except ValueError:
        return default


def network_settings(home: Any) -> NetworkSettings:
    """The ``[network]`` section of a ``client.home.Home`` (defaults when absent)."""
    return NetworkSettings(
        proxy=(home.get(SECTION, "proxy") or "system").strip().lower(),
        proxy_host=(home.get(SECTION, "proxy_host") or "").strip(),
        proxy_user=(home.get(SECTION, "proxy_user") or "").strip(),
        connect_timeout=_float(home.get(SECTION, "connect_timeout"), DEFAULT_TIMEOUT[0]),  # seconds, not money
        read_timeout=_float(home.get(SECTION, "read_timeout"), DEFAULT_TIMEOUT[1]),  # seconds, not money
    )


def save_network_settings(home: Any, settings: NetworkSettings,
                          proxy_password: str | None = None) -> None:
    """Write ``[network]`` (and the proxy password to the keyring when given)."""
    problems = settings.problems()
    if problems:
        raise UsageError(" ".join(problems))
    home.set(SECTION, "proxy", settings.proxy)
    home.set(SECTION, "proxy_host", settings.proxy_host or None)
    home.set(SECTION, "proxy_user", settings.proxy_user or None)
    home.set(SECTION, "connect_timeout", f"{settings.connect_timeout:g}")
    home.set(SECTION, "read_timeout", f"{settings.read_timeout:g}")
    home.save()
    if proxy_password is not None and settings.proxy_user:
        store_proxy_password(settings, proxy_password)


def proxy_password(settings: NetworkSettings) -> str | None:
    """The manual proxy's password from the OS keyring, or None (also without a keyring)."""
    if not settings.proxy_user:
        return None
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, _keyring_user(settings))
    except Exception as exc:  # keyring backends raise many kinds; no keyring at all is one
        log.warning("keyring unavailable for the proxy password: %s", type(exc).__name__)
        return None


def store_proxy_password(settings: NetworkSettings, password: str) -> None:
    """Keep the proxy password in the OS keyring (UsageError when there is none)."""
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, _keyring_user(settings), password)
    except Exception as exc:
        raise UsageError(tr("Không lưu được mật khẩu proxy: máy tính không có kho khóa (keyring) "
                            "của hệ điều hành ({error}).", error=type(exc).__name__)) from exc


def proxy_config(settings: NetworkSettings,
                 password: Callable[[], str | None] | None = None) -> ProxyConfig:
    """The ``ProxyConfig`` of these settings; the password is read lazily from the keyring."""
    problems = settings.problems()
    if problems:
        raise UsageError(" ".join(problems))
    if settings.proxy != "manual":
        return ProxyConfig(mode=settings.proxy)
    return ProxyConfig(mode="manual", host=settings.proxy_host, user=settings.proxy_user,
                       password=password or (lambda: proxy_password(settings)))


def client_for_home(home: Any, password: Callable[[], str | None], *,
                    url: str | None = None, unit: str | None = None, user: str | None = None,
                    client_info: dict | None = None) -> TreasuryClient:
    """A ``TreasuryClient`` with the server, CA file, proxy and timeouts of ``home``.

    ``url``/``unit``/``user`` override the saved server (``kbnn-client login``).
    """
    server = home.server()
    url = url or server["url"]
    unit = unit or server["unit"]
    user = user or server["user"]
    if not url or not unit or not user:
        raise UsageError(tr("Chưa đăng nhập Kho bạc. Hãy chạy: kbnn-client login --server URL "
                            "--unit MÃ_ĐƠN_VỊ --user TÊN_ĐĂNG_NHẬP"))
    ca_file = server.get("ca_file") or None
    if ca_file and not os.path.isfile(ca_file):
        raise UsageError(tr("Không tìm thấy tệp CA của Kho bạc «{path}» (mục [server] ca_file).",
                            path=ca_file))
    settings = network_settings(home)
    return TreasuryClient(url, unit_code=unit, username=user, password=password,
                          ca_file=ca_file, timeout=settings.timeout,
                          proxy=proxy_config(settings), client_info=client_info)
