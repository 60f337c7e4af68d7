"""Helpers shared by the benchmarks."""

from __future__ import annotations

import gc
import math
import time
from typing import Any

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateway import outbox as outbox_module
from simulator.state import RecordedRequest
from tests.conftest import PROVIDERS, MakeEntry, RunningSimulator
from tests.wire import SEND_PATHS, SIM_PROVIDER

# What the benchmarks import from here (PROVIDERS and MakeEntry come from tests.conftest).
__all__ = [
    "LABEL",
    "PROVIDERS",
    "SIM",
    "GcWatch",
    "MakeEntry",
    "Stopwatch",
    "add_latency",
    "call_send",
    "is_send",
    "number",
    "requests_since",
    "top_up",
]

DOMAIN = "sms_gateway"
SIM = SIM_PROVIDER
LABEL = {"infobip": "Infobip", "sms365": "sms365", "voip_communications": "voip-communications"}


def number(index: int) -> str:
    """Return a distinct deliverable Greek mobile number (never ending in 0 or 9)."""
    return f"+30697{index:06d}1"


def top_up(simulator: RunningSimulator) -> None:
    """Give every simulator account enough balance for any benchmark."""
    for account in simulator.state.accounts.values():
        account.balance = 10.0**9


def unthrottle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lift a per-second spacing of requests, if any: loop time stands still under a frozen clock."""
    if hasattr(outbox_module, "MAX_REQUESTS_PER_SECOND"):
        monkeypatch.setattr(outbox_module, "MAX_REQUESTS_PER_SECOND", math.inf)


def add_latency(simulator: RunningSimulator, latency: float) -> None:
    """Delay every provider request by ``latency`` seconds for the rest of the test."""
    simulator.state.add_fault(kind="latency", latency=latency, duration=24 * 3600)


def requests_since(
    simulator: RunningSimulator, start: int, provider: str | None = None
) -> list[RecordedRequest]:
    """Return the protocol requests recorded after index ``start``."""
    sim = SIM[provider] if provider else None
    return [r for r in simulator.state.requests[start:] if sim is None or r.provider == sim]


def is_send(request: RecordedRequest) -> bool:
    """Return whether a recorded request sends messages."""
    return request.method == "POST" and request.path in SEND_PATHS


async def call_send(
    hass: HomeAssistant, entry: MockConfigEntry, targets: list[str], message: str
) -> dict[str, Any]:
    """Call sms_gateway.send_message and return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"config_entry_id": entry.entry_id, "target": targets, "message": message},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


class Stopwatch:
    """Measure a block's wall time with perf_counter."""

    def __init__(self) -> None:
        """Create a stopped watch."""
        self.start = 0.0
        self.elapsed = 0.0

    def __enter__(self) -> Stopwatch:
        """Start."""
        self.start = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        """Stop."""
        self.elapsed = time.perf_counter() - self.start


class GcWatch:
    """Time the cyclic garbage collector's pauses while active (``with GcWatch() as gcw``)."""

    def __init__(self) -> None:
        """Create the watch; it records only inside its ``with`` block."""
        # (wall-clock start, seconds, generation) of each collection
        self.collections: list[tuple[float, float, int]] = []
        self._started = 0.0

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.time()
        elif self._started:
            self.collections.append(
                (self._started, time.time() - self._started, int(info["generation"]))
            )
            self._started = 0.0

    def __enter__(self) -> GcWatch:
        """Start recording."""
        gc.callbacks.append(self._on_gc)
        return self

    def __exit__(self, *_exc: object) -> None:
        """Stop recording."""
        gc.callbacks.remove(self._on_gc)

    @property
    def longest(self) -> float:
        """Return the longest pause."""
        return max((d for _, d, _ in self.collections), default=0.0)

    @property
    def full(self) -> int:
        """Return how many full (generation 2) collections ran."""
        return sum(g == 2 for _, _, g in self.collections)

    def inside(self, start: float, end: float) -> float:
        """Return the collector's time inside a wall-clock interval."""
        return sum(max(0.0, min(end, t + d) - max(start, t)) for t, d, _ in self.collections)
