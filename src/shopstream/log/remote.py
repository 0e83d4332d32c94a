"""Collection in processes of its own: the API hands request bodies to collector processes.

Parsing and validating events is most of what a collector spends; in the process that also
applies events to the live state and answers reads, it competes with them for one core. A
collector process (``python -m shopstream.storage.sqlite.collector_process``) runs
:func:`~shopstream.log.requests.collect_body` on the bodies the API sends it over a socket
pair and answers once the events are durably appended, so ingestion takes a core of its own.

Frames, both ways: two big-endian 32-bit lengths (header, body), a JSON header, the body.
A request's header names its ``id``, ``kind``, ``source`` and ``receivedAt``; its body is the
request body as received (gunzipped). An answer's header carries the same ``id`` and either
the appended ``offsets`` (as ``[first, last]`` runs) with the ``rejections``, or ``refused``
(the whole request: :class:`~shopstream.log.errors.RequestRefused`), or ``unavailable`` (the
log could not append: the client retries), or ``failed`` (a bug, logged in the collector).

A collector process exits when its socket closes, after answering what it had read: when the
API process stops, or is killed, its collectors follow.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
import struct
import subprocess
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import orjson

from shopstream.core import Offset
from shopstream.log.collector import Collector, CollectResult
from shopstream.log.errors import LogUnavailable, RequestRefused
from shopstream.log.records import Rejection
from shopstream.log.requests import collect_body, decode_body

logger = logging.getLogger(__name__)

_LENGTHS = struct.Struct(">II")
_RESPAWN_SECONDS = 1.0
_ANSWER_SECONDS = 30.0
_READY_SECONDS = 60.0


async def read_frame(reader: asyncio.StreamReader) -> tuple[dict[str, Any], bytes]:
    """The next frame; :class:`asyncio.IncompleteReadError` once the other side is gone."""
    head_size, body_size = _LENGTHS.unpack(await reader.readexactly(_LENGTHS.size))
    header = orjson.loads(await reader.readexactly(head_size))
    body = await reader.readexactly(body_size) if body_size else b""
    return header, body


def frame(header: dict[str, Any], body: bytes = b"") -> bytes:
    encoded = orjson.dumps(header)
    return _LENGTHS.pack(len(encoded), len(body)) + encoded + body


def _runs(offsets: Sequence[Offset]) -> list[list[int]]:
    """Offsets as ``[first, last]`` runs of consecutive values (a batch is mostly one run)."""
    runs: list[list[int]] = []
    for offset in offsets:
        if runs and offset == runs[-1][1] + 1:
            runs[-1][1] = offset
        else:
            runs.append([offset, offset])
    return runs


def _offsets(runs: list[list[int]]) -> list[Offset]:
    return [Offset(o) for first, last in runs for o in range(first, last + 1)]


# -- the collector process's side -----------------------------------------------------------


async def serve_collector(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, collector: Collector
) -> None:
    """Say it is ready, answer requests until the socket closes, then finish those already
    read."""
    sending = asyncio.Lock()
    tasks: set[asyncio.Task[None]] = set()
    writer.write(frame({"id": 0, "ready": True}))
    await writer.drain()

    async def answer(header: dict[str, Any], body: bytes) -> None:
        reply = await _collect(collector, header, body)
        async with sending:
            writer.write(frame(reply))
            with contextlib.suppress(ConnectionError):
                await writer.drain()

    while True:
        try:
            header, body = await read_frame(reader)
        except (asyncio.IncompleteReadError, ConnectionError):
            break
        task = asyncio.create_task(answer(header, body))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
    writer.close()


async def _collect(collector: Collector, header: dict[str, Any], body: bytes) -> dict[str, Any]:
    reply: dict[str, Any] = {"id": header["id"]}
    try:
        result = await collect_body(
            collector, decode_body(body), kind=header["kind"], source=header["source"],
            received_at=datetime.fromisoformat(header["receivedAt"]),
        )  # fmt: skip
    except RequestRefused as exc:
        reply["refused"] = {"code": exc.code, "message": exc.message, "field": exc.field}
    except LogUnavailable as exc:
        reply["unavailable"] = exc.message
    except Exception as exc:
        logger.exception("collecting a %s request failed", header.get("kind"))
        reply["failed"] = f"{type(exc).__name__}: {exc}"
    else:
        reply["offsets"] = _runs(result.offsets)
        reply["rejections"] = [[r.index, r.field, r.reason] for r in result.rejections]
    return reply


# -- the API process's side -----------------------------------------------------------------


class RemoteCollector:
    """One collector process, started on demand and started again if it dies.

    Args:
        command: how to start it; ``--fd N`` (its end of the socket pair) is appended.
        on_append: told the highest offset each answer appended, so readers of the log in
            this process (the live state's consumer) wake at once.
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        on_append: Callable[[Offset], Awaitable[None]] | None = None,
        name: str = "collector",
    ) -> None:
        self._command = list(command)
        self._on_append = on_append
        self.name = name
        self._process: subprocess.Popen[bytes] | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reading: asyncio.Task[None] | None = None
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._started_at = 0.0
        self._sending = asyncio.Lock()
        self._closed = False

    @property
    def pid(self) -> int | None:
        """The running process's id."""
        return self._process.pid if self._process is not None else None

    @property
    def in_flight(self) -> int:
        """Requests sent and not answered yet."""
        return len(self._pending)

    async def start(self) -> None:
        """Start the process now and wait until it is ready (it would start at the first
        request otherwise)."""
        await self._connected()

    async def collect_body(
        self, body: bytes, *, kind: str, source: str, received_at: datetime
    ) -> CollectResult:
        """What :func:`shopstream.log.requests.collect_body` would answer for ``body``."""
        writer = await self._connected()
        request_id = next(self._ids)
        answer: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = answer
        header = {"id": request_id, "kind": kind, "source": source,
                  "receivedAt": received_at.isoformat()}  # fmt: skip
        try:
            async with self._sending:
                writer.write(frame(header, body))
                await writer.drain()
            reply = await asyncio.wait_for(answer, _ANSWER_SECONDS)
        except (ConnectionError, TimeoutError) as exc:
            msg = f"the {self.name} process did not answer: {exc or type(exc).__name__}"
            raise LogUnavailable(msg) from None
        finally:
            self._pending.pop(request_id, None)
        return await self._result(reply)

    async def _result(self, reply: dict[str, Any]) -> CollectResult:
        if "refused" in reply:
            refused = reply["refused"]
            raise RequestRefused(refused["code"], refused["message"], field=refused["field"])
        if "unavailable" in reply:
            raise LogUnavailable(reply["unavailable"])
        if "failed" in reply:
            msg = f"the {self.name} process failed: {reply['failed']}"
            raise RuntimeError(msg)
        offsets = _offsets(reply["offsets"])
        if offsets and self._on_append is not None:
            await self._on_append(max(offsets))
        rejections = [
            Rejection(index, field, reason) for index, field, reason in reply["rejections"]
        ]
        return CollectResult(offsets, rejections)

    async def ping(self) -> None:
        """Raise :class:`LogUnavailable` if the process is down and cannot be started."""
        await self._connected()

    async def _connected(self) -> asyncio.StreamWriter:
        if self._closed:
            msg = f"the {self.name} is closed"
            raise LogUnavailable(msg)
        if self._writer is not None and self._process is not None and self._process.poll() is None:
            return self._writer
        async with self._sending:  # one start at a time
            if self._writer is None or self._process is None or self._process.poll() is not None:
                await self._spawn()
        assert self._writer is not None
        return self._writer

    async def _spawn(self) -> None:
        await self._forget()
        wait = self._started_at + _RESPAWN_SECONDS - time.monotonic()
        if wait > 0:
            msg = f"the {self.name} process is restarting"
            raise LogUnavailable(msg)
        self._started_at = time.monotonic()
        ours, theirs = socket.socketpair()
        try:
            self._process = subprocess.Popen(
                [*self._command, "--fd", str(theirs.fileno())], pass_fds=(theirs.fileno(),)
            )
        except OSError as exc:
            ours.close()
            msg = f"the {self.name} process could not start: {exc}"
            raise LogUnavailable(msg) from None
        finally:
            theirs.close()
        reader, writer = await asyncio.open_unix_connection(sock=ours)
        try:
            hello, _ = await asyncio.wait_for(read_frame(reader), _READY_SECONDS)
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError):
            writer.close()
            msg = f"the {self.name} process did not become ready"
            raise LogUnavailable(msg) from None
        assert hello == {"id": 0, "ready": True}, hello
        self._writer = writer
        self._reading = asyncio.create_task(self._read(reader), name=f"{self.name}-answers")
        logger.info("%s process %d ready", self.name, self._process.pid)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                header, _ = await read_frame(reader)
                waiting = self._pending.get(header["id"])
                if waiting is not None and not waiting.done():
                    waiting.set_result(header)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        gone = ConnectionError(f"the {self.name} process exited")
        for waiting in self._pending.values():
            if not waiting.done():
                waiting.set_exception(gone)

    async def _forget(self) -> None:
        """Drop the connection and the process (reaped) of a previous start."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._reading is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._reading
            self._reading = None
        if self._process is not None:
            process, self._process = self._process, None
            code = await asyncio.to_thread(_reap, process)
            if code not in (0, None):
                logger.warning("%s process %d exited with %s", self.name, process.pid, code)

    async def close(self) -> None:
        """Close the socket; the process answers what it has read, then exits."""
        self._closed = True
        await self._forget()


def least_busy(collectors: Sequence[RemoteCollector]) -> RemoteCollector:
    """The collector process with the fewest requests in hand (the first of equals): one that
    is slow, or stalled, is handed nothing more while another has less to do."""
    return min(collectors, key=lambda collector: collector.in_flight)


def _reap(process: subprocess.Popen[bytes], grace: float = 10.0) -> int | None:
    try:
        return process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()
