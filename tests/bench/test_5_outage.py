"""Benchmark 5: the outage scenario: 100 messages while the provider is down, then recovery."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.sms_gateway.outbox import Outbox
from custom_components.sms_gateway.providers import OutgoingMessage, ProviderClient, SendResult
from tests.bench.common import (
    LABEL,
    SIM,
    MakeEntry,
    call_send,
    is_send,
    number,
    requests_since,
    top_up,
    unthrottle,
)
from tests.bench.report import RESULTS
from tests.conftest import RunningSimulator
from tests.outage import advance, refuse_connections

MESSAGES = 100
OUTAGE = 60  # simulated seconds the provider stays down
STEP = 5  # seconds per clock step
MAX_DRAIN = 2 * 3600  # give up waiting for the outbox after this long
FOREVER = 10**6  # a fault count that outlasts the outage
OUTAGES = {
    "refused": "connection refused (closed port)",
    "reset": "connection reset after sending (ambiguous)",
    "503": "HTTP 503",
}


def start_outage(
    simulator: RunningSimulator, entry: MockConfigEntry, provider: str, outage: str
) -> Callable[[], None]:
    """Make the provider fail; return the function that ends the outage."""
    if outage == "refused":
        return refuse_connections(entry)
    if outage == "reset":
        simulator.state.add_fault(kind="drop", provider=SIM[provider], count=FOREVER)
    else:
        simulator.state.add_fault(kind="status", provider=SIM[provider], status=503, count=FOREVER)

    def clear() -> None:
        simulator.state.faults.clear()  # take_fault replaces the list: look it up now

    return clear


@pytest.mark.parametrize(
    ("provider", "outage"),
    [
        ("infobip", "refused"),
        ("infobip", "reset"),
        ("infobip", "503"),
        ("sms365", "refused"),
        ("sms365", "503"),
        ("sms365", "reset"),
        ("voip_communications", "refused"),
        ("voip_communications", "503"),
    ],
)
async def test_outage(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    provider: str,
    outage: str,
) -> None:
    """Send 100 messages into an outage, recover, count what the provider got."""
    unthrottle(monkeypatch)
    top_up(simulator)
    entry = await make_entry(provider)
    box: Outbox = entry.runtime_data.outbox
    client: ProviderClient = entry.runtime_data.client
    attempts = 0
    original_send = client.send

    async def counted_send(message: OutgoingMessage) -> list[SendResult]:
        nonlocal attempts
        attempts += 1
        return await original_send(message)

    client.send = counted_send  # type: ignore[method-assign]
    events = async_capture_events(hass, "sms_gateway_delivery_report")
    start = len(simulator.state.requests)
    end_outage = start_outage(simulator, entry, provider, outage)

    statuses: Counter[str] = Counter()
    texts = [f"outage {provider} {outage} {i}" for i in range(MESSAGES)]
    for index, text in enumerate(texts):
        try:
            response = await call_send(hass, entry, [number(index)], text)
        except Exception as err:  # a refused call is a result here
            statuses[f"error: {type(err).__name__}"] += 1
            continue
        statuses.update(item["status"] for item in response["results"])
    waited = 0
    while waited < OUTAGE:
        await advance(hass, freezer, STEP)
        waited += STEP
    attempts_in_outage = attempts

    end_outage()
    drained = 0
    while box.queue and drained < MAX_DRAIN:
        await advance(hass, freezer, STEP)
        drained += STEP
    await simulator.drain()

    kept = [
        m
        for m in simulator.state.messages.values()
        if m.status != "rejected" and m.text in set(texts)
    ]
    copies = Counter((m.to, m.text) for m in kept)
    delivered = len(copies)
    duplicates = sum(n - 1 for n in copies.values())
    id_copies = Counter(m.id for m in kept)
    duplicates += sum(n - 1 for n in id_copies.values())
    lost = MESSAGES - delivered
    unknown = sum(1 for e in events if e.data["status"] == "unknown")
    sends = sum(is_send(r) for r in requests_since(simulator, start, provider))
    table = RESULTS.shared_table(
        "5",
        "5. Outage: 100 messages while the provider is down, then recovery",
        f"{MESSAGES} `send_message` calls (one recipient each) while the provider fails,"
        f" {OUTAGE} s of simulated outage (the outbox retries with backoff and jitter),"
        f" then recovery; the clock advances in {STEP} s steps until the outbox is empty."
        " Delivered = distinct (recipient, text) the simulator accepted; duplicates = extra"
        " copies of the same (recipient, text) or of the same message id; lost = sent −"
        " delivered. Send attempts are calls of the provider client's `send` (refused"
        " connections never reach the simulator). Baseline: a per-recipient loop without an"
        " outbox (core's `twilio_sms`/`sinch`) raises and loses every message sent during the"
        " outage, i.e. lost = 100. Frozen clock, so no latency is injected (it changes no"
        " count).",
        [
            "provider",
            "outage",
            "sent",
            "answer to the caller",
            "delivered",
            "lost",
            "duplicates",
            "reported unknown",
            "send attempts during outage",
            "send attempts in all",
            "send requests the provider got",
            "outbox empty after recovery",
        ],
    )
    table.rows.append(
        [
            LABEL[provider],
            OUTAGES[outage],
            str(MESSAGES),
            ", ".join(f"{k} {n}" for k, n in sorted(statuses.items())),
            str(delivered),
            str(lost),
            str(duplicates),
            str(unknown),
            str(attempts_in_outage),
            str(attempts),
            str(sends),
            f"{drained} s" if not box.queue else f"not after {MAX_DRAIN} s",
        ]
    )
    assert duplicates == 0
    if not (outage == "reset" and not entry.runtime_data.client.capabilities.idempotent_send):
        assert lost == 0
    else:
        # Non-idempotent API, answer lost: never resent (no duplicate risk) but reported.
        assert unknown == lost


CHUNKED = {"sms365": 1000, "voip_communications": 250}  # 2 and 3 requests (500 / 100 each)


@pytest.mark.parametrize(("provider", "status"), [("sms365", 429), ("voip_communications", 503)])
async def test_outage_in_a_split_send(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    provider: str,
    status: int,
) -> None:
    """One send to many recipients, split into requests; the provider fails from the second."""
    top_up(simulator)
    entry = await make_entry(provider)
    box: Outbox = entry.runtime_data.outbox
    total = CHUNKED[provider]
    start = len(simulator.state.requests)
    # The first request goes through, every later one fails until the outage ends.
    simulator.state.add_fault(
        kind="status", provider=SIM[provider], status=status, skip=1, count=FOREVER
    )
    text = f"split outage {provider}"
    response = await call_send(hass, entry, [number(i) for i in range(total)], text)
    statuses = Counter(item["status"] for item in response["results"])
    waited = 0
    while waited < OUTAGE:
        await advance(hass, freezer, STEP)
        waited += STEP
    simulator.state.faults.clear()
    drained = 0
    while box.queue and drained < MAX_DRAIN:
        await advance(hass, freezer, STEP)
        drained += STEP
    kept = [m for m in simulator.state.messages.values() if m.text == text]
    copies = Counter(m.to for m in kept)
    delivered = len(copies)
    duplicates = sum(n - 1 for n in copies.values())
    sends = sum(is_send(r) for r in requests_since(simulator, start, provider))
    table = RESULTS.shared_table(
        "5b",
        "5b. Outage inside a send split into several provider requests",
        "One `send_message` call to many recipients, which the client splits into requests"
        " (sms365: 500 numbers per bulk request, voip-communications: 100 per request). The"
        " first request is answered, every later one fails for"
        f" {OUTAGE} s of simulated outage, then recovery. Each request's outcome is recorded"
        " per recipient before the next one, so an accepted recipient is never sent again."
        " Baseline (before the outbox rebuild): the whole send was retried, so the first"
        " request's recipients got it twice.",
        [
            "provider",
            "outage",
            "recipients",
            "answer to the caller",
            "delivered",
            "lost",
            "duplicates",
            "send requests the provider got",
            "outbox empty after recovery",
        ],
    )
    table.rows.append(
        [
            LABEL[provider],
            f"HTTP {status} from the 2nd request on",
            str(total),
            ", ".join(f"{k} {n}" for k, n in sorted(statuses.items())),
            str(delivered),
            str(total - delivered),
            str(duplicates),
            str(sends),
            f"{drained} s" if not box.queue else f"not after {MAX_DRAIN} s",
        ]
    )
    assert duplicates == 0
    assert delivered == total
