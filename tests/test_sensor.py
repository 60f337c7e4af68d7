"""Sensors: balance, Viber sender balances, last delivery status."""

import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import CoreState, HomeAssistant, State
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.sms_gateway.const import DOMAIN
from tests.conftest import ALICE, PROVIDERS, MakeEntry, RunningSimulator
from tests.outage import advance
from tests.wire import SIM_ACCOUNT, SIM_PROVIDER, send, state_of

MINUTE = 60
BALANCE_PATHS = {"infobip": "/restapi/account/1/balance", "sms365": "/api/me/balance"}


def usage_sensors(provider: str) -> set[str]:
    """Return the entity ids of an account's usage sensors."""
    keys = ("messages_today", "sms_segments_today", "messages_this_month")
    return {
        f"sensor.demo_{provider}_{key}"
        for key in (*keys, "sms_segments_this_month", "cost_this_month")
    }


def ours(caplog: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    """Return the integration's log records at or above a level."""
    return [
        r
        for r in caplog.records
        if r.name.startswith("custom_components.sms_gateway") and r.levelno >= level
    ]


def value(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


# -- what each account offers ------------------------------------------------------


def _entity_snapshot(hass: HomeAssistant, entry: MockConfigEntry) -> list[dict[str, Any]]:
    """Registry entries and states of an entry's sensors, version-independent."""
    registry = er.async_get(hass)
    items = []
    entries = er.async_entries_for_config_entry(registry, entry.entry_id)
    for reg in sorted(entries, key=lambda e: e.entity_id):
        if reg.domain != "sensor":
            continue
        state = hass.states.get(reg.entity_id)
        unique_id = reg.unique_id.replace(entry.entry_id, "<entry>")
        for subentry in entry.subentries.values():  # random ids, like the entry id
            unique_id = unique_id.replace(subentry.subentry_id, f"<{subentry.title}>")
        items.append(
            {
                "entity_id": reg.entity_id,
                "unique_id": unique_id,
                "platform": reg.platform,
                "translation_key": reg.translation_key,
                "has_entity_name": reg.has_entity_name,
                "original_name": reg.original_name,
                "original_device_class": reg.original_device_class,
                "unit_of_measurement": reg.unit_of_measurement,
                "entity_category": reg.entity_category,
                "capabilities": (
                    {str(k): v for k, v in reg.capabilities.items()} if reg.capabilities else None
                ),
                "state": state.state if state else None,
                # Plain keys: newer Home Assistant uses an EntityStateAttribute StrEnum.
                "attributes": {str(k): v for k, v in state.attributes.items()} if state else None,
            }
        )
    return items


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_entities_snapshot(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    snapshot: SnapshotAssertion,
    freezer: FrozenDateTimeFactory,
    provider: str,
) -> None:
    freezer.move_to("2026-12-03T10:00:00+00:00")  # the cost's last_reset is this month's start
    entry = await make_entry(provider)
    assert _entity_snapshot(hass, entry) == snapshot


async def test_infobip_balance_is_money(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entry = await make_entry("infobip")
    state = state_of(hass, "sensor.demo_infobip_balance")
    assert float(state.state) == simulator.state.accounts["infobip-demo"].balance == 47.79134
    assert state.attributes["unit_of_measurement"] == "EUR"
    assert state.attributes["device_class"] == "monetary"
    assert "state_class" not in state.attributes
    requests = len(simulator.state.requests)
    await send(hass, entry)
    # Refreshed right after the send, without waiting for the next poll.
    assert len(simulator.state.requests) == requests + 2
    assert simulator.state.requests[-1].path == BALANCE_PATHS["infobip"]
    balance = simulator.state.accounts["infobip-demo"].balance
    assert balance < 47.79134
    assert float(value(hass, "sensor.demo_infobip_balance")) == balance


async def test_sms365_balance_is_credits(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entry = await make_entry("sms365")
    state = state_of(hass, "sensor.demo_sms365_balance")
    assert float(state.state) == 100.0
    assert state.attributes["unit_of_measurement"] == "credits"
    assert state.attributes["state_class"] == "measurement"
    assert "device_class" not in state.attributes
    await send(hass, entry)
    assert float(value(hass, "sensor.demo_sms365_balance")) == 99.0
    assert simulator.state.accounts["sms365-demo"].balance == 99.0


async def test_voip_has_no_balance(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entry = await make_entry("voip_communications")
    assert entry.runtime_data.coordinator is None
    sensors = {
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.domain == "sensor"
    }
    assert sensors == {
        "sensor.demo_voip_communications_last_delivery_status",
        *usage_sensors("voip_communications"),
    }


async def test_viber_sender_balances(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await make_entry("sms365")
    sender = "sensor.demo_sms365_viber_balance_demoviber"
    state = state_of(hass, sender)
    assert float(state.state) == 50.0
    assert state.attributes["paused"] is False
    assert state.attributes["unit_of_measurement"] == "credits"
    assert state.attributes["friendly_name"] == "Demo sms365 Viber balance DemoViber"

    await send(hass, entry, channel="viber", sender="DemoViber")
    assert float(value(hass, sender)) == 49.0

    # A sender approved later appears at the next poll; a paused one says so.
    account = simulator.state.accounts["sms365-demo"]
    account.viber_senders["Shop"] = 10.0
    account.paused_viber_senders.append("DemoViber")
    await advance(hass, freezer, 15 * MINUTE)
    assert float(value(hass, "sensor.demo_sms365_viber_balance_shop")) == 10.0
    state = state_of(hass, sender)
    assert state.attributes["paused"] is True
    registry = er.async_get(hass)
    assert registry.async_get("sensor.demo_sms365_viber_balance_shop") is not None

    # A sender no longer on the account goes unavailable.
    del account.viber_senders["DemoViber"]
    await advance(hass, freezer, 15 * MINUTE)
    assert value(hass, sender) == STATE_UNAVAILABLE
    assert float(value(hass, "sensor.demo_sms365_viber_balance_shop")) == 10.0
    # The entity still answers for its sender id, gone or not.
    platform_entities = hass.data["entity_components"]["sensor"].entities
    [gone] = [e for e in platform_entities if e.entity_id == sender]
    assert gone.native_value is None
    assert gone.extra_state_attributes == {"paused": None}


async def test_viber_balance_failure_leaves_the_balance_available(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """viber/balance fails on its own: the SMS balance stays, Viber goes unavailable."""
    await make_entry("sms365")
    viber = "sensor.demo_sms365_viber_balance_demoviber"
    account = simulator.state.accounts["sms365-demo"]
    simulator.state.add_fault(
        kind="body", provider="sms365", path="/api/viber/balance", duration=40 * 60,
        body='{"status": 0, "error": 518, "remarks": "Message failed"}',
    )  # fmt: skip
    caplog.clear()
    account.balance = 90.0
    await advance(hass, freezer, 15 * MINUTE)
    assert float(value(hass, "sensor.demo_sms365_balance")) == 90.0
    assert value(hass, viber) == STATE_UNAVAILABLE
    await advance(hass, freezer, 15 * MINUTE)
    assert float(value(hass, "sensor.demo_sms365_balance")) == 90.0
    warnings = ours(caplog, logging.WARNING)
    assert [r.getMessage() for r in warnings] == [
        "Demo sms365: the Viber sender balances are unavailable: sms365 error 518: Message failed"
    ]
    # A Viber message still finds its sender id among the senders last known.
    await send(hass, hass.config_entries.async_entries(DOMAIN)[0], channel="viber")
    assert [m.sender for m in simulator.state.messages.values()] == ["DemoViber"]

    await advance(hass, freezer, 15 * MINUTE)
    assert float(value(hass, viber)) == 49.0
    assert "the Viber sender balances are back" in caplog.text
    assert len(ours(caplog, logging.WARNING)) == 1


async def test_account_without_viber_sender_has_a_balance(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An account with no approved Viber sender: viber/balance errs, the balance does not."""
    simulator.state.accounts["sms365-demo"].viber_senders.clear()
    entry = await make_entry("sms365")
    assert float(value(hass, "sensor.demo_sms365_balance")) == 100.0
    sensors = {
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.domain == "sensor"
    }
    assert sensors == {
        "sensor.demo_sms365_balance",
        "sensor.demo_sms365_last_delivery_status",
        *usage_sensors("sms365"),
    }
    assert any("sms365 error 503" in r.getMessage() for r in ours(caplog, logging.WARNING))
    assert not ir.async_get(hass).issues


@pytest.mark.parametrize("provider", ["infobip", "sms365"])
async def test_provider_outage_makes_balance_unavailable(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    provider: str,
) -> None:
    await make_entry(provider)
    balance = f"sensor.demo_{provider}_balance"
    path = BALANCE_PATHS[provider]
    # The provider answers 503 for 40 minutes: two polls fail, the third works.
    simulator.state.add_fault(
        kind="status", provider=SIM_PROVIDER[provider], status=503, duration=40 * 60
    )
    caplog.clear()
    await advance(hass, freezer, 15 * MINUTE)
    assert value(hass, balance) == STATE_UNAVAILABLE
    if provider == "sms365":
        assert value(hass, "sensor.demo_sms365_viber_balance_demoviber") == STATE_UNAVAILABLE
    await advance(hass, freezer, 15 * MINUTE)
    assert value(hass, balance) == STATE_UNAVAILABLE
    errors = ours(caplog, logging.WARNING)
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert errors[0].levelno == logging.ERROR
    assert sum(r.path == path for r in simulator.state.requests) == 3
    # The delivery status sensor does not depend on the balance poll.
    assert value(hass, f"sensor.demo_{provider}_last_delivery_status") == STATE_UNKNOWN

    await advance(hass, freezer, 15 * MINUTE)
    assert float(value(hass, balance)) == simulator.state.accounts[SIM_ACCOUNT[provider]].balance
    assert "recovered" in caplog.text
    errors = ours(caplog, logging.WARNING)
    assert len(errors) == 1


async def test_balance_interval_option(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    await make_entry("infobip", options={"balance_interval": 1})
    await advance(hass, freezer, 1 * MINUTE)
    await advance(hass, freezer, 1 * MINUTE)
    assert sum(r.path == BALANCE_PATHS["infobip"] for r in simulator.state.requests) == 3


async def test_auth_failure_while_running_starts_reauth(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await make_entry("infobip")
    simulator.state.accounts["infobip-demo"].password = "changed"
    await advance(hass, freezer, 15 * MINUTE)
    assert value(hass, "sensor.demo_infobip_balance") == STATE_UNAVAILABLE
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [f["context"]["source"] for f in flows] == ["reauth"]
    assert flows[0]["context"]["entry_id"] == entry.entry_id


# -- low balance --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "threshold", "shown"),
    [("infobip", 50, "47.7913 EUR"), ("sms365", 150, "100 credits")],
)
async def test_low_balance_issue(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    provider: str,
    threshold: int,
    shown: str,
) -> None:
    entry = await make_entry(provider, options={"low_balance_threshold": threshold})
    registry = ir.async_get(hass)
    issue = registry.async_get_issue(DOMAIN, f"low_balance_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "low_balance"
    assert issue.severity is ir.IssueSeverity.WARNING
    assert not issue.is_fixable
    assert issue.translation_placeholders == {
        "account": entry.title,
        "balance": shown,
        "threshold": str(threshold),
    }
    # Topped up: the issue goes away at the next refresh.
    simulator.state.accounts[SIM_ACCOUNT[provider]].balance = threshold + 100
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert registry.async_get_issue(DOMAIN, f"low_balance_{entry.entry_id}") is None
    # Spent again below the threshold: back at the next poll.
    simulator.state.accounts[SIM_ACCOUNT[provider]].balance = threshold - 1
    await advance(hass, freezer, 15 * MINUTE)
    assert registry.async_get_issue(DOMAIN, f"low_balance_{entry.entry_id}") is not None


async def test_no_low_balance_issue_without_threshold(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    simulator.state.accounts["infobip-demo"].balance = 0.01
    entry = await make_entry("infobip")
    assert ir.async_get(hass).async_get_issue(DOMAIN, f"low_balance_{entry.entry_id}") is None


# -- last delivery status -----------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_last_delivery_status_after_send(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    entry = await make_entry(provider)
    entity_id = f"sensor.demo_{provider}_last_delivery_status"
    state = state_of(hass, entity_id)
    assert state.state == STATE_UNKNOWN
    assert state.attributes["device_class"] == "enum"
    assert state.attributes["options"] == [
        "accepted",
        "scheduled",
        "pending",
        "delivered",
        "undeliverable",
        "expired",
        "rejected",
        "failed",
        "unknown",
    ]
    await send(hass, entry)
    state = state_of(hass, entity_id)
    assert state.state in ("accepted", "pending")
    [message] = list(simulator.state.messages.values())
    assert state.attributes["message_id"] == message.id
    assert state.attributes["recipient"] == ALICE
    assert state.attributes["sent_at"] is not None
    assert state.attributes["done_at"] is None
    assert state.attributes["error"] is None
    assert state.attributes["permanent"] is False
    assert "price" in state.attributes
    assert "currency" in state.attributes


RESTORED_ATTRIBUTES = {
    "message_id": "ff4804ef-6ab6-4abd-984d-ab3b1387e852",
    "recipient": ALICE,
    "sent_at": "2025-01-01T10:00:00+00:00",
    "done_at": "2025-01-01T10:00:05+00:00",
    "error": None,
    "permanent": False,
    "price": 0.01,
    "currency": "EUR",
}


async def test_last_delivery_status_restored(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entity_id = "sensor.demo_infobip_last_delivery_status"
    mock_restore_cache(
        hass,
        [
            State(
                entity_id,
                "delivered",
                {
                    **RESTORED_ATTRIBUTES,
                    "options": ["delivered"],
                    "device_class": "enum",
                    "friendly_name": "Old name",
                    "icon": "mdi:stale",
                },
            )
        ],
    )
    hass.set_state(CoreState.starting)
    entry = await make_entry("infobip")
    state = state_of(hass, entity_id)
    assert state.state == "delivered"
    for key, expected in RESTORED_ATTRIBUTES.items():
        assert state.attributes[key] == expected
    # Only what the sensor itself reports comes back.
    assert "icon" not in state.attributes
    assert state.attributes["friendly_name"] == "Demo infobip Last delivery status"
    assert len(state.attributes["options"]) == 9

    # A new message replaces the restored one.
    await send(hass, entry)
    state = state_of(hass, entity_id)
    assert state.state == "accepted"
    assert state.attributes["message_id"] != RESTORED_ATTRIBUTES["message_id"]
    assert state.attributes["done_at"] is None


async def test_last_delivery_status_not_restored_when_invalid(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entity_id = "sensor.demo_sms365_last_delivery_status"
    mock_restore_cache(hass, [State(entity_id, "bogus", RESTORED_ATTRIBUTES)])
    hass.set_state(CoreState.starting)
    await make_entry("sms365")
    state = state_of(hass, entity_id)
    assert state.state == STATE_UNKNOWN
    assert "message_id" not in state.attributes


async def test_last_delivery_status_survives_reload(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """A reload (options change) keeps showing the latest message."""
    entry = await make_entry("infobip")
    await send(hass, entry)
    before = state_of(hass, "sensor.demo_infobip_last_delivery_status")
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    after = state_of(hass, "sensor.demo_infobip_last_delivery_status")
    assert after.state == before.state == "accepted"
    assert after.attributes["message_id"] == before.attributes["message_id"]
