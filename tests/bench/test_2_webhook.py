"""Benchmark 2: inbound webhook throughput and latency vs a no-op webhook in the same HA."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import gc
import json
from pathlib import Path
import time
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from homeassistant.components import webhook
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers.json import save_json
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from tests.bench.common import GcWatch, MakeEntry, add_latency, top_up
from tests.bench.report import LATENCY_S, QUICK, RESULTS, ms, percentile, ratio
from tests.conftest import RunningSimulator

RATE = 200.0  # offered messages per second
DURATION = 3.0 if QUICK else 20.0  # seconds
EVENT = "sms_gateway_message_received"


@dataclass
class Phase:
    """What one webhook did under the offered load."""

    name: str
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    # (wall-clock start, seconds) of each request
    spans: list[tuple[float, float]] = field(default_factory=list)
    elapsed: float = 0.0
    gc: GcWatch = field(default_factory=GcWatch)

    def latencies_without_gc(self) -> list[float]:
        """Return the latencies less the collector's pauses that fell inside each."""
        return [d - self.gc.inside(t, t + d) for t, d in self.spans]

    @property
    def ok(self) -> int:
        """Return how many requests were answered 200."""
        return self.statuses.get(200, 0)

    @property
    def throughput(self) -> float:
        """Return answered messages per second."""
        return self.ok / self.elapsed if self.elapsed else 0.0


def inbound_body(message_id: str) -> bytes:
    """Return an Infobip forwarded-inbound body with one unique message."""
    return json.dumps(
        {
            "results": [
                {
                    "messageId": message_id,
                    "from": "306971234561",
                    "to": "41793026727",
                    "text": "KEY bench",
                    "cleanText": "bench",
                    "keyword": "KEY",
                    "receivedAt": "2015-02-15T11:43:20.254+0100",
                    "smsCount": 1,
                }
            ]
        }
    ).encode()


async def offer(
    client: TestClient[web.Request, web.Application], path: str, phase: Phase, prefix: str
) -> None:
    """POST unique messages at RATE per second for DURATION (open loop) and time each."""
    count = int(RATE * DURATION)

    async def one(index: int) -> None:
        body = inbound_body(f"{prefix}-{index}")
        wall = time.time()
        started = time.perf_counter()
        async with client.post(
            path, data=body, headers={"Content-Type": "application/json"}
        ) as response:
            await response.read()
            status = response.status
        phase.latencies.append(time.perf_counter() - started)
        phase.spans.append((wall, phase.latencies[-1]))
        phase.statuses[status] = phase.statuses.get(status, 0) + 1

    loop = asyncio.get_running_loop()
    tasks: list[asyncio.Task[None]] = []
    gc.collect()  # every phase starts with the same collector state
    wall0 = time.perf_counter()
    with phase.gc:
        for index in range(count):
            delay = wall0 + index / RATE - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(loop.create_task(one(index)))
            phase.sent += 1
        await asyncio.gather(*tasks)
    phase.elapsed = time.perf_counter() - wall0


async def test_webhook_throughput(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    tmp_path: Path,
) -> None:
    """Offer the same load to the integration's webhook and to a no-op webhook."""
    asyncio.get_running_loop().set_debug(False)  # time the code, not asyncio's debug mode
    top_up(simulator)
    entry = await make_entry("infobip", options={"inbound_interval": 0})
    add_latency(simulator, LATENCY_S)

    async def noop(_hass: HomeAssistant, _webhook_id: str, request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=200)

    webhook.async_register(hass, "bench", "noop", "noop-id", noop)
    received: list[str] = []

    def on_event(event: Event) -> None:
        received.append(str(event.data["message_id"]))

    unsub = hass.bus.async_listen(EVENT, on_event)
    client = await hass_client_no_auth()

    base = Phase("no-op webhook")
    await offer(client, "/api/webhook/noop-id", base, "noop")
    ours = Phase("sms_gateway webhook")
    await offer(client, "/api/webhook/hook-infobip", ours, "sms")
    await hass.async_block_till_done()
    ours_received = list(received)

    # The same again with the dispatcher's store written to disk (tmp dir), the way
    # the real Store does it: JSON and file write in the executor.
    store = entry.runtime_data.inbound._store
    target = str(tmp_path / "inbound.json")

    written: list[int] = []

    def write_file(data: dict[str, Any]) -> int:
        payload = dict(data)
        if "data_func" in payload:
            payload["data"] = payload.pop("data_func")()
        save_json(target, payload)
        return Path(target).stat().st_size

    async def write_to_disk(data: dict[str, Any]) -> None:
        written.append(await hass.async_add_executor_job(write_file, data))

    store._async_write_data = write_to_disk
    disk = Phase("sms_gateway webhook, Store on disk")
    await offer(client, "/api/webhook/hook-infobip", disk, "disk")
    await hass.async_block_till_done()
    disk_received = received[len(ours_received) :]
    assert Path(target).stat().st_size > 0
    unsub()
    webhook.async_unregister(hass, "noop-id")

    counts = {
        id(phase): (phase.sent - len(got), len(got) - len(set(got)))
        for phase, got in ((ours, ours_received), (disk, disk_received))
    }
    table = RESULTS.table(
        "2",
        "2. Inbound webhook vs a no-op webhook",
        f"{RATE:g} msg/s offered for {DURATION:g} s (open loop, one unique Infobip inbound"
        " message per POST) through real HTTP to Home Assistant's test server"
        " (`hass_client_no_auth`), first to a no-op webhook registered in the same"
        " Home Assistant (reads the body, answers 200), then to the account's webhook"
        " `/api/webhook/hook-infobip`. Latency is per request, from sending to the answer."
        " Lost = sent − `sms_gateway_message_received` events; duplicates = events −"
        " unique message ids.",
        [
            "webhook",
            "sent",
            "answered 200",
            "msg/s",
            "p50",
            "p99",
            "p99 excl. GC",
            "full GCs (longest pause)",
            "lost",
            "duplicates",
        ],
    )
    for phase in (base, ours, disk):
        lost, duplicates = counts.get(id(phase), (0, 0))
        is_ours = phase is not base
        table.rows.append(
            [
                phase.name,
                str(phase.sent),
                str(phase.ok),
                f"{phase.throughput:.1f}",
                ms(percentile(phase.latencies, 50)),
                ms(percentile(phase.latencies, 99)),
                ms(percentile(phase.latencies_without_gc(), 99)),
                f"{phase.gc.full} ({ms(phase.gc.longest)})",
                str(lost) if is_ours else "–",
                str(duplicates) if is_ours else "–",
            ]
        )
    for phase in (ours, disk):
        table.rows.append(
            [
                f"**ratio: {phase.name} / no-op**",
                "",
                "",
                ratio(phase.throughput / base.throughput),
                ratio(percentile(phase.latencies, 50) / percentile(base.latencies, 50)),
                ratio(percentile(phase.latencies, 99) / percentile(base.latencies, 99)),
                ratio(
                    percentile(phase.latencies_without_gc(), 99)
                    / percentile(base.latencies_without_gc(), 99)
                ),
                "",
                "",
                "",
            ]
        )
    table.notes.append(
        "The load generator shares the event loop with Home Assistant, so latencies"
        " include its own work, equally for both webhooks; asyncio debug mode off. p99 is"
        " the 40th-slowest of 4000 requests: one stall of the process (a full garbage"
        " collection, another program on the machine) moves it, so read it with the GC"
        " column and compare p50 first."
    )
    table.notes.append(
        "GC: Python's cyclic garbage collector, timed with `gc.callbacks`; a full collection"
        " walks the whole heap of the test process and stalls every request in flight."
        " “excl. GC” subtracts the pauses that fell inside each request."
    )
    table.notes.append(
        "Each new inbound message saves the dispatcher's seen-ids store (up to 2000 ids)"
        " before it is dispatched. Row 2 uses phcc's in-memory storage mock (JSON"
        " serialised in the event loop); row 3 writes the file to disk through the"
        " executor, as Home Assistant's `Store` does."
    )
    if written:
        table.notes.append(
            f"Store on disk: {len(written)} writes for {disk.sent} messages,"
            f" {sum(written) / len(written) / 1024:.0f} KiB per write on average"
            f" (last {written[-1] / 1024:.0f} KiB), {sum(written) / 2**20:.1f} MiB in all"
            f" = {sum(written) / disk.elapsed / 2**20:.2f} MiB/s at {RATE:g} msg/s."
        )
    for phase in (ours, disk):
        other = {s: n for s, n in phase.statuses.items() if s != 200}
        if other:
            table.notes.append(f"Non-200 answers ({phase.name}): {other}.")
    for phase in (ours, disk):
        assert counts[id(phase)] == (0, 0), phase.name
        assert phase.ok == phase.sent, phase.name
