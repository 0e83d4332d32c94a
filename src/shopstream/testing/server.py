"""A real ``shopstream serve`` process on loopback, for tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    """Runs ``python -m shopstream serve`` with known keys; can be killed and restarted.

    ``demo`` serves the demo storefront; ``associates_file`` is the YAML of the associates
    who may sign in to the associate app.

    Examples:
        >>> with ServerProcess(tmp_path) as server:  # doctest: +SKIP
        ...     httpx.get(server.url + "/healthz")
    """

    data_dir: Path
    port: int = field(default_factory=free_port)
    write_key: str = "wk_test"
    server_key: str = "sk_test"
    admin_key: str = "ak_test"
    source: str = "test"
    demo: bool = False
    associates_file: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SHOPSTREAM_WRITE_KEYS": f"{self.source}:{self.write_key}",
            "SHOPSTREAM_SERVER_KEYS": self.server_key,
            "SHOPSTREAM_ADMIN_KEYS": self.admin_key,
            "SHOPSTREAM_DEMO": "true" if self.demo else "false",
            **(
                {"SHOPSTREAM_ASSOCIATES_FILE": str(self.associates_file)}
                if self.associates_file
                else {}
            ),
            **self.extra_env,
        }

    def command(self) -> list[str]:
        """The command line that runs the server (benchmarks run a launcher instead)."""
        return [
            sys.executable, "-m", "shopstream", "serve",
            "--port", str(self.port), "--data-dir", str(self.data_dir), *self.extra_args,
        ]  # fmt: skip

    def start(self, timeout: float = 30.0) -> None:
        # The child keeps its own copy of the descriptor; ours is closed at once.
        with (self.data_dir.parent / f"server-{self.port}.log").open("ab") as log:
            self.process = subprocess.Popen(self.command(), env=self.env(), stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                msg = f"shopstream serve exited with {self.process.returncode}; see {log.name}"
                raise RuntimeError(msg)
            try:
                if httpx.get(self.url + "/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        msg = f"shopstream serve did not become ready in {timeout} s"
        raise TimeoutError(msg)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    def server_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.server_key}"}

    def __enter__(self) -> ServerProcess:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
