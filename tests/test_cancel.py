"""Scheduled messages and sms_gateway.cancel_message, end to end against the simulator.

A scheduled send answers the provider's message id; sms365 cancels it
(``sms/cancel``) and its delivery report is no longer waited for; the other
providers say clearly that they cannot. A message still waiting in the outbox
(the provider is down) is dropped there and never sent, even when the provider
comes back.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateway import outbox as outbox_module
from custom_components.sms_gateway.outbox import BACKOFF_BASE, Outbox
from tests.conftest import ALICE, BOB, PROVIDERS, MakeEntry, RunningSimulator
from tests.outage import advance
from tests.wire import SIM_ACCOUNT, SIM_PROVIDER, delivered, sends

DOMAIN = "sms_gateway"
FOREVER = 10**6
SMS365_CANCEL = "/api/sms/cancel"


@pytest.fixture(autouse=True)
def _deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """No jitter: retry times are exact."""
    monkeypatch.setattr(outbox_module.random, "uniform", lambda _a, _b: 1.0)


async def send(
    hass: HomeAssistant, entry: MockConfigEntry, target: str, message: str, **extra: Any
) -> dict[str, Any]:
    """Send to one recipient through the action; return its result."""
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"config_entry_id": entry.entry_id, "target": [target], "message": message, **extra},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    (result,) = response["results"]  # type: ignore[misc]
    return dict(result)


async def cancel(hass: HomeAssistant, entry: MockConfigEntry, message_id: str) -> dict[str, Any]:
    """Cancel a message through the action; return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        "cancel_message",
        {"config_entry_id": entry.entry_id, "message_id": message_id},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


def outbox_of(entry: MockConfigEntry) -> Outbox:
    """Return an entry's outbox."""
    box: Outbox = entry.runtime_data.outbox
    return box


async def stored_ids(
    hass: HomeAssistant, hass_storage: dict[str, Any], entry: MockConfigEntry
) -> list[str]:
    """Return the ids of the messages the outbox has on disk."""
    data = hass_storage.get(f"{DOMAIN}.{entry.entry_id}.outbox")
    return [] if data is None else [m["id"] for m in data["data"]["messages"]]


def in_an_hour() -> str:
    """Return a send time an hour from now (beyond any provider's cancel grace)."""
    return (dt_util.utcnow() + timedelta(hours=1)).replace(microsecond=0).isoformat()


async def wait_for(condition: Any, timeout: float = 5.0) -> None:
    """Wait (bounded) until a condition holds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


# -- scheduled at the provider -------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_scheduled_send_returns_the_providers_id(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """send_message with send_at answers the id the provider keeps the message under."""
    entry = await make_entry(provider)
    result = await send(hass, entry, ALICE, "Later", send_at=in_an_hour())
    assert result["status"] == "scheduled"
    (message,) = delivered(simulator, provider)
    assert message.status == "scheduled"
    assert result["message_id"] == message.id
    assert outbox_of(entry).queue == {}


async def test_sms365_cancels_a_scheduled_message(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """sms/cancel with the id send_message gave; its report is no longer waited for."""
    entry = await make_entry("sms365")
    account = simulator.state.accounts[SIM_ACCOUNT["sms365"]]
    before = account.balance
    result = await send(hass, entry, ALICE, "Later", send_at=in_an_hour())
    message_id = result["message_id"]
    tracker = entry.runtime_data.tracker
    assert message_id in tracker.pending
    assert account.balance < before

    assert await cancel(hass, entry, message_id) == {
        "message_id": message_id,
        "status": "canceled",
        "where": "provider",
    }
    (request,) = [r for r in simulator.state.requests if r.path == SMS365_CANCEL]
    assert request.form is not None
    assert request.form["smsId"] == [message_id]
    assert simulator.state.messages[message_id].status == "canceled"
    assert account.balance == before  # the simulator refunds a canceled message
    assert message_id not in tracker.pending
    assert tracker._unsub_poll is None  # nothing waits: no more polls

    # Canceled once: the provider no longer knows it.
    with pytest.raises(ServiceValidationError) as caught:
        await cancel(hass, entry, message_id)
    assert caught.value.translation_key == "cancel_not_found"
    assert caught.value.translation_placeholders is not None
    assert caught.value.translation_placeholders["message_id"] == message_id


@pytest.mark.parametrize("provider", ["infobip", "voip_communications"])
async def test_cancel_not_supported_at_the_provider(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """Providers without a cancel API: a clear error; the message stays scheduled."""
    entry = await make_entry(provider)
    result = await send(hass, entry, ALICE, "Later", send_at=in_an_hour())
    requests = len(simulator.state.requests)
    with pytest.raises(ServiceValidationError) as caught:
        await cancel(hass, entry, result["message_id"])
    assert caught.value.translation_key == "cancel_not_supported"
    assert caught.value.translation_placeholders == {"account": f"Demo {provider}"}
    assert len(simulator.state.requests) == requests
    (message,) = delivered(simulator, provider)
    assert message.status == "scheduled"


@pytest.mark.parametrize("message_id", ["123456789012345", "not-an-id"])
async def test_sms365_unknown_message(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, message_id: str
) -> None:
    """An id the provider does not know (109) or cannot read (108): the caller's mistake."""
    entry = await make_entry("sms365")
    with pytest.raises(ServiceValidationError) as caught:
        await cancel(hass, entry, message_id)
    assert caught.value.translation_key == "cancel_not_found"
    assert caught.value.translation_placeholders is not None
    assert caught.value.translation_placeholders["account"] == "Demo sms365"


async def test_sms365_too_late_to_cancel(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """Due within a minute: the provider refuses (111); the message goes out as planned."""
    entry = await make_entry("sms365")
    soon = (dt_util.utcnow() + timedelta(seconds=30)).isoformat()
    result = await send(hass, entry, ALICE, "Soon", send_at=soon)
    with pytest.raises(HomeAssistantError) as caught:
        await cancel(hass, entry, result["message_id"])
    assert not isinstance(caught.value, ServiceValidationError)
    assert caught.value.translation_key == "rejected"
    assert simulator.state.messages[result["message_id"]].status == "scheduled"
    assert result["message_id"] in entry.runtime_data.tracker.pending


async def test_sms365_cancel_while_the_provider_is_down(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """sms/cancel cannot reach the provider: its error, and the report is still awaited."""
    entry = await make_entry("sms365")
    result = await send(hass, entry, ALICE, "Later", send_at=in_an_hour())
    simulator.state.add_fault(kind="status", provider="sms365", path=SMS365_CANCEL, status=503)
    with pytest.raises(HomeAssistantError) as caught:
        await cancel(hass, entry, result["message_id"])
    assert caught.value.translation_key == "provider_unavailable"
    assert result["message_id"] in entry.runtime_data.tracker.pending
    assert (await cancel(hass, entry, result["message_id"]))["where"] == "provider"


# -- still in the outbox ---------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_cancel_a_message_queued_while_the_provider_is_down(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    provider: str,
) -> None:
    """Dropped from the outbox (and its storage); never sent when the provider is back."""
    entry = await make_entry(provider)
    sim = SIM_PROVIDER[provider]
    simulator.state.add_fault(kind="status", provider=sim, status=503, count=FOREVER)
    canceled = await send(hass, entry, ALICE, "Never")
    kept = await send(hass, entry, BOB, "Still")
    assert canceled["status"] == kept["status"] == "queued"
    box = outbox_of(entry)
    assert set(box.queue) == {canceled["message_id"], kept["message_id"]}

    assert await cancel(hass, entry, canceled["message_id"]) == {
        "message_id": canceled["message_id"],
        "status": "canceled",
        "where": "outbox",
    }
    assert set(box.queue) == {kept["message_id"]}
    assert await stored_ids(hass, hass_storage, entry) == [kept["message_id"]]

    # The provider comes back and every retry comes due: only the other one goes out.
    simulator.state.faults.clear()
    await advance(hass, freezer, 10 * BACKOFF_BASE)
    await advance(hass, freezer, 3600)
    assert [m.text for m in delivered(simulator, provider)] == ["Still"]
    assert [r for r in sends(simulator) if "Never" in r.body and r.status == 200] == []
    assert box.queue == {}

    # Gone: the id is no message of the outbox any more, nor one the provider knows.
    with pytest.raises(ServiceValidationError):
        await cancel(hass, entry, canceled["message_id"])


async def test_cancel_a_queued_scheduled_message(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A scheduled send that could not reach sms365 is canceled in the outbox, not at sms365."""
    entry = await make_entry("sms365")
    simulator.state.add_fault(kind="status", provider="sms365", status=503, count=FOREVER)
    result = await send(hass, entry, ALICE, "Later", send_at=in_an_hour())
    assert result["status"] == "queued"
    assert (await cancel(hass, entry, result["message_id"]))["where"] == "outbox"
    assert await stored_ids(hass, hass_storage, entry) == []
    simulator.state.faults.clear()
    await advance(hass, freezer, 2 * 3600)
    assert delivered(simulator, "sms365") == []
    assert [r for r in simulator.state.requests if r.path == SMS365_CANCEL] == []


async def test_a_message_being_sent_cannot_be_canceled(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """While the request carrying it is under way the outbox cannot take it back."""
    entry = await make_entry("sms365")
    simulator.state.add_fault(kind="latency", provider="sms365", path="/api/sms/send", latency=0.5)
    box = outbox_of(entry)
    task = hass.async_create_task(send(hass, entry, ALICE, "On its way"))
    await wait_for(lambda: bool(box.queue))
    (message_id,) = box.queue
    with pytest.raises(ServiceValidationError) as caught:
        await cancel(hass, entry, message_id)
    assert caught.value.translation_key == "cancel_in_flight"
    assert caught.value.translation_placeholders == {
        "account": "Demo sms365",
        "message_id": message_id,
    }
    assert (await task)["status"] == "accepted"
    assert [m.text for m in delivered(simulator, "sms365")] == ["On its way"]


async def test_a_message_picked_by_a_retry_round_cannot_be_canceled(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """A retry round picked the message (it probes the provider first): too late to cancel."""
    entry = await make_entry("sms365")
    simulator.state.add_fault(kind="status", provider="sms365", status=503)
    result = await send(hass, entry, ALICE, "Retried")
    box = outbox_of(entry)
    assert result["status"] == "queued"
    box.queue[result["message_id"]].next_attempt = 0.0  # due now
    simulator.state.add_fault(
        kind="latency", provider="sms365", path="/api/me/balance", latency=0.5
    )
    task = hass.async_create_task(box.async_process_due())
    await wait_for(lambda: any(r.path == "/api/me/balance" for r in simulator.state.requests))
    assert not box.queue[result["message_id"]].in_flight  # still waiting for the probe
    with pytest.raises(ServiceValidationError) as caught:
        await cancel(hass, entry, result["message_id"])
    assert caught.value.translation_key == "cancel_in_flight"
    await task
    assert [m.text for m in delivered(simulator, "sms365")] == ["Retried"]
    assert box.queue == {}
    assert await hass.config_entries.async_unload(entry.entry_id)
