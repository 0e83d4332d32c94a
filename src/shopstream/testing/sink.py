"""A webhook receiver on loopback, for tests and benchmarks: it checks every signature,
dedupes by ``Idempotency-Key`` as a well-behaved receiver must, and counts raw arrivals.

Examples:
    >>> with WebhookSink(secret="whsec") as sink:  # doctest: +SKIP
    ...     ...  # point a channel at sink.url
    ...     sink.accepted  # key -> how many times it was accepted (1 each, or a bug)
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson

from shopstream.deliver import verify


class _Server(ThreadingHTTPServer):
    # The default backlog (5) resets connections when a deliverer opens a hundred at once.
    request_queue_size = 1024


@dataclass
class Arrival:
    key: str
    body: dict[str, Any]
    at: float  # time.time() on arrival
    status: int


@dataclass
class WebhookSink:
    """``respond(key, attempt)`` picks the status to answer the ``attempt``-th arrival (1-based)
    of a key not yet accepted (200 by default); a key already accepted gets 200 again and is not
    accepted twice. A bad or missing signature gets 401."""

    secret: str
    respond: Callable[[str, int], int] = lambda key, attempt: 200
    delay: float = 0.0
    arrivals: list[Arrival] = field(default_factory=list)
    accepted: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)
    bad_signatures: int = 0
    truncated: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def start(self) -> WebhookSink:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in two writes: without TCP_NODELAY, Nagle's algorithm
            # and the client's delayed ACK hold the body back some 40 ms.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                if len(raw) < length:  # the sender died mid-request: nothing arrived
                    with sink._lock:
                        sink.truncated += 1
                    self.close_connection = True
                    return
                status = sink._receive(dict(self.headers.items()), raw)
                try:
                    self.send_response(status)
                    self.send_header("content-length", "2")
                    self.send_header("content-type", "application/json")
                    self.end_headers()
                    self.wfile.write(b"{}")
                except OSError:  # the sender died waiting for the answer
                    self.close_connection = True

            def log_message(self, *_: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def _receive(self, headers: dict[str, str], raw: bytes) -> int:
        at = time.time()
        if self.delay:
            time.sleep(self.delay)
        if not verify(self.secret, headers, raw, now=at):
            with self._lock:
                self.bad_signatures += 1
            return 401
        key = {k.lower(): v for k, v in headers.items()}.get("idempotency-key", "")
        body = orjson.loads(raw)
        with self._lock:
            self.attempts[key] += 1
            if self.accepted[key]:
                status = 200  # seen: answer as before, do nothing again
            else:
                status = self.respond(key, self.attempts[key])
                if 200 <= status < 300:
                    self.accepted[key] += 1
            self.arrivals.append(Arrival(key, body, at, status))
        with self._arrived:
            self._arrived.notify_all()
        return status

    def wait_for(self, keys: int, timeout: float) -> bool:
        """Wait until ``keys`` distinct keys were accepted."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.accepted) < keys:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._arrived.wait(left)
        return True

    def first_accepted_at(self) -> dict[str, float]:
        with self._lock:
            found: dict[str, float] = {}
            for a in self.arrivals:
                if 200 <= a.status < 300 and a.key not in found:
                    found[a.key] = a.at
            return found

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> WebhookSink:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
