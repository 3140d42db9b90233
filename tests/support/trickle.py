"""A real HTTP server on 127.0.0.1 that answers one byte at a time (a slow-loris server).

Every read a client makes returns within any per-read timeout, so only a
deadline on the whole exchange ends it. `headers=True` trickles the status line
and headers too (before that the client has no response object at all). Each
answer stops by itself after `limit` seconds, and the server stops when the
context manager exits; requests are counted.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BODY = b'{"status":"success","data":{"resultType":"scalar","result":[0,"1"]}}'


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        srv = self.server
        with srv.lock:
            srv.requests += 1
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(srv.body)}\r\n\r\n"
        ).encode()
        self.close_connection = True
        ends = threading.Event()
        timer = threading.Timer(srv.limit, ends.set)
        timer.start()
        try:
            if not srv.headers:
                self.wfile.write(head)
                self.wfile.flush()
            data = (head if srv.headers else b"") + srv.body
            for i in range(len(data)):
                if ends.is_set() or srv.stopping.wait(srv.interval):
                    return
                self.wfile.write(data[i : i + 1])
                self.wfile.flush()
        except OSError:
            return  # the client gave up: what the tests want
        finally:
            timer.cancel()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, body: bytes, interval: float, headers: bool, limit: float) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.body, self.interval, self.headers, self.limit = body, interval, headers, limit
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.requests = 0

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up is expected."""


class TrickleServer:
    """Serve `body` one byte per `interval` seconds (headers too when `headers`)."""

    def __init__(
        self,
        body: bytes = BODY,
        *,
        interval: float = 1.0,
        headers: bool = False,
        limit: float = 30.0,
    ) -> None:
        self._server = _Server(body, interval, headers, limit)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> int:
        """How many requests arrived."""
        return self._server.requests

    def __enter__(self) -> TrickleServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


__all__ = ["BODY", "TrickleServer"]
