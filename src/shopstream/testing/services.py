"""Real Redis and PostgreSQL for tests: unique namespaces, throwaway servers, a cuttable link.

- :func:`scaleout_namespace` gives a unique Redis key prefix and PostgreSQL schema and removes
  both afterwards, so parallel runs on the shared servers never collide; :func:`scaled_out`
  points a :class:`ServerProcess` at them.
- :class:`RedisServer` runs a private ``redis-server`` (AOF, ``appendfsync always``) on a free
  port, to kill and restart without touching the shared one; :class:`PrivateRedisCluster` runs
  a Redis Cluster of them.
- :class:`TcpProxy` forwards a local port to a server and can cut every connection and refuse
  new ones, to take PostgreSQL (or Redis) away and bring it back.

URLs come from ``SHOPSTREAM_TEST_REDIS_URL`` and ``SHOPSTREAM_TEST_POSTGRES_URL`` with
loopback defaults; an unreachable server fails the tests that need it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from shopstream.testing.server import ServerProcess, free_port

REDIS_URL = os.environ.get("SHOPSTREAM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_URL = os.environ.get("SHOPSTREAM_TEST_POSTGRES_URL", "postgresql://127.0.0.1/test")


@dataclass(frozen=True)
class Namespace:
    prefix: str
    schema: str


def drop_namespace(ns: Namespace, redis_url: str = REDIS_URL, pg_url: str = POSTGRES_URL) -> None:
    import psycopg
    import redis

    from shopstream.storage.redis import namespace_pattern

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=namespace_pattern(ns.prefix), count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {ns.schema} CASCADE")


@contextlib.contextmanager
def scaleout_namespace(
    redis_url: str = REDIS_URL, pg_url: str = POSTGRES_URL
) -> Iterator[Namespace]:
    """A fresh key prefix and schema, removed afterwards."""
    tag = uuid.uuid4().hex[:12]
    ns = Namespace(prefix=f"shopstream-test:{tag}", schema=f"shopstream_test_{tag}")
    try:
        yield ns
    finally:
        drop_namespace(ns, redis_url, pg_url)


def scaled_out(process: ServerProcess, ns: Namespace, *, partitions: int = 4) -> ServerProcess:
    """``process`` set to serve on the test Redis and PostgreSQL under ``ns``."""
    process.extra_args += ["--redis", REDIS_URL, "--postgres", POSTGRES_URL]
    process.extra_env.update(
        SHOPSTREAM_REDIS_PREFIX=ns.prefix,
        SHOPSTREAM_POSTGRES_SCHEMA=ns.schema,
        SHOPSTREAM_PARTITIONS=str(partitions),
    )
    return process


@dataclass
class RedisServer:
    """A private ``redis-server`` that fsyncs its AOF before every reply; ``extra_args`` go on
    its command line (e.g. ``["--replicaof", "127.0.0.1", "6400"]``)."""

    directory: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    extra_args: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.directory),
             "--logfile", str(self.directory / "redis.log"), *self.extra_args],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2) as s,
            ):
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        msg = f"redis-server did not answer on port {self.port}"
        raise TimeoutError(msg)

    def kill(self) -> None:
        """SIGKILL: Redis gets no chance to flush anything it has not already fsynced."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.kill()


class PrivateRedisCluster:
    """A Redis Cluster of ``masters`` private ``redis-server`` primaries, each with
    ``replicas`` replicas, on free ports, its slots spread by ``redis-cli --cluster create``;
    :attr:`url` names one node."""

    def __init__(self, directory: Path, masters: int = 3, replicas: int = 0) -> None:
        self.replicas = replicas
        count = masters * (1 + replicas)
        self.nodes = [self._node(directory / f"node{i}") for i in range(count)]

    @staticmethod
    def _node(directory: Path) -> RedisServer:
        # The bus port is given: by default it is the port + 10000, too high for a free port.
        config = ["--cluster-enabled", "yes", "--cluster-node-timeout", "2000",
                  "--cluster-port", str(free_port()), "--repl-diskless-sync-delay", "0",
                  "--cluster-config-file", str(directory / "nodes.conf")]  # fmt: skip
        return RedisServer(directory, extra_args=config)

    @property
    def url(self) -> str:
        return self.nodes[0].url

    def start(self, timeout: float = 30.0) -> None:
        for node in self.nodes:
            node.start()
        cli = shutil.which("redis-cli") or "/usr/bin/redis-cli"
        subprocess.run(
            [cli, "--cluster", "create", *(f"127.0.0.1:{n.port}" for n in self.nodes),
             "--cluster-replicas", str(self.replicas), "--cluster-yes"],
            check=True, capture_output=True, timeout=timeout,
        )  # fmt: skip
        import redis

        deadline = time.monotonic() + timeout
        for node in self.nodes:
            client = redis.Redis(port=node.port)
            try:
                while client.cluster("info").get("cluster_state") != "ok":
                    if time.monotonic() > deadline:
                        msg = f"the cluster on port {node.port} is not ok"
                        raise TimeoutError(msg)
                    time.sleep(0.1)
            finally:
                client.close()

    def kill(self) -> None:
        for node in self.nodes:
            node.kill()

    def __enter__(self) -> PrivateRedisCluster:
        try:
            self.start()
        except BaseException:
            self.kill()
            raise
        return self

    def __exit__(self, *_: object) -> None:
        self.kill()


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to ``target``; :meth:`cut` drops every connection and
    resets new ones until :meth:`restore`."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self.port = free_port()
        self._open = threading.Event()
        self._open.set()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._closed = False
        self._thread: threading.Thread | None = None

    def url_for(self, url: str) -> str:
        """``url`` with its host and port replaced by the proxy's."""
        parts = urlsplit(url)
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        self._thread = threading.Thread(target=self._accept_forever, args=(listener,), daemon=True)
        self._thread.start()

    def _accept_forever(self, listener: socket.socket) -> None:
        while not self._closed:
            try:
                client, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            if not self._open.is_set():  # cut: reset at once, as a dead server's host would
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        source.settimeout(None)
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for s in (source, sink):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Close every connection and reset new ones until :meth:`restore`."""
        self._open.clear()
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def restore(self) -> None:
        self._open.set()

    def close(self) -> None:
        self.cut()
        self._closed = True
        if self._thread is not None:
            self._thread.join()
        if self._listener is not None:
            self._listener.close()

    def __enter__(self) -> TcpProxy:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
