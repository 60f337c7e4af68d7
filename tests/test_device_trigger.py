"""The device trigger "SMS received": offer, capabilities, filters and trust."""

from typing import Any

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_get_device_automations,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.sms_gateway import device_trigger
from custom_components.sms_gateway.const import DOMAIN, EVENT_MESSAGE_RECEIVED
from custom_components.sms_gateway.inbound import PUSH_PAUSES_PULL
from tests.conftest import ALICE, BOB, MakeEntry, RunningSimulator
from tests.wire import (
    STRANGER,
    add_automation,
    device_of,
    infobip_inbound,
    inject,
    listen,
    poll,
    post_infobip,
    receive,
    sms,
    state_of,
    webhook_url,
)

# -- offer and capabilities --------------------------------------------------------------


async def test_get_triggers(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    infobip = await make_entry("infobip")
    voip = await make_entry("voip_communications")
    sms365 = await make_entry("sms365")
    for entry in (infobip, voip):
        device = device_of(hass, entry)
        triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, device.id)
        assert {
            "platform": "device",
            "domain": DOMAIN,
            "device_id": device.id,
            "type": "sms_received",
            "metadata": {},
        } in triggers
    # sms365 documents no inbound API: nothing to offer.
    triggers = await async_get_device_automations(
        hass, DeviceAutomationType.TRIGGER, device_of(hass, sms365).id
    )
    assert not [t for t in triggers if t.get("domain") == DOMAIN]


async def test_get_triggers_of_a_foreign_device(hass: HomeAssistant) -> None:
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other", "x")}
    )
    assert await device_trigger.async_get_triggers(hass, device.id) == []
    assert await device_trigger.async_get_triggers(hass, "no-such-device") == []


async def test_trigger_capabilities(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_ws_client: WebSocketGenerator,
) -> None:
    entry = await make_entry("infobip")
    device = device_of(hass, entry)
    assert await async_setup_component(hass, "device_automation", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "device_automation/trigger/capabilities",
            "trigger": {
                "platform": "device",
                "domain": DOMAIN,
                "device_id": device.id,
                "type": "sms_received",
            },
        }
    )
    msg = await client.receive_json()
    assert msg["success"], msg
    fields = {f["name"]: f for f in msg["result"]["extra_fields"]}
    assert set(fields) == {"sender", "keyword", "text_contains"}
    assert all(f["optional"] for f in fields.values())
    select = fields["sender"]["selector"]["select"]
    assert select["custom_value"] is True
    assert select["options"] == [
        {"value": ALICE, "label": f"Alice ({ALICE})"},
        {"value": BOB, "label": f"Bob ({BOB})"},
    ]
    assert "text" in fields["keyword"]["selector"]

    # An unknown device: still the filters, no saved recipients to offer.
    schema = await device_trigger.async_get_trigger_capabilities(
        hass, {"device_id": "unknown", "domain": DOMAIN, "type": "sms_received"}
    )
    assert schema["extra_fields"]({"sender": "+306971234569"}) == {"sender": "+306971234569"}


# -- firing --------------------------------------------------------------------------------


async def test_trigger_fires_for_trusted_sender(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    entry = await make_entry("infobip")
    calls = await add_automation(hass, device_of(hass, entry).id)
    client = await hass_client_no_auth()
    assert await post_infobip(client, infobip_inbound("t-1")) == 200
    await hass.async_block_till_done()
    assert len(calls) == 1
    trigger = calls[0].data["trigger"]
    assert {k: v for k, v in trigger.items() if k not in ("id", "idx", "alias")} == {
        "platform": "device",
        "domain": DOMAIN,
        "device_id": device_of(hass, entry).id,
        "type": "sms_received",
        "sender": ALICE,
        "text": "HOME now",
        "keyword": "HOME",
        "clean_text": "now",
        "message_id": "t-1",
        "trusted": True,
        "description": f"SMS from {ALICE}",
    }


async def test_untrusted_sender_fires_no_trigger(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    entry = await make_entry("infobip")
    calls = await add_automation(hass, device_of(hass, entry).id)
    events, client = await listen(hass, hass_client_no_auth)
    assert await post_infobip(client, infobip_inbound("u-1", sender=STRANGER[1:])) == 200
    await hass.async_block_till_done()
    assert [e.data["trusted"] for e in events] == [False]
    assert calls == []
    state = state_of(hass, "event.demo_infobip_sms_received")
    assert state.attributes["sender"] == STRANGER


async def test_accept_any_sender(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entry = await make_entry("infobip", options={"accept_any_sender": True})
    calls = await add_automation(hass, device_of(hass, entry).id)
    await receive(hass, entry, sms("a-1", STRANGER), sms("a-2", "InfoSMS"))
    assert [(c.data["trigger"]["sender"], c.data["trigger"]["trusted"]) for c in calls] == [
        (STRANGER, False),
        ("InfoSMS", False),
    ]


@pytest.mark.parametrize(
    ("filters", "fired"),
    [
        ({}, ["1", "2", "3", "4"]),
        # Keyword: case-insensitive, on the first word or the provider's keyword.
        ({"keyword": "home"}, ["1", "2"]),
        ({"keyword": " HOME "}, ["1", "2"]),
        ({"keyword": "key"}, ["4"]),
        ({"keyword": "HOM"}, []),
        # Text contains: case-insensitive, anywhere in the text.
        ({"text_contains": "NOW"}, ["1", "3"]),
        ({"text_contains": "lights"}, ["4"]),
        # Sender: as the user wrote it.
        ({"sender": ALICE}, ["1", "3", "4"]),
        ({"sender": "6971234562"}, ["2"]),
        ({"sender": "0030 697 123 4562"}, ["2"]),
        ({"sender": STRANGER}, []),
        # Every filter must pass.
        ({"sender": ALICE, "keyword": "home", "text_contains": "now"}, ["1"]),
        ({"sender": BOB, "keyword": "home", "text_contains": "now"}, []),
    ],
)
async def test_trigger_filters(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    filters: dict[str, str],
    fired: list[str],
) -> None:
    entry = await make_entry("infobip")
    calls = await add_automation(hass, device_of(hass, entry).id, **filters)
    await receive(
        hass,
        entry,
        sms("1", ALICE, "home now"),
        sms("2", BOB, "Home"),
        sms("3", ALICE, "Back now"),
        sms("4", ALICE, "Key lights on", keyword="KEY", clean_text="lights on"),
        sms("5", STRANGER, "HOME now"),  # never: untrusted
    )
    assert [c.data["trigger"]["message_id"] for c in calls] == fired


async def test_trigger_of_the_other_account_does_not_fire(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    infobip = await make_entry("infobip")
    voip = await make_entry("voip_communications")
    calls = await add_automation(hass, device_of(hass, voip).id)
    await receive(hass, infobip, sms("i-1"))
    assert calls == []
    await receive(hass, voip, sms("v-1"))
    assert [c.data["trigger"]["message_id"] for c in calls] == ["v-1"]


async def test_trigger_survives_reload_and_detaches(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entry = await make_entry("infobip")
    calls = await add_automation(hass, device_of(hass, entry).id)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await receive(hass, entry, sms("r-1"))
    assert len(calls) == 1

    await hass.services.async_call(
        automation.DOMAIN, "turn_off", {"entity_id": "all"}, blocking=True
    )
    await receive(hass, entry, sms("r-2"))
    assert len(calls) == 1


async def test_attach_to_unknown_device(hass: HomeAssistant) -> None:
    def action(*_args: Any) -> None:  # pragma: no cover - never called
        raise AssertionError

    detach = await device_trigger.async_attach_trigger(
        hass,
        {"platform": "device", "domain": DOMAIN, "device_id": "nope", "type": "sms_received"},
        action,
        {"trigger_data": {}},  # type: ignore[typeddict-item]
    )
    detach()


# -- end to end through the simulator ----------------------------------------------------


async def test_trigger_fires_once_by_pull_and_push(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Inject with the simulator: event entity, bus event and device trigger, once each."""
    entry = await make_entry("infobip")
    calls = await add_automation(hass, device_of(hass, entry).id, keyword="home")
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    entity_events = async_capture_events(hass, "state_changed")

    await inject(http, simulator, message_id="p-1", deliver="pull")
    await poll(hass, freezer)
    await poll(hass, freezer)
    assert [e.data["message_id"] for e in events] == ["p-1"]
    assert [c.data["trigger"]["message_id"] for c in calls] == ["p-1"]
    assert [
        e.data["new_state"].attributes["message_id"]
        for e in entity_events
        if e.data["entity_id"] == "event.demo_infobip_sms_received"
    ] == ["p-1"]

    # The same message by push and by pull, then the push retried.
    client = await hass_client_no_auth()
    simulator.state.accounts["infobip-demo"].forward_url = webhook_url(client, "infobip")
    await inject(http, simulator, message_id="p-2", deliver="both")
    await hass.async_block_till_done()
    await poll(hass, freezer, PUSH_PAUSES_PULL + 61)  # a push pauses pulling for a day
    assert await post_infobip(client, infobip_inbound("p-2")) == 200
    await hass.async_block_till_done()
    assert [e.data["message_id"] for e in events] == ["p-1", "p-2"]
    assert [c.data["trigger"]["message_id"] for c in calls] == ["p-1", "p-2"]

    # An untrusted sender: bus event only.
    await inject(http, simulator, message_id="p-3", deliver="pull", **{"from": STRANGER[1:]})
    await poll(hass, freezer, PUSH_PAUSES_PULL + 61)
    assert [(e.data["message_id"], e.data["trusted"]) for e in events][-1] == ("p-3", False)
    assert len(calls) == 2
