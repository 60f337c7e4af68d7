"""What makes a received SMS trusted, and when the same text counts as a new message.

* The passphrase (issue 12): only a message that starts with it is trusted and
  may run a device trigger; it is taken off the text automations and history
  see, whoever sent it; it is never logged nor in diagnostics.
* voip-communications replies without id and time: a retry within
  REPEAT_WINDOW is one message, the same text later is a new one, across
  restarts and clock steps too.
"""

import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_gateway.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from custom_components.sms_gateway.inbound import strip_passphrase
from custom_components.sms_gateway.inbound_seen import REPEAT_WINDOW
from custom_components.sms_gateway.providers import InboundMessage
from tests.conftest import ALICE, MakeEntry, RunningSimulator
from tests.outage import advance
from tests.wire import STRANGER, listen, receive

PASSPHRASE = "Tulip"
VOIP_HOOK = "/api/webhook/hook-voip_communications"
# A voip reply with neither id nor time: only sender, number and text.
BARE_REPLY = {"from": "306971234561", "to": "17134567890", "msg": "HOME"}


async def add_automation(hass: HomeAssistant, entry: MockConfigEntry) -> list[ServiceCall]:
    """Add an automation on the account's "SMS received" trigger; return its runs."""
    calls = async_mock_service(hass, "test", "automation")
    trigger = {
        "trigger": "device",
        "domain": DOMAIN,
        "device_id": entry.runtime_data.device_id,
        "type": "sms_received",
    }
    action = {"action": "test.automation", "data": {"text": "{{ trigger.text }}"}}
    assert await async_setup_component(
        hass, automation.DOMAIN, {automation.DOMAIN: [{"triggers": [trigger], "actions": [action]}]}
    )
    await hass.async_block_till_done()
    return calls


# -- the passphrase ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tulip HOME now", (True, "HOME now")),
        ("tulip: HOME", (True, "HOME")),  # phones capitalise, people punctuate
        ("  TULIP,HOME", (True, "HOME")),
        ("tulip", (True, "")),
        ("tulips HOME", (False, "tulips HOME")),  # a word of its own
        ("HOME tulip", (False, "HOME tulip")),
        ("Tuli", (False, "Tuli")),
        ("", (False, "")),
    ],
)
def test_strip_passphrase(text: str, expected: tuple[bool, str]) -> None:
    assert strip_passphrase(text, PASSPHRASE) == expected


@pytest.mark.parametrize(
    ("sender", "text", "accept_any", "expected"),
    [
        # (trusted, may run a device trigger, text the automation sees)
        (ALICE, "tulip HOME now", False, (True, True, "HOME now")),
        (ALICE, "HOME now", False, (False, False, "HOME now")),  # a trusted number is not enough
        (STRANGER, "tulip HOME now", False, (False, False, "HOME now")),  # nor the passphrase
        (STRANGER, "tulip HOME now", True, (False, True, "HOME now")),
        (STRANGER, "HOME now", True, (False, False, "HOME now")),  # accept any: phrase still needed
    ],
)
async def test_passphrase_decides_trust(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    sender: str,
    text: str,
    accept_any: bool,
    expected: tuple[bool, bool, str],
) -> None:
    entry = await make_entry(
        "infobip", options={"passphrase": PASSPHRASE, "accept_any_sender": accept_any}
    )
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await receive(hass, entry, InboundMessage("m1", sender.removeprefix("+"), text))
    last = entry.runtime_data.inbound.last
    assert last is not None
    assert (last.trusted, last.may_trigger, last.text) == expected
    assert events[0].data["trusted"] is expected[0]
    assert events[0].data["text"] == expected[2]
    assert (events[0].data["keyword"], events[0].data["clean_text"]) == ("HOME", "now")


async def test_without_passphrase_the_sender_decides(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entry = await make_entry("infobip")
    await receive(hass, entry, InboundMessage("m1", ALICE.removeprefix("+"), "tulip HOME"))
    last = entry.runtime_data.inbound.last
    assert last is not None
    assert (last.trusted, last.text) == (True, "tulip HOME")


async def test_provider_keyword_that_is_the_passphrase(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """Infobip names the first word the keyword: with a passphrase, the next word is."""
    entry = await make_entry("infobip", options={"passphrase": PASSPHRASE})
    message = InboundMessage(
        "m1", ALICE.removeprefix("+"), "TULIP HOME now", keyword="TULIP", clean_text="HOME now"
    )
    await receive(hass, entry, message)
    last = entry.runtime_data.inbound.last
    assert last is not None
    assert (last.trusted, last.text, last.keyword, last.clean_text) == (
        True,
        "HOME now",
        "HOME",
        "now",
    )


async def test_device_trigger_needs_the_passphrase(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Through the webhook: only the SMS with the passphrase runs the automation."""
    entry = await make_entry("voip_communications", options={"passphrase": PASSPHRASE})
    calls = await add_automation(hass, entry)
    client = await hass_client_no_auth()
    for message_id, text in (("v-1", "DISARM"), ("v-2", "tulip DISARM"), ("v-3", "tulipDISARM")):
        fields = {**BARE_REPLY, "smsid": message_id, "msg": text}
        assert (await client.post(VOIP_HOOK, data=fields)).status == 200
    await hass.async_block_till_done()
    assert [call.data["text"] for call in calls] == ["DISARM"]


async def test_passphrase_never_in_logs_or_diagnostics(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client: ClientSessionGenerator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    secret = "Open Sesame 4711"
    entry = await make_entry("infobip", options={"passphrase": secret})
    await receive(hass, entry, InboundMessage("m1", ALICE.removeprefix("+"), f"{secret} HOME"))
    await receive(hass, entry, InboundMessage("m2", STRANGER.removeprefix("+"), f"{secret} X"))
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    dumped = json.dumps(diagnostics)
    assert diagnostics["entry"]["options"]["passphrase"] == "**REDACTED**"
    for haystack in (dumped, caplog.text):
        assert secret not in haystack
        assert secret.casefold() not in haystack.casefold()
    # Nor in what history keeps: the event entity's attributes.
    states = [s for s in hass.states.async_all("event") if s.entity_id.endswith("sms_received")]
    assert states
    assert all(secret not in json.dumps(dict(s.attributes)) for s in states)


# -- voip replies without id and time --------------------------------------------------------


async def test_same_text_again_later_is_a_new_message(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """ "HOME" on Monday and on Tuesday: two messages; a retry within the window: one."""
    await make_entry("voip_communications")
    events, client = await listen(hass, hass_client_no_auth)

    async def post() -> None:
        assert (await client.post(VOIP_HOOK, data=BARE_REPLY)).status == 200
        await hass.async_block_till_done()

    for _ in range(3):  # the provider retries
        await post()
    await advance(hass, freezer, REPEAT_WINDOW - 5)
    await post()  # still a retry
    assert len(events) == 1
    await advance(hass, freezer, 10)
    await post()  # past the window since the first arrival: the same text sent again
    assert len(events) == 2
    ids = [e.data["message_id"] for e in events]
    assert len(set(ids)) == 2  # one id per arrival
    for message_id in ids:  # no number, no text in an id (ids are logged)
        assert "306971234561" not in message_id
        assert "HOME" not in message_id
    await advance(hass, freezer, 24 * 3600)  # the next day
    await post()
    assert len(events) == 3


async def test_repeat_window_survives_a_restart(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A retry that arrives after a restart is still a retry; the window still ends."""
    entry = await make_entry("voip_communications")
    events, client = await listen(hass, hass_client_no_auth)
    assert (await client.post(VOIP_HOOK, data=BARE_REPLY)).status == 200
    await hass.async_block_till_done()
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.inbound"]["data"]
    assert len(stored["recent"]) == 1
    assert all("306971234561" not in key for key in stored["recent"])

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await advance(hass, freezer, 60)
    assert (await client.post(VOIP_HOOK, data=BARE_REPLY)).status == 200
    await hass.async_block_till_done()
    assert len(events) == 1

    await advance(hass, freezer, REPEAT_WINDOW)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert (await client.post(VOIP_HOOK, data=BARE_REPLY)).status == 200
    await hass.async_block_till_done()
    assert len(events) == 2


async def test_repeat_window_and_a_clock_stepped_back(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A stored time in the future (the clock stepped back since) counts as now, not forever."""
    entry = await make_entry("voip_communications", setup=False)
    message = InboundMessage("derived-0123456789abcdef", "306971234561", "HOME", repeatable=True)
    key = f"{DOMAIN}.{entry.entry_id}.inbound"
    hass_storage[key] = {
        "version": 1,
        "key": key,
        "data": {"seen": [], "recent": {message.message_id: 4102444800.0}},  # the year 2100
    }
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    inbound = entry.runtime_data.inbound
    assert await inbound.async_dispatch([message]) == 0  # within the window: a retry
    await advance(hass, freezer, REPEAT_WINDOW + 1)
    assert await inbound.async_dispatch([message]) == 1  # the window ran from "now"
