"""Notify entities (one per saved recipient) and the legacy notify services."""

from datetime import timedelta
from types import MappingProxyType
from typing import Any

from homeassistant.components.notify.legacy import NOTIFY_SERVICES
from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateway import notify as sms_notify
from simulator.demo import VOIP_NUMBER
from tests.conftest import ALICE, BOB, PROVIDERS, MakeEntry, RunningSimulator, SnapshotEntities
from tests.wire import (
    SIM_ACCOUNT,
    SIM_PROVIDER,
    asked_for_flash,
    delivered,
    entities_of,
    form,
    sends,
    sent_numbers,
    sent_sender,
    sent_text,
    state_of,
)

GOOD_SENDER = {"infobip": "Home", "sms365": "Home", "voip_communications": VOIP_NUMBER}
# Legacy notify services each provider offers (besides the text one).
EXTRA_SERVICES = {
    "infobip": {"_flash"},
    "sms365": {"_flash", "_viber"},
    "voip_communications": set(),
}


def account_services(hass: HomeAssistant, provider: str) -> list[str]:
    """Return the notify services of an account (demo_<provider>...)."""
    prefix = f"demo_{provider}"
    return sorted(
        s for s in hass.services.async_services().get("notify", {}) if s.startswith(prefix)
    )


# -- notify entities --------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_entities_snapshot(
    simulator: RunningSimulator, snapshot_entities: SnapshotEntities, provider: str
) -> None:
    """Each saved recipient's notify entity: registry entry and state."""
    await snapshot_entities(provider, Platform.NOTIFY)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_one_entity_per_recipient(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    provider: str,
) -> None:
    entry = await make_entry(provider)
    entities = entities_of(hass, entry, "notify")
    assert sorted(e.entity_id for e in entities) == [
        "notify.alice_sms",
        "notify.bob_sms",
    ]
    subentries = {s.title: s.subentry_id for s in entry.subentries.values()}
    for entity in entities:
        name = entity.entity_id.removeprefix("notify.").split("_")[0].title()
        assert entity.config_subentry_id == subentries[name]
    state = state_of(hass, "notify.alice_sms")
    assert state.state == STATE_UNKNOWN
    assert state.attributes["friendly_name"] == "Alice SMS"
    assert state.attributes["supported_features"] == 1  # title


async def test_no_entities_without_recipients(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entry = await make_entry("sms365", recipients=())
    assert entry.state is ConfigEntryState.LOADED
    assert not hass.states.async_entity_ids("notify")


async def test_only_recipient_subentries_get_entities(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """A subentry of another type gets no notify entity."""
    entry = await make_entry("infobip", setup=False)
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(
            data=MappingProxyType({"note": "not a recipient"}),
            subentry_type="something_else",
            title="Other",
            unique_id="other",
        ),
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert sorted(hass.states.async_entity_ids("notify")) == [
        "notify.alice_sms",
        "notify.bob_sms",
    ]


async def test_entity_of_an_older_install_keeps_its_id_on_the_recipients_device(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """0.1 named the entity after the account and put it on the account's device."""
    entry = await make_entry("infobip", setup=False)
    alice = next(s for s in entry.subentries.values() if s.title == "Alice")
    old = entity_registry.async_get_or_create(
        "notify",
        "sms_gateway",
        f"infobip:demo_recipient_{alice.subentry_id}",
        config_entry=entry,
        config_subentry_id=alice.subentry_id,
        suggested_object_id="demo_infobip_sms_to_alice",
    )
    assert old.entity_id == "notify.demo_infobip_sms_to_alice"
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    moved = entity_registry.async_get(old.entity_id)
    assert moved is not None
    assert moved.device_id is not None
    device = device_registry.async_get(moved.device_id)
    assert device is not None
    assert (device.name, device.config_subentry_id) == ("Alice", alice.subentry_id)
    state = state_of(hass, old.entity_id)
    assert state.state == STATE_UNKNOWN
    assert hass.states.get("notify.alice_sms") is None


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_entity_sends_title_and_message(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    await make_entry(provider, options={"sender": GOOD_SENDER[provider]})
    entity_id = "notify.alice_sms"
    await hass.services.async_call(
        "notify",
        "send_message",
        {ATTR_ENTITY_ID: entity_id, "message": "Door open", "title": "Alarm"},
        blocking=True,
    )
    (request,) = sends(simulator)
    assert sent_numbers(request) == ["306971234561"]
    assert sent_text(request) == "Alarm\nDoor open"
    assert sent_sender(request) == GOOD_SENDER[provider]
    state = state_of(hass, entity_id)
    assert state.state != STATE_UNKNOWN  # the time of the last message

    await hass.services.async_call(
        "notify",
        "send_message",
        {ATTR_ENTITY_ID: "notify.bob_sms", "message": "Hello"},
        blocking=True,
    )
    second = sends(simulator)[1]
    assert sent_numbers(second) == ["306971234562"]
    assert sent_text(second) == "Hello"


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_entity_failure_raises(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    await make_entry(provider)
    entity_id = "notify.alice_sms"
    # A provider that is down does not make the call fail: the message waits
    # in the outbox and goes out when the provider is back.
    simulator.state.add_fault(kind="status", provider=SIM_PROVIDER[provider], status=503)
    await hass.services.async_call(
        "notify", "send_message", {ATTR_ENTITY_ID: entity_id, "message": "x"}, blocking=True
    )
    outbox = hass.config_entries.async_entries("sms_gateway")[0].runtime_data.outbox
    assert [q.recipient for q in outbox.queue.values()] == [ALICE]
    await outbox.async_process_due()  # not due yet: still waiting
    assert len(outbox.queue) == 1
    for queued in outbox.queue.values():
        queued.next_attempt = 0
    await outbox.async_process_due()
    assert outbox.queue == {}
    assert [m.to for m in simulator.state.messages.values()] == [ALICE.removeprefix("+")]
    # The recipient rejected (not a whole-request failure) also raises.
    if provider != "sms365":
        simulator.state.accounts[SIM_ACCOUNT[provider]].balance = 0
        with pytest.raises(HomeAssistantError) as err:
            await hass.services.async_call(
                "notify",
                "send_message",
                {ATTR_ENTITY_ID: entity_id, "message": "x"},
                blocking=True,
            )
        assert err.value.translation_key == "insufficient_balance"
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "notify", "send_message", {ATTR_ENTITY_ID: entity_id, "message": " "}, blocking=True
        )
    assert err.value.translation_key == "empty_message"


# -- legacy notify services ----------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_legacy_services_per_capability(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    await make_entry(provider)
    expected = sorted(f"demo_{provider}{suffix}" for suffix in {"", *EXTRA_SERVICES[provider]})
    assert account_services(hass, provider) == expected
    assert len(hass.data[NOTIFY_SERVICES]["sms_gateway"]) == len(expected)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_legacy_text_to_targets(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """target takes saved names and numbers; data takes the sender."""
    await make_entry(provider)
    await hass.services.async_call(
        "notify",
        f"demo_{provider}",
        {
            "message": "Door open",
            "title": "Alarm",
            "target": ["bob", "6971234563", BOB],
            "data": {"sender": GOOD_SENDER[provider]},
        },
        blocking=True,
    )
    (request,) = sends(simulator)
    assert sent_numbers(request) == ["306971234562", "306971234563"]
    assert sent_text(request) == "Alarm\nDoor open"
    assert sent_sender(request) == GOOD_SENDER[provider]
    if provider == "infobip":
        assert "flash" not in request.json["messages"][0]
    elif provider == "sms365":
        assert "flash" not in form(request)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_legacy_without_target_sends_to_all_recipients(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    await make_entry(provider)
    await hass.services.async_call(
        "notify", f"demo_{provider}", {"message": "Everyone"}, blocking=True
    )
    (request,) = sends(simulator)
    assert sorted(sent_numbers(request)) == ["306971234561", "306971234562"]
    assert sent_text(request) == "Everyone"


async def test_legacy_without_target_nor_recipients(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    await make_entry("infobip", recipients=())
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "notify", "demo_infobip", {"message": "Nobody"}, blocking=True
        )
    assert err.value.translation_key == "no_target"
    assert sends(simulator) == []


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_legacy_scheduled(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    await make_entry(provider)
    when = (dt_util.utcnow() + timedelta(hours=5)).replace(second=0, microsecond=0)
    await hass.services.async_call(
        "notify",
        f"demo_{provider}",
        {"message": "Later", "target": "Alice", "data": {"send_at": when.isoformat()}},
        blocking=True,
    )
    (request,) = sends(simulator)
    if provider == "infobip":
        assert request.json["messages"][0]["sendAt"].startswith(when.strftime("%Y-%m-%dT%H:%M"))
    elif provider == "sms365":
        assert form(request)["timestamp"] == str(int(when.timestamp()))
    else:
        assert form(request)["delivery_date"] == when.isoformat(timespec="seconds")
    assert {m.status for m in delivered(simulator, provider)} == {"scheduled"}


@pytest.mark.parametrize("provider", ["infobip", "sms365"])
async def test_legacy_flash(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    await make_entry(provider)
    await hass.services.async_call(
        "notify", f"demo_{provider}_flash", {"message": "Now!", "target": "Alice"}, blocking=True
    )
    (request,) = sends(simulator)
    assert sent_numbers(request) == ["306971234561"]
    assert asked_for_flash(request, provider)
    assert {m.channel for m in delivered(simulator, provider)} == {"flash"}


async def test_legacy_viber(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """notify.<account>_viber with the Viber extras, to every saved recipient."""
    await make_entry("sms365")
    await hass.services.async_call(
        "notify",
        "demo_sms365_viber",
        {
            "message": "Sale",
            "data": {
                "sender": "DemoViber",
                "image_url": "https://example.com/sale.png",
                "button_text": "Shop",
                "button_url": "https://example.com/shop",
                "validity": "7200",
                "sms_fallback": False,
            },
        },
        blocking=True,
    )
    (request,) = sends(simulator)
    assert request.path == "/api/viber/bulk"
    fields = form(request)
    assert sorted(fields["to"].split(",")) == ["306971234561", "306971234562"]
    assert fields["text"] == "Sale"
    assert fields["from"] == "DemoViber"
    assert fields["image"] == "https://example.com/sale.png"
    assert fields["button_caption"] == "Shop"
    assert fields["button_action"] == "https://example.com/shop"
    assert fields["validity"] == "120"  # minutes: sms365's error 513 unit
    assert fields["sms_fallback"] == "false"
    account = simulator.state.accounts["sms365-demo"]
    assert {m.channel for m in simulator.state.messages_for(account)} == {"viber"}


async def test_legacy_viber_single_with_fallback(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    await make_entry("sms365", options={"sender": "DemoViber"})
    await hass.services.async_call(
        "notify", "demo_sms365_viber", {"message": "Hi", "target": [ALICE]}, blocking=True
    )
    (request,) = sends(simulator)
    assert request.path == "/api/viber/send"
    fields = form(request)
    assert fields["from"] == "DemoViber"
    assert fields["sms_fallback"] == "true"
    assert fields["sms_text"] == "Hi"


@pytest.mark.parametrize(
    "data",
    [
        {"send_at": "not a date"},
        {"validity": 0},
        {"image_url": "no url"},
        {"sms_fallback": "maybe"},
        {"unknown": "x"},
    ],
    ids=["send_at", "validity", "image_url", "sms_fallback", "unknown"],
)
async def test_legacy_invalid_data(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, data: Any
) -> None:
    await make_entry("sms365")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "notify",
            "demo_sms365",
            {"message": "x", "target": "Alice", "data": data},
            blocking=True,
        )
    assert err.value.translation_key == "invalid_notify_data"
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["error"]
    assert sends(simulator) == []


@pytest.mark.parametrize(
    ("service", "fields", "key"),
    [
        ("demo_infobip", {"target": "12345"}, "invalid_number"),
        ("demo_infobip", {"data": {"sender": "X"}}, "invalid_sender"),
        ("demo_infobip", {"data": {"send_at": "2001-01-01 00:00"}}, "send_at_in_past"),
        ("demo_infobip", {"message": " "}, "empty_message"),
    ],
    ids=["number", "sender", "past", "empty"],
)
async def test_legacy_user_errors(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    service: str,
    fields: dict[str, Any],
    key: str,
) -> None:
    await make_entry("infobip")
    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            "notify", service, {"message": "x", "target": "Alice", **fields}, blocking=True
        )
    assert err.value.translation_key == key
    assert sends(simulator) == []


@pytest.mark.parametrize("provider", ["infobip", "voip_communications"])
async def test_legacy_partial_failure_raises(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    await make_entry(provider)
    account = simulator.state.accounts[SIM_ACCOUNT[provider]]
    account.balance = account.price_per_segment
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            "notify", f"demo_{provider}", {"message": "x"}, blocking=True
        )
    assert err.value.translation_key == "partial_failure"
    assert err.value.translation_placeholders is not None
    assert BOB in err.value.translation_placeholders["failed"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_legacy_services_unload_and_reload(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    entry = await make_entry(provider)
    expected = sorted(f"demo_{provider}{suffix}" for suffix in {"", *EXTRA_SERVICES[provider]})
    assert account_services(hass, provider) == expected

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert account_services(hass, provider) == []
    assert not hass.data[NOTIFY_SERVICES].get("sms_gateway")
    assert not hass.states.async_entity_ids("notify") or all(
        hass.states.get(e).state == "unavailable" for e in hass.states.async_entity_ids("notify")
    )

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert account_services(hass, provider) == expected

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert account_services(hass, provider) == expected
    assert len(hass.data[NOTIFY_SERVICES]["sms_gateway"]) == len(expected)

    # After the reloads, one call sends one message, once.
    await hass.services.async_call(
        "notify", f"demo_{provider}", {"message": "Once", "target": "Alice"}, blocking=True
    )
    (request,) = sends(simulator)
    assert sent_numbers(request) == ["306971234561"]


async def test_two_accounts_have_their_own_services(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    infobip = await make_entry("infobip")
    await make_entry("voip_communications")
    assert "demo_infobip" in hass.services.async_services()["notify"]
    assert "demo_voip_communications" in hass.services.async_services()["notify"]
    await hass.services.async_call(
        "notify", "demo_voip_communications", {"message": "v", "target": "Bob"}, blocking=True
    )
    (request,) = sends(simulator)
    assert request.path == "/api-v2/index.php/sms/send"
    assert await hass.config_entries.async_unload(infobip.entry_id)
    await hass.async_block_till_done()
    assert "demo_infobip" not in hass.services.async_services()["notify"]
    assert "demo_voip_communications" in hass.services.async_services()["notify"]
    assert len(hass.data[NOTIFY_SERVICES]["sms_gateway"]) == 1


async def test_get_service_without_a_loaded_entry(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """Only discovery for a loaded sms_gateway entry creates a service."""
    assert await sms_notify.async_get_service(hass, {}, None) is None
    assert (
        await sms_notify.async_get_service(
            hass, {}, {"name": "x", "entry_id": "missing", "channel": "sms"}
        )
        is None
    )
    other = MockConfigEntry(domain="other_domain")
    other.add_to_hass(hass)
    assert (
        await sms_notify.async_get_service(
            hass, {}, {"name": "x", "entry_id": other.entry_id, "channel": "sms"}
        )
        is None
    )
    entry = await make_entry("infobip", setup=False)
    assert (
        await sms_notify.async_get_service(
            hass, {}, {"name": "x", "entry_id": entry.entry_id, "channel": "sms"}
        )
        is None
    )
