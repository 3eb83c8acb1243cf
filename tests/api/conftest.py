"""A real HTTP server on 127.0.0.1 for API tests (uvicorn in a thread, real sockets)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from ecodata.api.app import create_app
from ecodata.ingest.importing import run_import
from ecodata.ingest.kinds import KINDS
from ecodata.store.stores import Stores


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, stores: Stores) -> None:
        self.stores = stores
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        app = create_app(stores.settings, stores)
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)


def load(stores: Stores, kind: str, *paths: Path, **options: object) -> None:
    run_import(stores, kind, KINDS[kind].importer, paths, options=dict(options))


@pytest.fixture
def beijing_server(stores: Stores, shared_data: Path) -> Iterator[LiveServer]:
    """A live server over one Beijing station (Dongsi) on each backend."""
    load(stores, "beijing-multisite",
         shared_data / "air" / "beijing_multisite" / "PRSA_Data_Dongsi_20130301-20170228.csv")  # fmt: skip
    with LiveServer(stores) as server:
        yield server
