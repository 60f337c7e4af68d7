"""Benchmark 1: notify 1, 10, 100 recipients vs a per-recipient loop (HA core's twilio_sms/sinch)."""

from __future__ import annotations

import asyncio

from homeassistant.core import HomeAssistant

from custom_components.sms_gateway.providers import OutgoingMessage, ProviderClient
from tests.bench.common import (
    LABEL,
    PROVIDERS,
    MakeEntry,
    Stopwatch,
    add_latency,
    call_send,
    is_send,
    number,
    requests_since,
    top_up,
)
from tests.bench.report import LATENCY_S, RESULTS, median, ms, ratio
from tests.conftest import RunningSimulator

SIZES = (1, 10, 100)
RTT_SAMPLES = 5


async def baseline_loop(client: ProviderClient, recipients: list[str], text: str) -> None:
    """What core's twilio_sms and sinch notify platforms do: one request per recipient."""
    for recipient in recipients:
        results = await client.send(OutgoingMessage(recipients=(recipient,), text=text))
        assert all(r.accepted for r in results)


async def test_notify_batching(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """Requests and wall time per notify, ours (batched) vs the per-recipient loop."""
    asyncio.get_running_loop().set_debug(False)  # time the code, not asyncio's debug mode
    top_up(simulator)
    entries = {provider: await make_entry(provider) for provider in PROVIDERS}
    add_latency(simulator, LATENCY_S)
    table = RESULTS.table(
        "1",
        "1. Notify: batched send vs a per-recipient loop",
        "One `sms_gateway.send_message` call with N targets (the integration batches them)"
        " against the baseline of HA core's `twilio_sms`/`sinch` notify platforms: the same"
        " provider client sending to one recipient at a time, sequentially. RTT = median wall"
        f" time of one single-recipient send request ({RTT_SAMPLES} samples) in the same run."
        " Requests are the send requests the simulator received.",
        [
            "provider",
            "recipients",
            "requests: ours / loop",
            "RTT",
            "wall: ours",
            "wall: loop",
            "ours / RTT",
            "loop / RTT",
            "loop ÷ ours",
        ],
    )
    other_requests = 0
    index = 0
    for provider, entry in entries.items():
        client: ProviderClient = entry.runtime_data.client
        samples: list[float] = []
        for _ in range(RTT_SAMPLES):
            with Stopwatch() as watch:
                await baseline_loop(client, [number(index)], "rtt")
            index += 1
            samples.append(watch.elapsed)
        rtt = median(samples)
        for size in SIZES:
            recipients = [number(index + i) for i in range(size)]
            index += size
            start = len(simulator.state.requests)
            with Stopwatch() as ours:
                response = await call_send(hass, entry, recipients, f"bench {size}")
            assert [r["error"] for r in response["results"]] == [None] * size
            assert all(r["status"] != "queued" for r in response["results"])
            ours_requests = requests_since(simulator, start, provider)
            ours_send = sum(is_send(r) for r in ours_requests)
            other_requests += len(ours_requests) - ours_send

            start = len(simulator.state.requests)
            with Stopwatch() as loop:
                await baseline_loop(client, recipients, f"baseline {size}")
            loop_send = sum(is_send(r) for r in requests_since(simulator, start, provider))
            assert loop_send == size
            table.rows.append(
                [
                    LABEL[provider],
                    str(size),
                    f"{ours_send} / {loop_send}",
                    ms(rtt),
                    ms(ours.elapsed),
                    ms(loop.elapsed),
                    ratio(ours.elapsed / rtt),
                    ratio(loop.elapsed / rtt),
                    ratio(loop.elapsed / ours.elapsed),
                ]
            )
    await hass.async_block_till_done(wait_background_tasks=True)
    table.notes.append(
        "After an accepted send the integration refreshes the balance in the background"
        f" (debounced); {other_requests} such non-send request(s) fell inside the timed"
        " windows above and are not counted as send requests."
    )
    table.notes.append("asyncio debug mode off while timing.")
