"""Commands that run the platform: serve and demo."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ecodata.cli.app import Context, cli, pass_context
from ecodata.event_loop import loop_factory, settle_garbage_collector
from ecodata.sensorthings.mqtt_bridge import serve_mqtt
from ecodata.settings import Settings

if TYPE_CHECKING:
    from ecodata.ingest.hj212_receivers import ReceiverPool


@cli.command()
@click.option("--host", help="Listen address (default: the api.host setting, 127.0.0.1).")
@click.option("--port", type=int, help="HTTP port (default: the api.port setting, 8000).")
@click.option(
    "--hj212-port",
    type=int,
    help="Also run the HJ 212 gateway on this TCP port (default: the hj212.port setting; off).",
)
@pass_context
def serve(context: Context, host: str | None, port: int | None, hj212_port: int | None) -> None:
    """Run the HTTP API, the web UI and (optionally) the HJ 212 gateway, whose receiving
    processes this one starts, supervises and stops."""
    settings = context.settings
    api = settings.api.model_copy(
        update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    )
    hj212 = settings.hj212.model_copy(update={"port": hj212_port} if hj212_port else {})
    settings = settings.model_copy(update={"api": api, "hj212": hj212})
    run_server(settings)


def run_server(settings: Settings, *, ready_message: str = "") -> None:
    import uvicorn

    from ecodata.api.app import create_app
    from ecodata.store.stores import open_stores

    settings.secret()  # refuse to start without a secret outside demo mode
    stores = open_stores(settings)
    app = create_app(settings, stores)
    config = uvicorn.Config(
        app, host=settings.api.host, port=settings.api.port, log_level=settings.log_level.lower()
    )
    server = uvicorn.Server(config)

    async def main() -> None:
        tasks = [asyncio.create_task(server.serve())]
        for start in SERVICES:
            tasks.append(asyncio.create_task(start(settings, stores, server)))
        gateway = receivers = None
        if settings.hj212.port is not None:
            from ecodata.ingest.hj212_receivers import ReceiverPool
            from ecodata.ingest.tcp import Hj212Gateway

            if settings.hj212.processes:
                receivers = ReceiverPool(stores, settings.hj212.processes)
                receivers.start()
                tasks.append(asyncio.create_task(_supervise(receivers, server)))
                hj212_port = receivers.port
            else:
                gateway = Hj212Gateway(stores, settings.hj212)
                await gateway.start()
                hj212_port = gateway.port
            click.echo(
                f"HJ 212 gateway listening on {settings.hj212.host}:{hj212_port} "
                "(register devices with `ecodata device add`)"
            )
        settle_garbage_collector()
        url = f"http://{settings.api.host}:{settings.api.port}/"
        click.echo(f"ecodata is serving {url} (API at {url}api/v1, stop with Ctrl+C)")
        if ready_message:
            click.echo(ready_message)
        try:
            await asyncio.gather(*tasks)
        finally:
            if gateway is not None:
                await gateway.close()
            if receivers is not None:
                await asyncio.get_running_loop().run_in_executor(None, receivers.close)

    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(main())
    finally:
        stores.close()


async def _supervise(receivers: ReceiverPool, server: Any) -> None:
    """Replace receiving processes that died (a bug, the out-of-memory killer) while the HTTP
    server runs."""
    checked = time.monotonic()
    while not server.should_exit:
        await asyncio.sleep(0.2)
        if time.monotonic() - checked >= 2.0:
            checked = time.monotonic()
            await receivers.revive()


#: Further services started beside the HTTP server (the HJ 212 gateway registers itself here).
SERVICES: list = [serve_mqtt]  # type: ignore[type-arg]


@cli.command()
@click.option("--port", type=int, default=8000, show_default=True, help="HTTP port.")
@click.option(
    "--source",
    type=click.Path(file_okay=False, path_type=Path),
    default=lambda: os.environ.get("ECODATA_DEMO_SOURCE", "../shared/data"),
    show_default="../shared/data",
    help="Folder with the real data (air/, regions/, …).",
)
@click.option("--fresh/--keep", default=True, show_default=True,
              help="Start from an empty data directory.")  # fmt: skip
@click.option("--no-serve", is_flag=True, help="Load the demo data and stop.")
@pass_context
def demo(context: Context, port: int, source: Path, fresh: bool, no_serve: bool) -> None:
    """Load real data (national stations, Beijing 2013–2017) into a fresh data dir and serve."""
    from ecodata.demo import load_demo

    overrides = dict(context.overrides)
    if overrides.get("data_dir") is None and "ECODATA_DATA_DIR" not in os.environ:
        overrides["data_dir"] = Path("data/demo")  # never the default data directory
    overrides["demo"] = True
    if "ECODATA_WEB__REGIONS_DIR" not in os.environ:  # maps come from the data folder
        overrides["web"] = {"regions_dir": source / "regions"}
    context.overrides = overrides
    context._settings = None
    settings = context.settings
    settings = settings.model_copy(update={"api": settings.api.model_copy(update={"port": port})})
    started = time.monotonic()
    attribution = load_demo(settings, source, fresh=fresh, echo=click.echo)
    click.echo(f"demo data loaded in {time.monotonic() - started:.0f} s")
    if no_serve:
        return
    run_server(settings, ready_message=f"Data: {attribution}")
