"""Benchmark 4: provider requests per hour of an idle account, push mode vs pull mode."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from simulator.state import RecordedRequest
from tests.bench.common import LABEL, PROVIDERS, SIM, MakeEntry, requests_since, top_up
from tests.bench.report import RESULTS
from tests.conftest import RunningSimulator

HOUR = 3600
TICK = 10  # seconds per clock step


def kind(request: RecordedRequest) -> str:
    """Name what an idle request was for."""
    path = request.path.lower()
    if "balance" in path or "viber" in path:
        return "balance"
    if "inbox" in path or "/mo" in path:
        return "inbox"
    if "report" in path or "status" in path:
        return "reports"
    return request.path


@pytest.mark.parametrize("mode", ["pull", "push"])
async def test_idle_requests_per_hour(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    mode: str,
) -> None:
    """One simulated idle hour per account: count every provider request."""
    top_up(simulator)
    options: dict[str, object] = {}
    if mode == "push":
        # An external URL: report_mode auto pushes reports to the webhook, and inbound
        # SMS come by the provider's forward URL, so nothing is pulled.
        hass.config.external_url = "https://ha.example.com"
        options["inbound_interval"] = 0
    entries = {p: await make_entry(p, options=options) for p in PROVIDERS}
    modes = {p: e.runtime_data.tracker.mode for p, e in entries.items()}
    start = len(simulator.state.requests)
    for _ in range(HOUR // TICK):
        freezer.tick(timedelta(seconds=TICK))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
    table = RESULTS.shared_table(
        "4",
        "4. Idle provider requests per hour per account",
        "An account with nothing to send and nothing received, one simulated hour under a"
        f" frozen clock advanced in {TICK} s steps; every request the simulator received"
        " after setup is counted. Pull: no external URL (report mode auto → poll; inbound"
        " SMS pulled every 60 s, the default). Push: `external_url` set (report mode auto →"
        " push) and `inbound_interval: 0` (inbound SMS by the provider's forward URL)."
        " Balance defaults to every 15 minutes. No latency is injected here: under the"
        " frozen clock it could not elapse, and it changes no count.",
        ["provider", "mode", "delivery reports", "requests / hour", "by purpose"],
    )
    for provider in PROVIDERS:
        requests = requests_since(simulator, start, provider)
        purposes = Counter(kind(r) for r in requests)
        table.rows.append(
            [
                LABEL[provider],
                mode,
                modes[provider],
                str(len(requests)),
                ", ".join(f"{k} {n}" for k, n in sorted(purposes.items())) or "–",
            ]
        )
    table.rows.sort(key=lambda row: (list(LABEL.values()).index(row[0]), row[1]))
    if mode == "push":
        # Nothing but the balance poll may run while idle in push mode.
        for provider in PROVIDERS:
            assert {kind(r) for r in requests_since(simulator, start, provider)} <= {"balance"}, (
                SIM[provider]
            )
