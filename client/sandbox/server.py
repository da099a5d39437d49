"""Running the sandbox: in a background thread (tests, training) or in the foreground."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from client.sandbox.app import create_app

log = logging.getLogger(__name__)


class _Handler(WSGIRequestHandler):
    # One request per connection: when the sandbox stops, no kept-alive connection
    # goes on being served by a leftover thread (clients see "unreachable" at once).
    protocol_version = "HTTP/1.0"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("%s %s -> %s", self.command, self.path.split("?")[0], code)


class SandboxServer:
    """A sandbox treasury served by werkzeug (threaded) on a daemon thread."""

    def __init__(self, host: str, port: int, ssl_context: Any = None,
                 **create_app_kwargs: Any) -> None:
        self.app = create_app(**create_app_kwargs)
        self._server = make_server(host, port, self.app, threaded=True, request_handler=_Handler,
                                   ssl_context=ssl_context)
        self.host = host
        self.port = int(self._server.server_port)
        scheme = "https" if ssl_context is not None else "http"
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"{scheme}://{shown}:{self.port}/api/v1"
        self.sandbox = self.app.config["KBNN_SANDBOX"]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="kbnn-sandbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting requests and close the listening socket."""
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> SandboxServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(host: str = "127.0.0.1", port: int = 0, **create_app_kwargs: Any) -> SandboxServer:
    """Start a sandbox in the background (``port=0``: a free port); see ``create_app``.

    ``ssl_context`` (optional) is passed to werkzeug to serve HTTPS.
    """
    ssl_context = create_app_kwargs.pop("ssl_context", None)
    return SandboxServer(host, port, ssl_context=ssl_context, **create_app_kwargs)


def lan_address() -> str:
    """This PC's address on the local network (no packet is sent), or 127.0.0.1."""
    import socket

    for probe in ("10.255.255.255", "192.168.255.255"):
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.connect((probe, 1))
                addr = s.getsockname()[0]
                if addr and not addr.startswith("127."):
                    return addr
        except OSError:
            continue
    return "127.0.0.1"


def public_base_url(host: str, port: int, scheme: str = "http") -> str:
    """The API base URL other PCs use: the LAN address when listening on every interface."""
    shown = lan_address() if host in ("0.0.0.0", "::", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"{scheme}://{shown}:{port}/api/v1"


def serve(host: str, port: int, *, on_ready: Callable[[str, Any], None] | None = None,
          public_url: str | None = None, **create_app_kwargs: Any) -> None:
    """Serve in the foreground until Ctrl+C (``kbnn-client sandbox``); prints the base URL
    and the trainer's page with its login. ``on_ready(base_url, sandbox)`` runs once the
    port is bound (e.g. to print the classroom's sheets with the real address)."""
    ssl_context = create_app_kwargs.pop("ssl_context", None)
    app = create_app(**create_app_kwargs)
    server = make_server(host, port, app, threaded=True, request_handler=_Handler,
                         ssl_context=ssl_context)
    scheme = "https" if ssl_context is not None else "http"
    base = public_url.rstrip("/") if public_url else public_base_url(host, server.server_port, scheme)
    sb = app.config["KBNN_SANDBOX"]
    print(f"Sandbox Kho bạc đang chạy: {base}", flush=True)
    print(f"Trang giảng viên: {base.rsplit('/api/v1', 1)[0]}/trainer — đăng nhập "
          f"{sb.trainer_user} / {sb.trainer_password}", flush=True)
    print(f"Chứng từ báo Nợ ký dưới CA riêng của sandbox: {base}/receipt-ca.pem", flush=True)
    print(f"Kịch bản: {sb.scenario.spec} (seed {sb.scenario.seed}); tự chuyển trạng thái sau "
          f"{sb.accept_after:g} giây / {sb.pay_after:g} giây.", flush=True)
    if on_ready is not None:
        on_ready(base, sb)
    print("Nhấn Ctrl+C để dừng.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        print("Đã dừng sandbox.", flush=True)
