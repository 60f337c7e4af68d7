"""Outages as a home sees them, shared by the outbox, setup and benchmark tests."""

from collections.abc import Callable
from datetime import timedelta
import socket
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from yarl import URL


def closed_port() -> int:
    """Return a port nobody listens on: connection refused, as with no internet."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def refuse_connections(entry: MockConfigEntry) -> Callable[[], None]:
    """Point an account at a closed port; return the function that ends the outage."""
    client = entry.runtime_data.client
    original = client._base_url
    client._base_url = str(URL(original).with_port(closed_port()))

    def restore() -> None:
        client._base_url = original

    return restore


async def advance(hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float) -> None:
    """Move the frozen clock on and run whatever became due (retries, delayed saves)."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def our_timers(hass: HomeAssistant, *, daily: bool = False) -> list[Any]:
    """Return the loop's live timers that belong to the integration.

    The usage counters' midnight timer (one a day, no request) counts only
    with ``daily``.
    """
    keys = ("sms_gateway", "DeliveryTracker", "DataUpdateCoordinator", "Debouncer", "Inbound")
    return [
        handle
        for handle in hass.loop._scheduled  # type: ignore[attr-defined]
        if not handle.cancelled()
        and any(key in repr(handle) for key in keys)
        and (daily or "AccountUsage._at_midnight" not in repr(handle))
    ]
