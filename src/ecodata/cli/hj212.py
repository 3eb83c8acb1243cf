"""Commands for HJ 212: the device registry (``ecodata device …``) and operator tools
(``ecodata hj212 decode|simulate``)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ecodata.cli.app import Context, cli, emit_json, pass_context
from ecodata.store.devices import CRC_DIALECTS, Devices


@cli.group()
def device() -> None:
    """HJ 212 data loggers (数采仪) allowed to send data to the gateway."""


@device.command("add")
@click.argument("mn")
@click.option("--password", prompt=True, hide_input=True, help="The device's PW (HJ 212 password).")
@click.option("--site", help="Site code the data belong to (default: a new outlet site named MN).")
@click.option("--crc", type=click.Choice(CRC_DIALECTS), default="standard", show_default=True,
              help="CRC dialect the device uses (others are refused for it).")  # fmt: skip
@click.option("--sm4-key", help="HJ 212-2025 SM4 key (32 hex digits) if the CP area is encrypted.")
@click.option("--st", help="Expected system code ST (e.g. 31 flue gas, 32 wastewater).")
@pass_context
def device_add(
    context: Context,
    mn: str,
    password: str,
    site: str | None,
    crc: str,
    sm4_key: str | None,
    st: str | None,
) -> None:
    """Register a device by its MN."""
    engine = context.registry_engine()
    if site is not None:
        from ecodata.store.registry import Registry

        Registry(engine).site(site)  # must exist: import or create the site first
    info = Devices(engine).add(mn, password, site_code=site, crc_dialect=crc, sm4_key=sm4_key,
                               st=st)  # fmt: skip
    click.echo(
        f"device {info.mn} registered (site {info.site_code or info.mn}, CRC {info.crc_dialect}"
        f"{', SM4' if info.sm4_key else ''})"
    )


@device.command("list")
@click.option("--status", type=click.Choice(["active", "pending"]), help="Only this status.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_context
def device_list(context: Context, status: str | None, as_json: bool) -> None:
    """Devices with their status, last contact and packet counters."""
    settings = context.settings
    rows = Devices(context.registry_engine(), settings.tz).rows(status=status)
    for row in rows:
        row["online"] = _online(row, settings.hj212.online_window)
    if as_json:
        emit_json(rows)
        return
    table = Table("MN", "site", "status", "online", "last seen", "peer", "CRC", "packets today",
                  "rejected today", "total")  # fmt: skip
    for r in rows:
        seen = r["last_seen"].astimezone(settings.tz).strftime("%Y-%m-%d %H:%M:%S") if r[
            "last_seen"] else ""  # fmt: skip
        table.add_row(
            r["mn"], r["site_code"] or r["mn"], r["status"], "yes" if r["online"] else "no", seen,
            r["last_peer"], r["crc_dialect"], str(r["packets_day"]), str(r["rejected_day"]),
            str(r["packets_total"]),
        )  # fmt: skip
    Console().print(table)


def _online(row: dict[str, object], window: float) -> bool:
    from datetime import UTC, datetime

    seen = row.get("last_seen")
    return isinstance(seen, datetime) and (datetime.now(UTC) - seen).total_seconds() <= window


@device.command("remove")
@click.argument("mn")
@pass_context
def device_remove(context: Context, mn: str) -> None:
    """Remove a device (its data stay)."""
    Devices(context.registry_engine()).remove(mn)
    click.echo(f"device {mn} removed")


@device.command("approve")
@click.argument("mn")
@click.option("--site", help="Site code for the device's data.")
@pass_context
def device_approve(context: Context, mn: str, site: str | None) -> None:
    """Approve a pending device (registered by the gateway when unknown devices are accepted)."""
    info = Devices(context.registry_engine()).approve(mn, site_code=site)
    click.echo(f"device {info.mn} is active")


@cli.group()
def hj212() -> None:
    """HJ 212 tools for operators and device vendors."""


@hj212.command("decode")
@click.argument("source", default="-", type=click.Path(allow_dash=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per packet (JSON lines).")
@click.option("--crc", "dialects", multiple=True, type=click.Choice(CRC_DIALECTS),
              help="Accept only these CRC dialects (default: all, and name each).")  # fmt: skip
@click.option("--sm4-key", help="SM4 key (32 hex digits) for HJ 212-2025 encrypted packets.")
def hj212_decode(
    source: str, as_json: bool, dialects: tuple[str, ...], sm4_key: str | None
) -> None:
    """Decode packets from FILE (or standard input): one per line, or a raw captured stream."""
    from ecodata.protocols.hj212_decode import decode_lines
    from ecodata.protocols.hj212_packet import ALL_DIALECTS
    from ecodata.store.devices import check_sm4_key

    data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
    key = check_sm4_key(sm4_key)
    results = decode_lines(
        data,
        crc_dialects=dialects or ALL_DIALECTS,
        sm4_key=bytes.fromhex(key) if key else None,
        source=source,
    )
    failures = 0
    for item in results:
        failures += not item.get("ok")
        if as_json:
            click.echo(json.dumps(item, ensure_ascii=False, default=str))
        elif item.get("ok"):
            values = ", ".join(f"{v['code']}-{v['field']}={v['value']}" for v in item["values"])
            click.echo(f"ok   {item['version']} {item['crc_dialect']:<14} CN={item['cn']} "
                       f"MN={item['mn']} {values}")  # fmt: skip
        else:
            click.echo(f"FAIL {item.get('error')}")
    if failures:
        sys.exit(1)


@hj212.command("simulate")
@click.option("--target", required=True, help="HOST:PORT of the HJ 212 receiver.")
@click.option("--devices", "count", type=int, default=10, show_default=True)
@click.option("--rate", type=float, default=1.0, show_default=True, help="Packets/s per device.")
@click.option("--duration", type=float, default=10.0, show_default=True, help="Seconds.")
@click.option("--version", type=click.Choice(["2005", "2017", "2025"]), default="2017",
              show_default=True)  # fmt: skip
@click.option("--cn", type=click.Choice(["2011", "2051", "2061", "2031"]), default="2011",
              show_default=True, help="Data command (real-time, minute, hour, day).")  # fmt: skip
@click.option("--prefix", default="SIMU", show_default=True, help="MN prefix of the devices.")
@click.option("--password", default="123456", show_default=True, help="PW of the devices.")
@click.option("--register", is_flag=True,
              help="First register the devices in this installation's registry.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_context
def hj212_simulate(
    context: Context,
    target: str,
    count: int,
    rate: float,
    duration: float,
    version: str,
    cn: str,
    prefix: str,
    password: str,
    register: bool,
    as_json: bool,
) -> None:
    """Run simulated CEMS and wastewater data loggers against a receiver and report
    sent / acknowledged / failed packets and acknowledgement latency."""
    from ecodata.event_loop import loop_factory
    from ecodata.ingest.hj212_load import devices_for, run_load

    host, _, port_text = target.rpartition(":")
    if not host or not port_text.isdigit():
        raise click.BadParameter("use HOST:PORT", param_hint="--target")
    specs = devices_for(count, prefix=prefix, password=password)
    if register:
        registry = Devices(context.registry_engine())
        known = registry.infos([d.mn for d in specs])
        for spec in specs:
            if spec.mn not in known:
                registry.add(spec.mn, spec.password, st="31" if spec.kind == "cems" else "32")

    def progress(sent: int, acked: int) -> None:
        if not as_json and sys.stderr.isatty():
            click.echo(f"\r{f'sent {sent}  acknowledged {acked}':<40}", nl=False, err=True)

    def preparing(note: str) -> None:  # called only when building the packets takes a while
        if not as_json:
            click.echo(f"\r{f'preparing {note}':<40}", nl=False, err=True)

    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        report = runner.run(
            run_load(host, int(port_text), specs, rate=rate, duration=duration, version=version,
                     cn=cn, progress=progress, preparing=preparing)
        )  # fmt: skip
    data = report.as_dict()
    if as_json:
        emit_json(data)
    else:
        lat = data["latency_ms"]
        assert isinstance(lat, dict)
        click.echo(
            f"\nsent {data['sent']}, acknowledged {data['acknowledged']}, failed {data['failed']} "
            f"in {data['seconds']} s ({data['rate']} packets/s); latency p50 {lat['p50']} ms, "
            f"p95 {lat['p95']} ms, p99 {lat['p99']} ms"
        )
    if report.failed:
        sys.exit(1)
