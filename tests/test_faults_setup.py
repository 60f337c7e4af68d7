"""Faults homes really have: booting before the router, failed setups, unbounded tracking.

* After a power cut Home Assistant often starts before the internet is back:
  the account must load anyway, queue what is sent meanwhile, receive what the
  provider pushes, and fetch the balance when the provider answers again.
* Whatever makes a setup fail must leave nothing running behind it.
* Messages waiting for a delivery report that never comes are forgotten.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import webhook
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from yarl import URL

from custom_components.sms_gateway import reports
from custom_components.sms_gateway.const import (
    DOMAIN,
    EVENT_DELIVERY_REPORT,
    EVENT_MESSAGE_RECEIVED,
    REPORT_WAIT_HOURS,
)
from custom_components.sms_gateway.inbound import InboundDispatcher
from custom_components.sms_gateway.outbox import Outbox
from custom_components.sms_gateway.providers import DeliveryStatus, SendResult, StatusDetail
from custom_components.sms_gateway.webhook import _async_handle_webhook
from simulator import demo
from tests.conftest import ALICE, PROVIDERS, RunningSimulator, provider_data, recipient_subentry
from tests.outage import advance, closed_port, our_timers
from tests.wire import (
    SIM_ACCOUNT,
    SIM_PROVIDER,
    legacy_services,
    refuse_credentials,
    send_results,
    state_of,
)

SECRETS = (
    demo.INFOBIP_PASSWORD,
    demo.SMS365_API_KEY,
    demo.VOIP_API_KEY,
    demo.VOIP_API_PASSWORD,
)
FOREVER = 1_000_000  # a fault's count: until the test removes it
HOUR = 3600  # seconds
BALANCE_INTERVAL = 15 * 60  # seconds: the default balance refresh
REPORT_PATHS = {"infobip": "/restapi/sms/1/reports", "sms365": "/api/status/get"}


# -- helpers ----------------------------------------------------------------------------


def add_entry(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    provider: str,
    *,
    url: str | None = None,
    options: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """Add (without setting up) a demo account, at the simulator or at ``url``."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=f"Demo {provider}",
        data={**provider_data(provider, url or simulator.url), "webhook_id": f"hook-{provider}"},
        options={"default_country": "GR", **(options or {})},
        unique_id=f"{provider}:demo",
        subentries_data=[recipient_subentry("Alice", ALICE)],
    )
    entry.add_to_hass(hass)
    return entry


def provider_is_back(entry: MockConfigEntry, simulator: RunningSimulator) -> None:
    """The internet is back: the account's client reaches the simulator again."""
    client = entry.runtime_data.client
    client._base_url = str(URL(client._base_url).with_port(URL(simulator.url).port))


def balance_entity(provider: str) -> str:
    return f"sensor.demo_{provider}_balance"


def has_balance(provider: str) -> bool:
    return provider != "voip_communications"


def texts(simulator: RunningSimulator) -> list[str]:
    """Return the texts of the messages the simulator accepted."""
    return [m.text for m in simulator.state.messages.values()]


# What each provider pushes to the webhook, and the event it gives.
INFOBIP_INBOUND = {
    "results": [
        {
            "messageId": "mo-outage",
            "from": "306971234561",
            "to": "41793026727",
            "text": "HOME now",
            "cleanText": "",
            "keyword": "",
            "receivedAt": "2025-05-01T10:20:30.000+0000",
            "smsCount": 1,
        }
    ]
}
VOIP_INBOUND = {
    "from": "306971234561",
    "to": "17134567890",
    "msg": "Home now",
    "smsid": "v-outage",
    "date": "2025-05-01 10:20:30",
}
SMS365_CALLBACK = {
    "msgid": "123456789012345",
    "status": "d",
    "cost": "1",
    "to": "306971234561",
    "mcc": "202",
    "mnc": "01",
}


async def push(hass_client: Any, provider: str) -> tuple[int, str]:
    """Push what the provider would to the webhook; return (HTTP status, event type)."""
    url = f"/api/webhook/hook-{provider}"
    if provider == "infobip":
        response = await hass_client.post(url, json=INFOBIP_INBOUND)
        return response.status, EVENT_MESSAGE_RECEIVED
    if provider == "sms365":
        response = await hass_client.get(url, params=SMS365_CALLBACK)
        return response.status, EVENT_DELIVERY_REPORT
    response = await hass_client.post(url, data=VOIP_INBOUND)
    return response.status, EVENT_MESSAGE_RECEIVED


# -- 1. booting while the provider is unreachable ----------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_boot_without_internet_loads_queues_and_delivers_once(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    provider: str,
) -> None:
    """No connection at boot: loaded, balance unavailable, sends queued, sent once when back."""
    entry = add_entry(hass, simulator, provider, url=f"http://127.0.0.1:{closed_port()}")
    with caplog.at_level(logging.DEBUG, logger="custom_components.sms_gateway"):
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert f"hook-{provider}" in hass.data["webhook"]
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    if has_balance(provider):
        state = state_of(hass, balance_entity(provider))
        assert state.state == STATE_UNAVAILABLE
    else:
        assert caplog.text.count("loading the account anyway") == 1
    for secret in SECRETS:
        assert secret not in caplog.text

    [result] = await send_results(hass, entry, ALICE, message="sent during the outage")
    assert result["status"] == "queued"
    await advance(hass, freezer, 30)  # retried, still down
    assert texts(simulator) == []

    provider_is_back(entry, simulator)
    await advance(hass, freezer, BALANCE_INTERVAL)
    assert texts(simulator) == ["sent during the outage"]
    if has_balance(provider):
        state = state_of(hass, balance_entity(provider))
        assert state.state != STATE_UNAVAILABLE
    # Never twice, however long we wait.
    for _ in range(4):
        await advance(hass, freezer, BALANCE_INTERVAL)
    assert texts(simulator) == ["sent during the outage"]
    assert not entry.runtime_data.outbox.queue
    if has_balance(provider):
        state = state_of(hass, balance_entity(provider))
        assert float(state.state) == simulator.state.accounts[SIM_ACCOUNT[provider]].balance


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    "fault", [{"kind": "status", "status": 503}, {"kind": "drop"}, {"kind": "html"}]
)
async def test_boot_while_provider_fails_loads_and_refreshes_later(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    provider: str,
    fault: dict[str, Any],
) -> None:
    """The provider answers 503 or HTML, or drops the connection, at boot: loaded all the same."""
    rule = simulator.state.add_fault(provider=SIM_PROVIDER[provider], count=FOREVER, **fault)
    entry = add_entry(hass, simulator, provider)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert rule.hits >= 1
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    if not has_balance(provider):
        return
    state = state_of(hass, balance_entity(provider))
    assert state.state == STATE_UNAVAILABLE
    await advance(hass, freezer, BALANCE_INTERVAL)  # still failing
    state = state_of(hass, balance_entity(provider))
    assert state.state == STATE_UNAVAILABLE

    simulator.state.faults.clear()
    await advance(hass, freezer, BALANCE_INTERVAL)
    state = state_of(hass, balance_entity(provider))
    assert float(state.state) == simulator.state.accounts[SIM_ACCOUNT[provider]].balance
    if provider == "sms365":
        # The Viber sender sensors come with the first balance.
        sender = state_of(hass, "sensor.demo_sms365_viber_balance_demoviber")
        assert sender.state != STATE_UNAVAILABLE


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_push_during_outage_is_received(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    provider: str,
) -> None:
    """A delivery report or an SMS pushed while the provider cannot be polled is handled."""
    entry = add_entry(hass, simulator, provider, url=f"http://127.0.0.1:{closed_port()}")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    reports_fired = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    status, event_type = await push(client, provider)
    await hass.async_block_till_done()
    assert status == 200
    fired = events if event_type == EVENT_MESSAGE_RECEIVED else reports_fired
    assert [e.data["config_entry_id"] for e in fired] == [entry.entry_id]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_push_while_setting_up_is_received(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    hass_client_no_auth: ClientSessionGenerator,
    provider: str,
) -> None:
    """The provider pushes while the account still waits for its first answer."""
    for component in ("http", "webhook", "repairs", DOMAIN):
        assert await async_setup_component(hass, component, {})
    client = await hass_client_no_auth()
    # The first request of the setup (balance or credential check) is slow.
    rule = simulator.state.add_fault(
        kind="latency", provider=SIM_PROVIDER[provider], latency=1.0, count=1
    )
    entry = add_entry(hass, simulator, provider)
    setup = hass.async_create_task(hass.config_entries.async_setup(entry.entry_id))
    async with asyncio.timeout(5):
        while not rule.hits:  # the setup now waits for the provider's answer
            await asyncio.sleep(0.01)
    assert entry.state is ConfigEntryState.SETUP_IN_PROGRESS
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    reports_fired = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    status, event_type = await push(client, provider)
    assert status == 200
    fired = events if event_type == EVENT_MESSAGE_RECEIVED else reports_fired
    assert [e.data["config_entry_id"] for e in fired] == [entry.entry_id]
    assert await setup
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_refused_credentials_at_boot_still_stop_setup(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str
) -> None:
    """Only refused credentials keep an account from loading: reauth, nothing left running."""
    refuse_credentials(simulator, provider)
    entry = add_entry(hass, simulator, provider)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    [flow] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert flow["context"]["entry_id"] == entry.entry_id
    assert f"hook-{provider}" not in hass.data.get("webhook", {})
    assert our_timers(hass) == []
    assert legacy_services(hass, provider) == set()


# -- 2. a failed setup leaves nothing running -----------------------------------------------


@pytest.fixture
def broken_outbox_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """An outbox store that cannot be read (written by another version, say)."""

    async def fail(self: Outbox) -> None:
        raise RuntimeError("stored by a newer version")

    monkeypatch.setattr(Outbox, "async_load", fail)


@pytest.mark.usefixtures("broken_outbox_store")
@pytest.mark.parametrize("provider", PROVIDERS)
async def test_failed_setup_leaves_nothing_running(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    provider: str,
) -> None:
    entry = add_entry(hass, simulator, provider)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert f"hook-{provider}" not in hass.data.get("webhook", {})
    assert our_timers(hass) == []
    assert legacy_services(hass, provider) == set()
    # Nothing reaches the provider any more.
    count = len(simulator.state.requests)
    await advance(hass, freezer, HOUR)
    assert len(simulator.state.requests) == count


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_failure_after_platforms_unloads_them(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
    provider: str,
) -> None:
    """A failure late in the setup: the entities, pollers and timers go too."""

    def fail(self: InboundDispatcher) -> None:
        raise RuntimeError("late failure")

    monkeypatch.setattr(InboundDispatcher, "async_start_polling", fail)
    entry = add_entry(hass, simulator, provider)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert f"hook-{provider}" not in hass.data.get("webhook", {})
    for state in hass.states.async_all():
        if state.entity_id.startswith(("sensor.demo_", "event.demo_", "notify.alice")):
            assert state.state == STATE_UNAVAILABLE, state.entity_id
    assert our_timers(hass) == []
    assert legacy_services(hass, provider) == set()
    assert not entry.update_listeners
    count = len(simulator.state.requests)
    await advance(hass, freezer, HOUR)
    assert len(simulator.state.requests) == count


async def test_failure_while_forwarding_platforms(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Even when unloading the half-set-up platforms fails, the rest is stopped."""

    async def fail_forward(*_args: Any) -> None:
        raise RuntimeError("a platform broke")

    async def fail_unload(*_args: Any) -> bool:
        raise ValueError("Config entry was never loaded!")

    monkeypatch.setattr(hass.config_entries, "async_forward_entry_setups", fail_forward)
    monkeypatch.setattr(hass.config_entries, "async_unload_platforms", fail_unload)
    entry = add_entry(hass, simulator, "infobip")
    with caplog.at_level(logging.DEBUG, logger="custom_components.sms_gateway"):
        assert not await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert "unloading after a failed setup failed" in caplog.text
    assert "hook-infobip" not in hass.data.get("webhook", {})
    assert our_timers(hass) == []


@pytest.mark.usefixtures("broken_outbox_store")
async def test_webhook_of_failed_account_answers_404(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """A push reaching an account whose setup failed is not applied to its leftovers."""
    entry = add_entry(hass, simulator, "infobip")
    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    # Registered again by hand (as a stray registration would be).
    webhook.async_register(hass, DOMAIN, "stray", "hook-infobip", _async_handle_webhook)
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    status, _ = await push(client, "infobip")
    assert status == 404
    assert not events
    webhook.async_unregister(hass, "hook-infobip")


# -- 3. the delivery tracker stays bounded ----------------------------------------------------


async def test_no_tracking_without_delivery_reports(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """voip-communications has no delivery reports: nothing waits for one."""
    entry = add_entry(hass, simulator, "voip_communications")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    tracker = entry.runtime_data.tracker
    for index in range(100):
        [result] = await send_results(hass, entry, ALICE, message=f"message {index}")
        assert result["status"] == "accepted"
    assert len(simulator.state.messages) == 100
    assert tracker.pending == {}
    assert tracker.last is not None  # the last status is still known
    assert our_timers(hass) == []


@pytest.mark.parametrize("provider", ["infobip", "sms365"])
async def test_push_reports_that_never_come_are_forgotten(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    provider: str,
) -> None:
    await hass.config.async_update(external_url="https://ha.example.com")
    simulator.state.report_delay = 10 * 24 * 3600  # the reports never come
    entry = add_entry(hass, simulator, provider)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    tracker = entry.runtime_data.tracker
    assert tracker.mode == "push"
    for index in range(3):
        await send_results(hass, entry, ALICE, message=f"message {index}")
    assert len(tracker.pending) == 3

    await advance(hass, freezer, (REPORT_WAIT_HOURS - 1) * HOUR)
    assert len(tracker.pending) == 3  # still waiting within the bound
    await advance(hass, freezer, 2 * HOUR + 1)
    assert tracker.pending == {}
    assert not [h for h in our_timers(hass) if "DeliveryTracker" in repr(h)]
    # Reports are never pulled in push mode.
    assert not [r for r in simulator.state.requests if r.path == REPORT_PATHS[provider]]
    simulator.state.cancel_timers()


@pytest.mark.parametrize("mode", ["push", "poll"])
async def test_pending_is_capped_oldest_first(
    hass: HomeAssistant, simulator: RunningSimulator, mode: str
) -> None:
    if mode == "push":
        await hass.config.async_update(external_url="https://ha.example.com")
    entry = add_entry(hass, simulator, "infobip")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    tracker = entry.runtime_data.tracker
    assert tracker.mode == mode
    cap = reports.MAX_PENDING
    accepted = StatusDetail(DeliveryStatus.ACCEPTED)
    tracker.track_sent(
        [SendResult(recipient=ALICE, status=accepted, message_id=f"m{i}") for i in range(cap)]
    )
    assert len(tracker.pending) == cap
    tracker.track_sent(
        [SendResult(recipient=ALICE, status=accepted, message_id=f"n{i}") for i in range(10)]
    )
    assert len(tracker.pending) == cap
    assert "m0" not in tracker.pending
    assert "m9" not in tracker.pending
    assert "m10" in tracker.pending
    assert "n9" in tracker.pending
    # Refused or already final: nothing to wait for.
    tracker.track_sent(
        [
            SendResult(recipient=ALICE, status=StatusDetail(status), message_id=f"final-{status}")
            for status in (DeliveryStatus.REJECTED, DeliveryStatus.DELIVERED)
        ]
    )
    assert not [m for m in tracker.pending if m.startswith("final-")]
    assert "n9" in tracker.pending
    assert await hass.config_entries.async_unload(entry.entry_id)
