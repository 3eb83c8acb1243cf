"""Receiving processes of the HJ 212 gateway: device connections handled outside the server process.

A Python process runs one thread of Python at a time. In one process, the gateway's event loop
(decoding, checking, answering) and the group commit's writer take turns, and at some ten thousand
packets a second each waits for the other. With ``hj212.processes`` ≥ 1 (the default is 1),
``ecodata serve`` creates the listening socket, starts that many receiving processes which share
it, and keeps the observation store to itself:

- a receiving process runs the whole gateway (:class:`~ecodata.ingest.tcp.Hj212Gateway`): its
  connections, the device registry, the quarantine and the device activity, which live in the
  registry database (SQLite in WAL mode, or PostgreSQL — several processes may use it);
- its group commits go to the server process over a pipe (:class:`RemoteObservations`); a thread
  of the server process per receiving process writes them to the observation store (DuckDB
  allows one process) and returns what the write did. A packet is answered only after that
  reply: acknowledged still means durable.

A receiving process stops when the server tells it to (after committing what it holds) and dies
with the server (Linux ``PR_SET_PDEATHSIG``; elsewhere it sees within a second that its parent is
gone, and a commit it sends meanwhile fails unanswered); ``ecodata serve`` starts a new one for
each that dies (:meth:`ReceiverPool.revive`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any, cast

import pyarrow as pa

from ecodata.event_loop import loop_factory, settle_garbage_collector
from ecodata.ingest.group_commit import Readings, readings_to_table
from ecodata.settings import Settings
from ecodata.store.observations import ObservationStore, WriteResult
from ecodata.store.provenance import Provenance
from ecodata.store.registry import Registry, create_engine
from ecodata.store.stores import Stores

log = logging.getLogger(__name__)

#: The observation-store methods a receiving process may call (what its group commit needs).
REMOTE_METHODS = frozenset({"write_readings", "stats"})
_START_TIMEOUT = 60.0  # seconds a receiving process may take to start
_STOP_TIMEOUT = 60.0  # seconds it may take to commit what it holds and stop


class ReceiverError(RuntimeError):
    """A receiving process could not start, or the server refused a call."""


class ReceiverPool:
    """The server side: the listening socket, the receiving processes, the store threads."""

    def __init__(self, stores: Stores, processes: int) -> None:
        self.stores = stores
        self.count = processes
        self.port = 0
        self._socket: socket.socket | None = None
        self._processes: list[multiprocessing.process.BaseProcess] = []
        self._threads: list[threading.Thread] = []

    def start(self, host: str | None = None, port: int | None = None) -> None:
        """Listen, start the receiving processes and return once each accepts connections.
        Call it from the thread that lives as long as the server (Linux ties a receiving
        process's death signal to the thread that started it)."""
        settings = self.stores.settings
        address = (host or settings.hj212.host, settings.hj212.port if port is None else port)
        self._socket = socket.create_server(address, backlog=4096)
        self.port = int(self._socket.getsockname()[1])
        try:
            for number in range(self.count):
                self._processes.append(self._ready(*self._launch(number)))
        except BaseException:
            self.close()
            raise

    def _launch(self, number: int) -> tuple[multiprocessing.process.BaseProcess, Connection]:
        context = multiprocessing.get_context("spawn")  # never fork a process with threads
        ours, theirs = context.Pipe()
        process = context.Process(
            target=receive,
            args=(self.stores.settings, self._socket, theirs),
            name=f"ecodata-hj212-{number}",
            daemon=True,
        )
        process.start()
        theirs.close()
        return process, ours

    def _ready(
        self, process: multiprocessing.process.BaseProcess, pipe: Connection
    ) -> multiprocessing.process.BaseProcess:
        """Wait until a launched process accepts connections; then serve its store calls."""
        if not pipe.poll(_START_TIMEOUT) or pipe.recv() != "ready":
            process.kill()
            raise ReceiverError(f"HJ 212 receiving process {process.name} did not start")
        thread = threading.Thread(
            target=serve_store_calls,
            args=(self.stores.observations, pipe),
            name=f"{process.name}-store",
            daemon=True,
        )
        thread.start()
        self._threads = [*(t for t in self._threads if t.is_alive()), thread]
        return process

    async def revive(self) -> int:
        """Start a new receiving process for each that died (the server calls this every few
        seconds); the number started. Devices reconnect and resend what was not answered."""
        started = 0
        for number, process in enumerate(self._processes):
            if process.is_alive() or self._socket is None:
                continue
            log.error(
                "HJ 212 receiving process %s ended (exit code %s); starting a new one",
                process.name,
                process.exitcode,
            )
            launched = self._launch(number)  # from this thread: see start()
            loop = asyncio.get_running_loop()
            self._processes[number] = await loop.run_in_executor(None, self._ready, *launched)
            started += 1
        return started

    def close(self) -> None:
        """Stop the receiving processes (each commits what it holds first), then the threads."""
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        for process in self._processes:
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        for process in self._processes:
            process.join(_STOP_TIMEOUT)
            if process.is_alive():
                log.warning("HJ 212 receiving process %s did not stop; killing it", process.name)
                process.kill()
                process.join()
        for thread in self._threads:
            thread.join(_STOP_TIMEOUT)
        self._processes.clear()
        self._threads.clear()

    def alive(self) -> int:
        return sum(process.is_alive() for process in self._processes)


def serve_store_calls(observations: ObservationStore, pipe: Connection) -> None:
    """Answer one receiving process's calls of the observation store until it closes the pipe."""
    with pipe:
        while True:
            try:
                method, args = pipe.recv()
            except (EOFError, OSError):
                return
            try:
                reply: tuple[str, Any] = ("ok", _serve_call(observations, method, args))
            except Exception as exc:
                log.exception("an HJ 212 receiving process's %s failed", method)
                reply = ("error", f"{type(exc).__name__}: {exc}")
            try:
                pipe.send(reply)
            except (BrokenPipeError, OSError):
                return


def _serve_call(observations: ObservationStore, method: str, args: tuple[Any, ...]) -> Any:
    if method not in REMOTE_METHODS:
        raise ReceiverError(f"the observation store does not serve {method!r}")
    if method == "write_readings":  # the table is built here, off the receiving process
        return observations.write(readings_to_table(*args))
    return getattr(observations, method)(*args)


class RemoteObservations:
    """The observation store of a receiving process: its calls go to the server process."""

    backend = "remote"
    key_ordered_writes = False
    concurrent_writes = 1

    def __init__(self, pipe: Connection) -> None:
        self._pipe = pipe
        self._lock = threading.Lock()  # the writer and the statistics thread share the pipe

    def _call(self, method: str, *args: Any) -> Any:
        with self._lock:
            try:
                self._pipe.send((method, args))
                outcome, value = self._pipe.recv()
            except (EOFError, OSError) as exc:
                raise ReceiverError("the server process is gone; nothing was stored") from exc
        if outcome != "ok":
            raise ReceiverError(f"the server could not store the readings: {value}")
        return value

    def write_readings(self, readings: list[Readings]) -> WriteResult:
        result: WriteResult = self._call("write_readings", readings)
        return result

    def stats(self, series_ids: Sequence[int] | None = None) -> pa.Table:
        table: pa.Table = self._call("stats", series_ids)
        return table

    def close(self) -> None:
        self._pipe.close()


def receive(settings: Settings, listening: socket.socket, pipe: Connection) -> None:
    """The body of a receiving process: run the gateway on the shared socket until told to stop."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the server, which stops us
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(processName)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    engine = create_engine(
        settings.database_url.get_secret_value() if settings.database_url else None,
        settings.data_dir,
    )
    remote = RemoteObservations(pipe)
    stores = Stores(settings, Registry(engine), Provenance(engine), cast(ObservationStore, remote))
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(_run_gateway(stores, listening, pipe))
    finally:
        stores.close()


async def _run_gateway(stores: Stores, listening: socket.socket, pipe: Connection) -> None:
    from ecodata.ingest.tcp import Hj212Gateway

    gateway = Hj212Gateway(stores, stores.settings.hj212)
    await gateway.start(sock=listening)  # the event loop's server owns it now
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    parent = os.getppid()
    pipe.send("ready")
    settle_garbage_collector()
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
            if os.getppid() != parent:  # the server died (where death signals do not exist)
                break
    finally:
        await gateway.close()


def _die_with_parent() -> None:
    """Ask Linux to kill this process when the server process dies (``PR_SET_PDEATHSIG``)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
