"""Setting up, unloading and reloading an account."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest

from custom_components.sms_gateway.const import DOMAIN
from tests.conftest import ALICE, PROVIDERS, MakeEntry, RunningSimulator
from tests.outage import advance, our_timers
from tests.wire import entities_of, legacy_services, refuse_credentials, send, state_of


async def test_setup_unload_voip(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
) -> None:
    entry = await make_entry("voip_communications")
    assert entry.state is ConfigEntryState.LOADED
    assert hass.services.has_service("notify", "demo_voip_communications")
    assert not hass.services.has_service("notify", "demo_voip_communications_flash")
    states = {s.entity_id for s in hass.states.async_all()}
    assert "notify.alice_sms" in states, states
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert not hass.services.has_service("notify", "demo_voip_communications")


# -- per provider: setup, device, failures, unload and reload -------------------------

MANUFACTURER = {
    "infobip": "Infobip-compatible SMS API",
    "sms365": "sms365.gr",
    "voip_communications": "voip-communications.net",
}
LEGACY = {
    "infobip": {"", "_flash"},
    "sms365": {"", "_flash", "_viber"},
    "voip_communications": {""},
}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_setup_entities_and_device(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
    provider: str,
) -> None:
    entry = await make_entry(provider)
    assert entry.state is ConfigEntryState.LOADED
    devices = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    [device] = [d for d in devices if d.config_subentry_id is None]
    assert device.name == entry.title == f"Demo {provider}"
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.manufacturer == MANUFACTURER[provider]
    assert device.model == "SMS API account"
    assert device.identifiers == {(DOMAIN, entry.entry_id)}
    # Each saved recipient has its own device, in its subentry, via the account's.
    recipients = {d.config_subentry_id: d for d in devices if d.config_subentry_id is not None}
    assert {s.subentry_id: s.title for s in entry.subentries.values()} == {
        subentry_id: d.name for subentry_id, d in recipients.items()
    }
    for subentry_id, recipient in recipients.items():
        assert recipient.via_device_id == device.id
        assert recipient.model == "SMS recipient"
        assert recipient.identifiers == {(DOMAIN, f"{entry.entry_id}_{subentry_id}")}
    entities = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    assert entities
    assert {e.device_id for e in entities if e.config_subentry_id is None} == {device.id}
    for entity in entities:
        if entity.config_subentry_id is not None:
            assert entity.device_id == recipients[entity.config_subentry_id].id
    sensors = {e.entity_id for e in entities if e.domain == "sensor"}
    expected = {
        f"sensor.demo_{provider}_{key}"
        for key in (
            "last_delivery_status",
            "messages_today",
            "sms_segments_today",
            "messages_this_month",
            "sms_segments_this_month",
            "cost_this_month",
        )
    }
    if provider != "voip_communications":
        expected.add(f"sensor.demo_{provider}_balance")
    if provider == "sms365":
        expected.add("sensor.demo_sms365_viber_balance_demoviber")
    assert sensors == expected
    assert legacy_services(hass, provider) == LEGACY[provider]
    assert hass.services.has_service(DOMAIN, "send_message")
    assert f"hook-{provider}" in hass.data["webhook"]


async def test_two_accounts_two_devices(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    first = await make_entry("infobip")
    second = await make_entry("sms365")
    devices = {
        entry.entry_id: dr.async_entries_for_config_entry(device_registry, entry.entry_id)
        for entry in (first, second)
    }
    assert sorted(d.name for d in devices[first.entry_id]) == ["Alice", "Bob", "Demo infobip"]
    assert sorted(d.name for d in devices[second.entry_id]) == ["Alice", "Bob", "Demo sms365"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_setup_auth_failed_starts_reauth(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    refuse_credentials(simulator, provider)
    entry = await make_entry(provider, setup=False)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"
    assert flow["context"]["entry_id"] == entry.entry_id
    assert f"hook-{provider}" not in hass.data.get("webhook", {})


async def test_setup_401_fault_is_auth_failure(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    simulator.state.add_fault(kind="status", provider="infobip", status=401)
    entry = await make_entry("infobip", setup=False)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert [f["context"]["source"] for f in hass.config_entries.flow.async_progress()] == ["reauth"]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_unload_leaves_nothing_behind(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    entity_registry: er.EntityRegistry,
    freezer: FrozenDateTimeFactory,
    provider: str,
) -> None:
    entry = await make_entry(provider)
    await send(hass, entry)  # a message waiting for its report: polling is on
    runtime = entry.runtime_data
    entity_ids = [
        e.entity_id for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    ]
    assert bool(our_timers(hass)) is (provider != "voip_communications")

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert legacy_services(hass, provider) == set()
    assert hass.services.has_service(DOMAIN, "send_message")  # the integration's action
    assert f"hook-{provider}" not in hass.data["webhook"]
    for entity_id in entity_ids:
        state = state_of(hass, entity_id)
        assert state.state == STATE_UNAVAILABLE, entity_id
    assert runtime.tracker._listeners == []
    assert runtime.tracker._unsub_poll is None
    if runtime.coordinator is not None:
        assert not runtime.coordinator._listeners
    assert our_timers(hass, daily=True) == []
    assert not entry.update_listeners

    # Nothing more reaches the provider.
    count = len(simulator.state.requests)
    await advance(hass, freezer, 3600)
    assert len(simulator.state.requests) == count

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    for entity_id in entity_ids:
        assert hass.states.get(entity_id) is None
        assert entity_registry.async_get(entity_id) is None


async def test_remove_entry_clears_low_balance_issue(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entry = await make_entry("infobip", options={"low_balance_threshold": 100})
    issue_id = f"low_balance_{entry.entry_id}"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_reload_twice(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    provider: str,
) -> None:
    entry = await make_entry(provider)
    entity_ids = {e.entity_id for e in entities_of(hass, entry)}
    for _ in range(2):
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED
        assert legacy_services(hass, provider) == LEGACY[provider]
        assert f"hook-{provider}" in hass.data["webhook"]
        assert {e.entity_id for e in entities_of(hass, entry)} == entity_ids
        for entity_id in entity_ids:
            state = state_of(hass, entity_id)
            assert state.state != STATE_UNAVAILABLE, entity_id
        assert len(entry.update_listeners) == 1
        assert len(entry.runtime_data.legacy_services) == len(LEGACY[provider])
    # Still sends after reloads, through the legacy service too.
    await hass.services.async_call(
        "notify", f"demo_{provider}", {"message": "Hi", "target": [ALICE]}, blocking=True
    )
    assert len(simulator.state.messages) == 1


async def test_options_change_reloads(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entry = await make_entry("infobip")
    tracker = entry.runtime_data.tracker
    hass.config_entries.async_update_entry(entry, options={**entry.options, "report_mode": "poll"})
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.tracker is not tracker


async def test_same_title_does_not_take_over_legacy_notify_services(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two accounts titled alike: the second gets no notify.<title>, the first keeps it."""
    first = await make_entry("infobip", title="Home SMS")
    second = await make_entry("sms365", title="Home SMS")
    assert hass.services.has_service("notify", "home_sms")
    assert "notify.home_sms exists already" in caplog.text
    assert await hass.config_entries.async_unload(second.entry_id)
    await hass.async_block_till_done()
    # Unloading the second account leaves the first one's service alone.
    assert hass.services.has_service("notify", "home_sms")
    assert first.runtime_data.legacy_services
