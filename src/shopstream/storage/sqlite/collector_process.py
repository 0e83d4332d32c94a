"""A collector process on the embedded log (see :mod:`shopstream.log.remote`).

    python -m shopstream.storage.sqlite.collector_process --db events.db --fd 5

It appends to the same SQLite file as the API process: every append takes SQLite's write
lock (``BEGIN IMMEDIATE``), so the processes' appends interleave whole, each batch's offsets
consecutive, and ``(source, messageId)`` stays unique across them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import socket
import sys
from pathlib import Path

from shopstream.log import Collector
from shopstream.log.remote import serve_collector
from shopstream.storage.sqlite.log import FsyncPolicy, SQLiteEventLog


def command(
    path: Path, *, fsync: FsyncPolicy, max_event_bytes: int, phone_region: str
) -> list[str]:
    """How the API process starts a collector process on the log at ``path``."""
    return [
        sys.executable, "-m", __name__, "--db", str(path), "--fsync", fsync,
        "--max-event-bytes", str(max_event_bytes), "--phone-region", phone_region,
    ]  # fmt: skip


async def _serve(args: argparse.Namespace) -> None:
    log = SQLiteEventLog(args.db, fsync=args.fsync)
    collector = Collector(log, max_event_bytes=args.max_event_bytes, phone_region=args.phone_region)
    reader, writer = await asyncio.open_unix_connection(sock=socket.socket(fileno=args.fd))
    try:
        await serve_collector(reader, writer, collector)
    finally:
        await log.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--fd", type=int, required=True, help="this end of the socket pair")
    parser.add_argument("--fsync", choices=["full", "normal"], default="full")
    parser.add_argument("--max-event-bytes", type=int, default=32 * 1024)
    parser.add_argument("--phone-region", default="US")
    args = parser.parse_args(argv)
    # Ctrl-C reaches the whole process group: the API process stops first, and this process
    # follows when its socket closes, after answering what it had read.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s collector %(message)s")
    # Parsing allocates many short-lived objects and keeps none: young collections rarely.
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
