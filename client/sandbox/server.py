"""Running the sandbox: in a background thread (tests, training) or in the foreground."""

from __future__ import annotations

import logging
import threading
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


def serve(host: str, port: int, **create_app_kwargs: Any) -> None:
    """Serve in the foreground until Ctrl+C (``kbnn-client sandbox``); prints the base URL."""
    ssl_context = create_app_kwargs.pop("ssl_context", None)
    app = create_app(**create_app_kwargs)
    server = make_server(host, port, app, threaded=True, request_handler=_Handler,
                         ssl_context=ssl_context)
    scheme = "https" if ssl_context is not None else "http"
    shown = f"[{host}]" if ":" in host else host
    print(f"Sandbox Kho bạc đang chạy: {scheme}://{shown}:{server.server_port}/api/v1", flush=True)
    print("Nhấn Ctrl+C để dừng.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        print("Đã dừng sandbox.", flush=True)
