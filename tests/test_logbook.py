"""The logbook shows SMS sent, delivered or failed, and received, in readable lines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.sms_gateway.logbook import shorten, who
from tests.conftest import ALICE, MakeEntry, RunningSimulator
from tests.wire import STRANGER, receive, send, sms

UNDELIVERABLE = "+306971234560"  # ends in 0: the simulator says undeliverable


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """The recorder (which the logbook reads) is set up before Home Assistant starts."""


async def logbook_lines(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> list[tuple[str, str]]:
    """Return (name, message) of the integration's logbook entries, oldest first."""
    await async_wait_recording_done(hass)
    client = await hass_ws_client()
    await client.send_json_auto_id(
        {
            "type": "logbook/get_events",
            "start_time": (dt_util.utcnow() - timedelta(hours=1)).isoformat(),
        }
    )
    answer: dict[str, Any] = await client.receive_json()
    assert answer["success"], answer
    return [
        (row["name"], row["message"])
        for row in answer["result"]
        if row.get("domain") == "sms_gateway"
    ]


async def test_sent_delivered_failed_and_received_sms_in_the_logbook(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    """Done: all three kinds of message, with saved names, short numbers and short text."""
    assert await async_setup_component(hass, "logbook", {})
    entry = await make_entry("infobip")
    await send(hass, entry, ALICE, UNDELIVERABLE, message="Door open")
    await simulator.drain()
    await entry.runtime_data.tracker.async_poll()  # the delivery reports
    long_text = "Please water the plants in the living room and the garden, thanks a lot"
    await receive(hass, entry, sms("in-1", ALICE, "HOME now"), sms("in-2", STRANGER, long_text))
    await hass.async_block_till_done()

    lines = await logbook_lines(hass, hass_ws_client)

    assert sorted(lines[:2]) == [("SMS to +3069•••60", "sent"), ("SMS to Alice", "sent")]
    assert sorted(lines[2:4]) == [
        ("SMS to +3069•••60", "could not be delivered"),
        ("SMS to Alice", "delivered"),
    ]
    assert lines[4:] == [
        ("SMS from Alice:", "HOME now"),
        (
            "SMS from +3069•••69:",
            "Please water the plants in the living room and the garden,… (untrusted sender)",
        ),
    ]
    # No full number of a stranger, anywhere.
    assert not any(STRANGER in f"{name} {message}" for name, message in lines)


@pytest.mark.parametrize(
    ("number", "name", "shown"),
    [
        ("+306971234567", "Alice", "Alice"),
        ("+306971234567", None, "+3069•••67"),
        ("INFO", None, "INFO"),
        ("1234", None, "1234"),
        (None, None, "unknown number"),
    ],
)
def test_who_is_a_name_or_a_short_number(number: str | None, name: str | None, shown: str) -> None:
    """A saved name, else a number shortened; a sender ID stays as it is."""
    assert who(number, name) == shown


def test_shorten_keeps_one_line() -> None:
    """Line breaks become spaces; the text is cut with an ellipsis."""
    assert shorten("a\nb") == "a b"
    assert len(shorten("x" * 500)) == 60
