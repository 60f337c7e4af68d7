"""The outbox: nothing lost, nothing sent twice (simulator fault injection, frozen time)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
import logging
import time
from typing import Any

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.sms_gateway import outbox as outbox_module
from custom_components.sms_gateway.outbox import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    FAILOVER_GRACE,
    MAX_CONCURRENT_REQUESTS,
    Outbox,
    backoff,
    core as outbox_core,
)
from simulator import app as simulator_app
from simulator.state import Message
from tests.conftest import ALICE, BOB, MakeEntry, RunningSimulator
from tests.outage import advance, refuse_connections
from tests.wire import NO_LIMITS, SIM_PROVIDER as SIM, reauth_flows, sends as send_requests

DOMAIN = "sms_gateway"
EVENT = "sms_gateway_delivery_report"
FOREVER = 10**6  # a fault count that outlasts any test


@pytest.fixture(autouse=True)
def _deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """No jitter: retry times are exact."""
    monkeypatch.setattr(outbox_module.random, "uniform", lambda _a, _b: 1.0)


# -- helpers ------------------------------------------------------------------------------


def accepted(simulator: RunningSimulator) -> list[Message]:
    """Return what the provider accepted for sending (not what it rejected)."""
    return [m for m in simulator.state.messages.values() if m.status != "rejected"]


def outbox_of(entry: MockConfigEntry) -> Outbox:
    """Return an entry's outbox."""
    box: Outbox = entry.runtime_data.outbox
    return box


async def stored(
    hass: HomeAssistant, hass_storage: dict[str, Any], entry: MockConfigEntry
) -> list[dict[str, Any]]:
    """Return the messages the outbox has written to storage (pending writes flushed)."""
    if entry.state is ConfigEntryState.LOADED:
        await outbox_of(entry).async_flush()
    data = hass_storage.get(f"{DOMAIN}.{entry.entry_id}.outbox")
    if data is None:
        return []
    messages: list[dict[str, Any]] = data["data"]["messages"]
    return messages


async def assert_nothing_queued(
    hass: HomeAssistant, hass_storage: dict[str, Any], entry: MockConfigEntry
) -> None:
    """Nothing waits in the outbox: neither in memory nor in storage."""
    assert outbox_of(entry).queue == {}
    assert (await stored(hass, hass_storage, entry)) == []


async def send(
    hass: HomeAssistant, entry: MockConfigEntry, target: Any, message: str, **extra: Any
) -> dict[str, Any]:
    """Call the action and return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        "send_message",
        {"config_entry_id": entry.entry_id, "target": target, "message": message, **extra},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


def issue(hass: HomeAssistant, issue_id: str) -> ir.IssueEntry | None:
    """Return one of our repair issues."""
    return ir.async_get(hass).async_get_issue(DOMAIN, issue_id)


def number(index: int) -> str:
    """Return a distinct deliverable number (never ending in 0 or 9)."""
    return f"+3069712{index:04d}1"


# -- unit level -------------------------------------------------------------------------------


def test_backoff_grows_is_capped_and_honours_retry_after() -> None:
    assert [backoff(n, None) for n in (0, 1, 2, 3)] == [5.0, 5.0, 10.0, 20.0]
    assert backoff(30, None) == BACKOFF_MAX
    assert backoff(1, 7.0) == 7.0
    assert backoff(3, 7.0) == 20.0


def test_backoff_jitter_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()
    for attempts in range(1, 12):
        base = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (attempts - 1))
        for _ in range(20):
            assert 0.8 * base <= backoff(attempts, None) <= 1.2 * base


# -- outage: every message delivered once ----------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "outage"),
    [("infobip", "drop"), ("sms365", "refused"), ("voip_communications", "503")],
)
async def test_outage_every_message_delivered_once(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    provider: str,
    outage: str,
) -> None:
    """100 messages during an outage: all delivered after recovery, each exactly once."""
    entry = await make_entry(provider)
    restore: Callable[[], None] = lambda: None  # noqa: E731
    if outage == "drop":  # connection reset after sending: ambiguous, safe on Infobip
        simulator.state.add_fault(kind="drop", provider=SIM[provider], count=FOREVER)
    elif outage == "refused":
        restore = refuse_connections(entry)
    else:
        simulator.state.add_fault(kind="status", provider=SIM[provider], status=503, count=FOREVER)

    events = async_capture_events(hass, EVENT)
    total = 100
    for index in range(total):
        response = await send(hass, entry, number(index), f"outage message {index}")
        (item,) = response["results"]
        assert item["status"] == "queued"
        assert item["error"] is None
    assert accepted(simulator) == []
    box = outbox_of(entry)
    assert len(box.queue) == total
    assert len(await stored(hass, hass_storage, entry)) == total

    await advance(hass, freezer, BACKOFF_BASE)  # still down: a second attempt each
    assert accepted(simulator) == []
    assert len(box.queue) == total

    simulator.state.faults.clear()
    restore()
    await advance(hass, freezer, 2 * BACKOFF_BASE)

    delivered = accepted(simulator)
    texts = Counter(m.text for m in delivered)
    sent_texts = {f"outage message {index}" for index in range(total)}
    lost = sent_texts - set(texts)
    duplicates = sum(count - 1 for count in texts.values())
    print(  # noqa: T201 - the numbers the report quotes
        f"OUTAGE {provider}/{outage}: sent={total} delivered={len(set(texts))}"
        f" lost={len(lost)} duplicates={duplicates}"
    )
    assert not lost
    assert duplicates == 0
    assert len(delivered) == total
    assert {m.to for m in delivered} == {number(i).lstrip("+") for i in range(total)}
    assert box.queue == {}
    assert (await stored(hass, hass_storage, entry)) == []
    assert Counter(e.data["status"] for e in events) == {"accepted": total}
    if provider == "infobip":
        # Retries carried the same messageId: the one the provider kept.
        ids = {m.id for m in delivered}
        assert {e.data["message_id"] for e in events} == ids


async def test_restart_mid_outage(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """Queue 50, stop, recover, start: all 50 delivered once."""
    entry = await make_entry("sms365")
    simulator.state.add_fault(kind="status", provider="sms365", status=503, count=FOREVER)
    for index in range(50):
        await send(hass, entry, number(index), f"restart message {index}")
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert len(await stored(hass, hass_storage, entry)) == 50
    assert all(m["state"] == "queued" for m in await stored(hass, hass_storage, entry))

    await advance(hass, freezer, 3600)  # stopped: nothing happens
    assert accepted(simulator) == []
    simulator.state.faults.clear()

    assert await hass.config_entries.async_setup(entry.entry_id)
    await advance(hass, freezer, 0)
    texts = Counter(m.text for m in accepted(simulator))
    assert texts == Counter({f"restart message {index}": 1 for index in range(50)})
    await assert_nothing_queued(hass, hass_storage, entry)


def _store_outbox(hass_storage: dict[str, Any], entry: MockConfigEntry, messages: list[Any]) -> str:
    """Write an outbox as an earlier run left it (storage version 1); return its storage key."""
    key = f"{DOMAIN}.{entry.entry_id}.outbox"
    hass_storage[key] = {
        "version": 1,
        "minor_version": 1,
        "key": key,
        "data": {"messages": messages},
    }
    return key


def _stored_message(message_id: str, *, in_flight: bool, created: float) -> dict[str, Any]:
    return {
        "id": message_id,
        "group": "g1",
        "recipient": ALICE,
        "text": "interrupted",
        "sender": None,
        "channel": "sms",
        "created": created,
        "viber": None,
        "send_at": None,
        "notify_url": None,
        "callback_data": None,
        "attempts": 1,
        "next_attempt": 0.0,
        "in_flight": in_flight,
        "last_error": None,
    }


async def test_in_flight_at_restart_infobip_is_resent_once(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Stopped mid-request on Infobip: resent with the same id; the provider keeps one."""
    entry = await make_entry("infobip", setup=False)
    _store_outbox(
        hass_storage,
        entry,
        [_stored_message("reached0provider", in_flight=True, created=dt_util.utcnow().timestamp())],
    )
    # The interrupted request had reached the provider.
    simulator.state.create_message(
        simulator.state.accounts["infobip-demo"], to=ALICE.lstrip("+"), text="interrupted",
        message_id="reached0provider",
    )  # fmt: skip
    events = async_capture_events(hass, EVENT)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    (request,) = send_requests(simulator)
    assert request.json["messages"][0]["destinations"] == [
        {"to": ALICE.lstrip("+"), "messageId": "reached0provider"}
    ]
    assert [m.id for m in accepted(simulator)] == ["reached0provider"]
    assert [(e.data["message_id"], e.data["status"]) for e in events] == [
        ("reached0provider", "accepted")
    ]
    assert outbox_of(entry).queue == {}
    assert issue(hass, f"delivery_unknown_{entry.entry_id}") is None


@pytest.mark.parametrize("provider", ["sms365", "voip_communications"])
async def test_in_flight_at_restart_without_idempotency_is_unknown(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_storage: dict[str, Any],
    provider: str,
) -> None:
    """Stopped mid-request without an idempotency key: unknown, not resent, repair issue."""
    entry = await make_entry(provider, setup=False)
    now = dt_util.utcnow().timestamp()
    _store_outbox(
        hass_storage,
        entry,
        [
            _stored_message("maybe", in_flight=True, created=now),
            {**_stored_message("waiting", in_flight=False, created=now), "recipient": BOB},
        ],
    )
    events = async_capture_events(hass, EVENT)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    # Only the message that was waiting (not under way) is sent.
    assert [m.to for m in accepted(simulator)] == [BOB.lstrip("+")]
    statuses = {(e.data["message_id"], e.data["status"]) for e in events}
    assert ("maybe", "unknown") in statuses
    found = issue(hass, f"delivery_unknown_{entry.entry_id}")
    assert found is not None
    assert found.is_fixable
    assert found.translation_placeholders == {
        "account": entry.title,
        "count": "1",
        "recipients": ALICE,
    }
    assert (await stored(hass, hass_storage, entry)) == []


# -- ambiguous failures ---------------------------------------------------------------------------


async def _send_into_timeout(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    provider: str,
) -> asyncio.Task[dict[str, Any]]:
    """Send while the provider accepts but answers too late; let the client time out."""
    simulator.state.add_fault(kind="timeout", provider=SIM[provider], seconds=60)
    task = hass.async_create_task(send(hass, entry, ["Alice", "Bob"], "maybe twice"))
    for _ in range(100_000):  # loop time stands still: yield, don't sleep
        if send_requests(simulator) and simulator.state.messages:
            break
        await asyncio.sleep(0)
    assert len(simulator.state.messages) == 2  # the provider did accept them
    freezer.tick(timedelta(seconds=21))
    async_fire_time_changed(hass)  # the client gives up after 20 s
    for _ in range(100_000):
        if task.done():
            break
        await asyncio.sleep(0)
    return task


async def test_ambiguous_timeout_infobip_retried_with_same_ids(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await make_entry("infobip")
    events = async_capture_events(hass, EVENT)
    task = await _send_into_timeout(hass, simulator, freezer, entry, "infobip")
    response = await task
    assert [i["status"] for i in response["results"]] == ["queued", "queued"]
    await advance(hass, freezer, 60)  # the retry (and the late answer) come
    first, second = send_requests(simulator)
    assert first.json == second.json  # the same messageIds
    ids = [d["messageId"] for d in first.json["messages"][0]["destinations"]]
    assert sorted(m.id for m in accepted(simulator)) == sorted(ids)
    assert len(accepted(simulator)) == 2  # not delivered twice
    assert sorted((e.data["message_id"], e.data["status"]) for e in events) == sorted(
        (message_id, "accepted") for message_id in ids
    )
    assert outbox_of(entry).queue == {}
    assert issue(hass, f"delivery_unknown_{entry.entry_id}") is None


async def test_ambiguous_timeout_sms365_marked_unknown(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    entry = await make_entry("sms365")
    events = async_capture_events(hass, EVENT)
    task = await _send_into_timeout(hass, simulator, freezer, entry, "sms365")
    with pytest.raises(HomeAssistantError) as err:
        await task
    assert err.value.translation_key == "delivery_unknown"
    await advance(hass, freezer, 3600)
    assert len(send_requests(simulator)) == 1  # never resent
    assert len(simulator.state.messages) == 2
    assert {e.data["status"] for e in events} == {"unknown"}
    assert {e.data["to"] for e in events} == {ALICE, BOB}
    found = issue(hass, f"delivery_unknown_{entry.entry_id}")
    assert found is not None
    assert found.translation_placeholders is not None
    assert found.translation_placeholders["recipients"] == f"{ALICE}, {BOB}"
    await assert_nothing_queued(hass, hass_storage, entry)


# -- refusals, permanent errors ---------------------------------------------------------------------


async def test_retry_after_is_honoured(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await make_entry("infobip")
    simulator.state.add_fault(kind="status", provider="infobip", status=429, retry_after="7")
    response = await send(hass, entry, "Alice", "later")
    assert response["results"][0]["status"] == "queued"
    (queued,) = outbox_of(entry).queue.values()
    assert queued.next_attempt - dt_util.utcnow().timestamp() == pytest.approx(7.0)
    assert queued.last_error == "transient"
    freezer.tick(timedelta(seconds=6.9))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(send_requests(simulator)) == 1  # not before 7 s
    await advance(hass, freezer, 0.1)
    assert len(send_requests(simulator)) == 2
    assert len(accepted(simulator)) == 1
    assert outbox_of(entry).queue == {}


@pytest.mark.parametrize("provider", ["infobip", "sms365", "voip_communications"])
async def test_insufficient_balance_is_immediate(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_storage: dict[str, Any],
    provider: str,
) -> None:
    entry = await make_entry(provider)
    account = {"infobip": "infobip-demo", "sms365": "sms365-demo"}.get(provider, "voip-demo")
    simulator.state.accounts[account].balance = 0
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, entry, ["Alice", "Bob"], "no money")
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_key == "insufficient_balance"
    await assert_nothing_queued(hass, hass_storage, entry)
    assert issue(hass, f"insufficient_balance_{entry.entry_id}") is not None
    # Topped up: the next send clears the notice.
    simulator.state.accounts[account].balance = 50
    await send(hass, entry, "Alice", "money")
    assert issue(hass, f"insufficient_balance_{entry.entry_id}") is None


async def test_auth_failure_starts_reauth_nothing_queued(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_storage: dict[str, Any],
) -> None:
    entry = await make_entry("voip_communications")
    simulator.state.add_fault(kind="status", provider="voip", status=401)
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, entry, "Alice", "x")
    assert err.value.translation_key == "auth_failed"
    await hass.async_block_till_done()
    assert reauth_flows(hass) == [entry.entry_id]
    await assert_nothing_queued(hass, hass_storage, entry)


async def test_auth_failure_on_retry_holds_the_queue_until_reauth(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Credentials refused after an outage (sms365's IP whitelist, a new ISP address).

    Before: every queued message was tried, got the auth error and was dropped
    as rejected. Now the queue is held (no more attempts), reauth starts, and
    after reauthentication the messages go out once.
    """
    entry = await make_entry("infobip")
    simulator.state.add_fault(kind="status", provider="infobip", status=503, count=3)
    events = async_capture_events(hass, EVENT)
    await send(hass, entry, "Alice", "first")
    await send(hass, entry, "Bob", "second")
    await send(hass, entry, "Alice", "third")
    simulator.state.faults.clear()
    simulator.state.add_fault(kind="status", provider="infobip", status=401, count=FOREVER)
    await advance(hass, freezer, BACKOFF_BASE)
    box = outbox_of(entry)
    assert len(box.queue) == 3
    assert box.held_for_auth
    assert events == []
    assert reauth_flows(hass) == [entry.entry_id]
    tried = len(send_requests(simulator))
    await advance(hass, freezer, BACKOFF_MAX)  # held: nothing is tried meanwhile
    assert len(send_requests(simulator)) == tried
    assert len(box.queue) == 3

    # Reauthenticated: the account reloads and sends what waited, once each.
    simulator.state.faults.clear()
    assert await hass.config_entries.async_reload(entry.entry_id)
    await advance(hass, freezer, 0)
    assert sorted(m.text for m in accepted(simulator)) == ["first", "second", "third"]
    assert outbox_of(entry).queue == {}
    assert sorted(e.data["status"] for e in events) == ["accepted"] * 3


async def test_per_recipient_rejection_on_retry_is_reported(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A retry the provider answers per recipient: each outcome becomes an event."""
    entry = await make_entry("infobip")
    simulator.state.add_fault(kind="status", provider="infobip", status=503)
    events = async_capture_events(hass, EVENT)
    await send(hass, entry, ["Alice", "Bob"], "x")
    account = simulator.state.accounts["infobip-demo"]
    account.balance = account.price_per_segment  # room for one
    await advance(hass, freezer, BACKOFF_BASE)
    assert [(e.data["to"], e.data["status"], e.data["error"]) for e in events] == [
        (ALICE, "accepted", None),
        (BOB, "rejected", "insufficient_balance"),
    ]
    assert outbox_of(entry).queue == {}


# -- bounded -------------------------------------------------------------------------------------


async def test_full_outbox_refuses_and_drops_nothing(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outbox_core, "MAX_QUEUED", 10)
    entry = await make_entry("sms365")
    simulator.state.add_fault(kind="status", provider="sms365", status=503, count=FOREVER)
    for index in range(9):
        await send(hass, entry, number(index), f"full {index}")
    with pytest.raises(HomeAssistantError) as err:  # 9 + 2 > 10: refused whole
        await send(hass, entry, [number(20), number(21)], "too many")
    assert err.value.translation_key == "outbox_full"
    assert err.value.translation_placeholders == {
        "account": entry.title,
        "queued": "9",
        "max": "10",
    }
    await send(hass, entry, number(9), "full 9")
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, entry, number(22), "one more")
    assert err.value.translation_key == "outbox_full"
    assert len(outbox_of(entry).queue) == 10

    simulator.state.faults.clear()
    await advance(hass, freezer, BACKOFF_BASE)
    assert sorted(m.text for m in accepted(simulator)) == sorted(f"full {i}" for i in range(10))
    await send(hass, entry, number(22), "room again")
    assert len(accepted(simulator)) == 11


# -- max age -------------------------------------------------------------------------------------------


async def test_max_age_fails_with_event_and_repair_flow(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    hass_client: Any,
    hass_admin_user: Any,
) -> None:
    assert await async_setup_component(hass, "repairs", {})
    entry = await make_entry("infobip", options={"max_age": 1})
    simulator.state.add_fault(kind="status", provider="infobip", status=503, count=FOREVER)
    events = async_capture_events(hass, EVENT)
    await send(hass, entry, ["Alice", "Bob"], "too late")
    elapsed = 0.0
    while elapsed < 3600 + BACKOFF_MAX and outbox_of(entry).queue:
        await advance(hass, freezer, 300)
        elapsed += 300
    assert outbox_of(entry).queue == {}
    assert 3600 <= elapsed <= 3600 + BACKOFF_MAX
    assert sorted((e.data["to"], e.data["status"], e.data["error"]) for e in events) == [
        (ALICE, "failed", "expired"),
        (BOB, "failed", "expired"),
    ]
    assert accepted(simulator) == []
    issue_id = f"messages_expired_{entry.entry_id}"
    found = issue(hass, issue_id)
    assert found is not None
    assert found.translation_placeholders == {
        "account": entry.title,
        "count": "2",
        "recipients": f"{ALICE}, {BOB}",
        "hours": "1",
    }
    requests_before = len(send_requests(simulator))
    await advance(hass, freezer, 3 * 3600)
    assert len(send_requests(simulator)) == requests_before  # given up: no more attempts

    # Hours have passed: the fixture's access token has expired, make a fresh one.
    refresh_token = await hass.auth.async_create_refresh_token(
        hass_admin_user, "https://example.com/app"
    )
    client = await hass_client(hass.auth.async_create_access_token(refresh_token))
    resp = await client.post(
        "/api/repairs/issues/fix", json={"handler": DOMAIN, "issue_id": issue_id}
    )
    assert resp.status == 200
    flow = await resp.json()
    assert flow["step_id"] == "confirm"
    resp = await client.post(f"/api/repairs/issues/fix/{flow['flow_id']}", json={})
    assert resp.status == 200
    assert (await resp.json())["type"] == "create_entry"
    assert issue(hass, issue_id) is None


# -- failover ---------------------------------------------------------------------------------------


async def _pair(
    hass: HomeAssistant,
    make_entry: MakeEntry,
    primary: str = "infobip",
    fallback: str = "sms365",
    *,
    mutual: bool = False,
    options: dict[str, Any] | None = None,
) -> tuple[MockConfigEntry, MockConfigEntry]:
    """Create a fallback account, then a primary that names it."""
    second = await make_entry(fallback, options=options)
    first = await make_entry(
        primary, options={**(options or {}), "fallback_account": second.entry_id}
    )
    if mutual:
        hass.config_entries.async_update_entry(
            second, options={**second.options, "fallback_account": first.entry_id}
        )
        await hass.async_block_till_done()
    return first, second


async def test_failover_when_primary_down_and_back(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="custom_components.sms_gateway")
    primary, fallback = await _pair(hass, make_entry)
    restore = refuse_connections(primary)
    events = async_capture_events(hass, EVENT)

    # Within the grace period: queued on the primary.
    response = await send(hass, primary, "Alice", "first")
    (item,) = response["results"]
    assert (item["status"], item["config_entry_id"]) == ("queued", primary.entry_id)
    await advance(hass, freezer, BACKOFF_BASE)
    assert accepted(simulator) == []

    # Beyond it: the queued message goes through the fallback.
    await advance(hass, freezer, FAILOVER_GRACE)
    (message,) = accepted(simulator)
    assert (message.provider, message.text, message.to) == ("sms365", "first", ALICE[1:])
    assert [(e.data["status"], e.data["config_entry_id"]) for e in events] == [
        ("accepted", fallback.entry_id)
    ]
    assert outbox_of(primary).queue == {}

    # A new message while still down: straight to the fallback, the response says so.
    response = await send(hass, primary, ["Alice", "Bob"], "second")
    assert {(i["status"], i["config_entry_id"]) for i in response["results"]} == {
        ("accepted", fallback.entry_id)
    }
    assert outbox_of(primary).queue == {}

    # The primary is back: used again.
    restore()
    response = await send(hass, primary, "Bob", "third")
    (item,) = response["results"]
    assert (item["status"], item["config_entry_id"]) == ("accepted", primary.entry_id)
    assert [m.provider for m in accepted(simulator) if m.text == "third"] == ["infobip"]

    # Unavailable and back: each said once.
    assert caplog.text.count("Demo infobip is unavailable") == 1
    assert caplog.text.count("Demo infobip is available again") == 1


async def test_no_loop_between_accounts_naming_each_other(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Both down, each the other's fallback: a message moves over once, then expires."""
    primary, fallback = await _pair(hass, make_entry, mutual=True, options={"max_age": 1})
    assert fallback.options["fallback_account"] == primary.entry_id
    simulator.state.add_fault(kind="status", provider="infobip", status=503, count=FOREVER)
    simulator.state.add_fault(kind="status", provider="sms365", status=503, count=FOREVER)
    events = async_capture_events(hass, EVENT)
    await send(hass, primary, "Alice", "nowhere")
    providers: list[str | None] = []
    for _ in range(30):
        await advance(hass, freezer, 300)
        providers.extend(r.provider for r in send_requests(simulator)[len(providers) :])
    # Once over on the fallback, it stays there.
    first_fallback = providers.index("sms365")
    assert "infobip" not in providers[first_fallback:]
    assert outbox_of(primary).queue == {}
    assert outbox_of(fallback).queue == {}
    assert [(e.data["status"], e.data["error"]) for e in events] == [("failed", "expired")]
    assert accepted(simulator) == []


async def test_failover_per_recipient_out_of_balance(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """Infobip rejects Bob for credit: Bob goes through the fallback, Alice stays."""
    primary, fallback = await _pair(hass, make_entry)
    account = simulator.state.accounts["infobip-demo"]
    account.balance = account.price_per_segment
    response = await send(hass, primary, ["Alice", "Bob"], "split")
    by_to = {i["to"]: i for i in response["results"]}
    assert (by_to[ALICE]["status"], by_to[ALICE]["config_entry_id"]) == (
        "accepted",
        primary.entry_id,
    )
    assert (by_to[BOB]["status"], by_to[BOB]["config_entry_id"]) == (
        "accepted",
        fallback.entry_id,
    )
    assert sorted((m.provider, m.to) for m in accepted(simulator)) == [
        ("infobip", ALICE[1:]),
        ("sms365", BOB[1:]),
    ]
    assert issue(hass, f"insufficient_balance_{primary.entry_id}") is not None


async def test_failover_whole_request_out_of_balance(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """sms365 refuses the whole request for credit: it all goes through the fallback."""
    primary, fallback = await _pair(hass, make_entry, "sms365", "infobip")
    simulator.state.accounts["sms365-demo"].balance = 0
    response = await send(hass, primary, ["Alice", "Bob"], "all over")
    assert {i["config_entry_id"] for i in response["results"]} == {fallback.entry_id}
    assert {m.provider for m in accepted(simulator)} == {"infobip"}


@pytest.mark.parametrize(
    ("first", "second", "channel", "extra"),
    [
        # voip cannot send flash SMS: the Infobip fallback does.
        ("voip_communications", "infobip", "flash", {}),
        # Infobip has no Viber and SMS is not wanted instead: the sms365 fallback sends Viber.
        ("infobip", "sms365", "viber", {"sms_fallback": False}),
    ],
)
async def test_channel_failover(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    first: str,
    second: str,
    channel: str,
    extra: dict[str, Any],
) -> None:
    """A channel the primary lacks is sent by the fallback, on that channel."""
    primary, fallback = await _pair(hass, make_entry, first, second)
    response = await send(hass, primary, "Alice", f"{channel}!", channel=channel, **extra)
    (item,) = response["results"]
    assert (item["channel"], item["config_entry_id"]) == (channel, fallback.entry_id)
    (message,) = accepted(simulator)
    assert (message.provider, message.channel) == (second, channel)


async def test_channel_missing_on_both_raises(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    primary, _fallback = await _pair(hass, make_entry, "voip_communications", "infobip")
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, primary, "Alice", "viber!", channel="viber", sms_fallback=False)
    assert err.value.translation_key == "viber_not_supported"
    assert send_requests(simulator) == []


async def test_fallback_not_loaded_is_ignored(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    primary, fallback = await _pair(hass, make_entry, "voip_communications", "infobip")
    assert await hass.config_entries.async_unload(fallback.entry_id)
    with pytest.raises(ServiceValidationError):
        await send(hass, primary, "Alice", "flash!", channel="flash")


# -- rate limits -------------------------------------------------------------------------------------


async def test_burst_of_500_never_trips_the_providers_limit(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The simulated provider answers 429 beyond 4 concurrent requests: none happen."""
    entry = await make_entry("infobip", options=NO_LIMITS)
    active = 0
    peak = 0
    original = simulator_app._apply_fault

    async def limited(request: web.Request, handler: Any, fault: Any) -> web.StreamResponse:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        try:
            if active > MAX_CONCURRENT_REQUESTS:
                return web.json_response({"error": "too many"}, status=429)
            return await original(request, handler, fault)
        finally:
            active -= 1

    monkeypatch.setattr(simulator_app, "_apply_fault", limited)
    simulator.state.add_fault(
        kind="latency", provider="infobip", path="/sms/", latency=0.01, count=FOREVER
    )
    total = 500
    responses = await asyncio.gather(
        *(send(hass, entry, number(i), f"burst {i}") for i in range(total))
    )
    assert [r["results"][0]["status"] for r in responses] == ["accepted"] * total
    statuses = Counter(r.status for r in send_requests(simulator))
    assert statuses == {200: total}
    assert peak == MAX_CONCURRENT_REQUESTS
    assert len({m.text for m in accepted(simulator)}) == total
    assert outbox_of(entry).queue == {}


# -- notify -------------------------------------------------------------------------------------------


async def test_notify_returns_when_queued(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A notify call during an outage returns (queued), and the message goes later."""
    entry = await make_entry("infobip")
    simulator.state.add_fault(kind="status", provider="infobip", status=503)
    await hass.services.async_call(
        "notify",
        "demo_infobip",
        {"message": "via notify", "target": ["Alice"]},
        blocking=True,
    )
    assert accepted(simulator) == []
    await advance(hass, freezer, BACKOFF_BASE)
    assert [m.text for m in accepted(simulator)] == ["via notify"]
    del entry


async def test_fallback_refusing_a_handover_keeps_the_message(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Queued on a primary that stays down, refused by the fallback: it stays queued."""
    primary, _fallback = await _pair(hass, make_entry)
    restore = refuse_connections(primary)
    simulator.state.accounts["sms365-demo"].balance = 0
    events = async_capture_events(hass, EVENT)
    await send(hass, primary, "Alice", "stuck")
    await advance(hass, freezer, BACKOFF_BASE)
    await advance(hass, freezer, FAILOVER_GRACE)
    assert accepted(simulator) == []
    assert [q.text for q in primary.runtime_data.outbox.queue.values()] == ["stuck"]
    assert [e.data["status"] for e in events] == []
    # The primary comes back: the message it kept goes out through it.
    restore()
    for queued in primary.runtime_data.outbox.queue.values():
        queued.next_attempt = 0
    await primary.runtime_data.outbox.async_process_due()
    assert [m.text for m in accepted(simulator)] == ["stuck"]


async def test_scheduled_message_whose_time_passed_goes_at_once(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A scheduled send that waited past its time is retried without the schedule."""
    entry = await make_entry("infobip")
    simulator.state.add_fault(kind="status", provider="infobip", status=503, count=3)
    send_at = dt_util.utcnow() + timedelta(seconds=10)
    await send(hass, entry, "Alice", "scheduled", send_at=send_at.isoformat())
    await advance(hass, freezer, BACKOFF_BASE)
    await advance(hass, freezer, 2 * BACKOFF_BASE)
    await advance(hass, freezer, 4 * BACKOFF_BASE)
    requests = send_requests(simulator)
    assert len(requests) == 4
    assert "sendAt" in requests[0].json["messages"][0]
    assert "sendAt" not in requests[-1].json["messages"][0]
    assert [m.text for m in accepted(simulator)] == ["scheduled"]


# -- faults homes really have (each failed on the outbox before the rebuild) -------------------


async def test_answer_lost_on_the_primary_never_moves_to_the_fallback(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An Infobip send whose answer was lost may have gone out: only its own id may retry it.

    Before: after the failover grace period it was handed to the fallback
    account, which sent it a second time.
    """
    primary, _fallback = await _pair(hass, make_entry)
    # The provider processes the request, then the connection resets: ambiguous.
    simulator.state.add_fault(kind="drop", provider="infobip", count=FOREVER)
    response = await send(hass, primary, "Alice", "maybe sent")
    assert [i["status"] for i in response["results"]] == ["queued"]
    for _ in range(6):
        await advance(hass, freezer, FAILOVER_GRACE)
    assert [m.provider for m in simulator.state.messages.values()] == []
    assert [m.provider for m in accepted(simulator) if m.provider == "sms365"] == []
    (queued,) = outbox_of(primary).queue.values()
    assert queued.maybe_sent

    simulator.state.faults.clear()
    await advance(hass, freezer, BACKOFF_MAX)
    (message,) = accepted(simulator)
    assert (message.provider, message.id) == ("infobip", queued.id)
    assert outbox_of(primary).queue == {}


async def test_an_unexpected_error_is_contained_and_the_queue_goes_on(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A bug in one send (a parser, e.g. Retry-After '²' once raised ValueError).

    Before: the message stayed "in flight" for ever and the retry loop stopped
    before re-arming its timer, so the whole outbox stalled. A real server
    cannot make our code raise, so the bug is patched in.
    """
    entry = await make_entry("infobip")
    events = async_capture_events(hass, EVENT)
    simulator.state.add_fault(kind="status", provider="infobip", status=503, count=1)
    await send(hass, entry, "Alice", "waits first")
    client = entry.runtime_data.client
    real_send = client.send

    async def buggy_send(message: Any) -> Any:
        if message.text == "hits the bug":
            raise ValueError("could not convert string to float: '²'")
        return await real_send(message)

    monkeypatch.setattr(client, "send", buggy_send)
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, entry, "Bob", "hits the bug")
    assert err.value.translation_key == "delivery_unknown"
    found = issue(hass, f"delivery_unknown_{entry.entry_id}")
    assert found is not None
    # The loop goes on: the waiting message is retried and sent.
    await advance(hass, freezer, BACKOFF_BASE)
    assert [m.text for m in accepted(simulator)] == ["waits first"]
    assert outbox_of(entry).queue == {}
    assert ("unknown", "delivery_unknown") in {(e.data["status"], e.data["error"]) for e in events}
    # And later sends work as usual.
    response = await send(hass, entry, "Bob", "after")
    assert [i["status"] for i in response["results"]] == ["accepted"]


@pytest.mark.parametrize("retry_after", ["999999999999", "86400"])
async def test_retry_after_is_clamped_to_an_hour(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    retry_after: str,
) -> None:
    """Before: 999999999999 raised 'year out of range' on every later send; 86400 let
    everything queued expire (24 h maximum age)."""
    entry = await make_entry("infobip")
    simulator.state.add_fault(
        kind="status", provider="infobip", status=429, retry_after=retry_after, count=1
    )
    response = await send(hass, entry, "Alice", "throttled")
    assert [i["status"] for i in response["results"]] == ["queued"]
    response = await send(hass, entry, "Bob", "while paused")
    assert [i["status"] for i in response["results"]] == ["queued"]
    await advance(hass, freezer, outbox_module.MAX_RETRY_AFTER + 1)
    assert sorted(m.text for m in accepted(simulator)) == ["throttled", "while paused"]
    assert outbox_of(entry).queue == {}


async def test_a_wall_clock_step_does_not_expire_queued_messages(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """NTP steps the clock by two days right after boot (the RTC had drifted).

    Before: age was wall-clock time, so the queued message expired after one
    attempt. Now age is counted on the monotonic clock.
    """
    entry = await make_entry("infobip")
    restore = refuse_connections(entry)
    events = async_capture_events(hass, EVENT)
    await send(hass, entry, "Alice", "survives the step")
    # The wall clock steps two days; monotonic time (taken back by as much) does not.
    mono = outbox_core.Clock.mono
    monkeypatch.setattr(outbox_core.Clock, "mono", staticmethod(lambda: mono() - 2 * 86400))
    freezer.tick(timedelta(days=2))
    await outbox_of(entry).async_process_due()
    assert len(outbox_of(entry).queue) == 1
    assert issue(hass, f"messages_expired_{entry.entry_id}") is None
    restore()
    await advance(hass, freezer, BACKOFF_MAX)
    assert [m.text for m in accepted(simulator)] == ["survives the step"]
    assert [e.data["status"] for e in events] == ["accepted"]


async def test_thousands_of_targets_are_refused_before_any_per_target_work(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """Before: duplicate removal was quadratic and ran before the size check:
    30 000 targets blocked the event loop for seconds."""
    entry = await make_entry("infobip")
    targets = [number(index % 9000) for index in range(30_000)]
    started = time.process_time()
    with pytest.raises(ServiceValidationError) as err:
        await send(hass, entry, targets, "spam")
    assert err.value.translation_key == "too_many_targets"
    assert err.value.translation_placeholders == {"count": "30000", "max": "1000"}
    assert send_requests(simulator) == []
    # Linear dedupe below the limit: 1000 targets, 10 distinct numbers, one request.
    response = await send(hass, entry, [number(i % 10) for i in range(1000)], "ten")
    assert len(response["results"]) == 10
    assert time.process_time() - started < 5  # generous: quadratic took ~5 s for 30 000


async def test_stored_data_of_another_version_is_set_aside_not_a_failed_setup(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Before: an unknown field in a stored message made setup fail (SETUP_ERROR)."""
    entry = await make_entry("infobip", setup=False)
    now = dt_util.utcnow().timestamp()
    newer = {**_stored_message("newer", in_flight=False, created=now), "priority": "high"}
    key = _store_outbox(hass_storage, entry, [newer, {"id": "broken"}, "not even an object"])
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    await advance(hass, freezer, 0)
    # The message with an extra field is read (the field ignored) and sent.
    assert [m.id for m in accepted(simulator)] == ["newer"]
    # What cannot be read is kept aside, with a repair issue.
    found = issue(hass, f"outbox_unreadable_{entry.entry_id}")
    assert found is not None
    assert found.translation_placeholders == {"account": entry.title, "count": "2"}
    await outbox_of(entry).async_flush()
    unreadable = hass_storage[key]["data"]["unreadable"]
    assert [u["id"] if isinstance(u, dict) else u for u in unreadable] == [
        "broken",
        "not even an object",
    ]
    assert hass_storage[key]["version"] == 2


async def test_storage_writes_are_coalesced_and_atomic(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Before: every change rewrote the whole queue at once (300 queued -> 600 writes)."""
    entry = await make_entry("infobip", options=NO_LIMITS)
    box = outbox_of(entry)
    assert box.store._store._atomic_writes
    restore = refuse_connections(entry)
    writes = 0
    original = box.store._store._async_write_data

    async def counting(data: dict[str, Any]) -> None:
        nonlocal writes
        writes += 1
        await original(data)

    box.store._store._async_write_data = counting  # type: ignore[method-assign]
    for index in range(300):
        await send(hass, entry, number(index), f"queued {index}")
    await box.async_flush()
    assert len(box.queue) == 300
    assert writes <= 2  # the delayed save took them all (a last flush at most)
    restore()


async def test_a_send_split_into_requests_never_resends_an_accepted_recipient(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """600 sms365 recipients go as two bulk requests; the second is answered 429.

    Before: the whole send was retried, so the 500 who had it got it twice.
    """
    entry = await make_entry("sms365", options=NO_LIMITS)
    simulator.state.accounts["sms365-demo"].balance = 10_000
    simulator.state.add_fault(
        kind="status", provider="sms365", path="sms/bulk", status=429, retry_after="7",
        skip=1, count=1,
    )  # fmt: skip
    targets = [number(index) for index in range(600)]
    response = await send(hass, entry, targets, "to many")
    statuses = Counter(item["status"] for item in response["results"])
    assert statuses == Counter({"accepted": 500, "queued": 100})
    assert len(accepted(simulator)) == 500
    await advance(hass, freezer, BACKOFF_MAX)
    assert Counter(m.to for m in accepted(simulator)) == Counter(t.lstrip("+") for t in targets)
    assert outbox_of(entry).queue == {}


async def test_a_split_send_moves_only_the_unsent_part_to_the_fallback(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """voip sends 100 numbers per request; the third request finds the provider gone.

    Before: with a fallback account, all 250 were sent again through it.
    """
    primary, fallback = await _pair(
        hass, make_entry, "voip_communications", "sms365", options=NO_LIMITS
    )
    simulator.state.accounts["sms365-demo"].balance = 10_000
    simulator.state.add_fault(kind="status", provider="voip", status=503, skip=2, count=FOREVER)
    targets = [number(index) for index in range(250)]
    response = await send(hass, primary, targets, "split")
    statuses = Counter(item["status"] for item in response["results"])
    assert statuses == Counter({"accepted": 200, "queued": 50})
    for _ in range(4):
        await advance(hass, freezer, FAILOVER_GRACE)
    by_provider = Counter(m.provider for m in accepted(simulator))
    assert by_provider == Counter({"voip": 200, "sms365": 50})
    assert Counter(m.to for m in accepted(simulator)) == Counter(t.lstrip("+") for t in targets)
    assert outbox_of(primary).queue == {}
    assert outbox_of(fallback).queue == {}


async def test_one_message_the_provider_keeps_refusing_does_not_hold_the_others(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The oldest queued message is always answered HTTP 500; three others wait behind it.

    Before: after its failed retry the others were made to wait for it ("one
    probe is enough") and it went first again, so they stayed unsent until
    they all expired. Now each message backs off on its own.
    """
    entry = await make_entry("infobip")
    simulator.state.add_fault(kind="status", provider="infobip", status=503, count=4)
    simulator.state.add_fault(
        kind="status", provider="infobip", status=500, match="poison", count=FOREVER
    )
    await send(hass, entry, "Alice", "poison")
    for index in range(3):
        await send(hass, entry, number(index), f"healthy {index}")
    assert len(outbox_of(entry).queue) == 4
    await advance(hass, freezer, BACKOFF_BASE)
    await advance(hass, freezer, 2 * BACKOFF_BASE)
    assert sorted(m.text for m in accepted(simulator)) == [f"healthy {i}" for i in range(3)]
    (left,) = outbox_of(entry).queue.values()
    assert left.text == "poison"
    assert left.attempts >= 2


@pytest.mark.parametrize("provider", ["sms365", "voip_communications"])
async def test_a_retry_without_idempotency_is_on_disk_as_in_flight_before_its_request(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    provider: str,
) -> None:
    """A power cut during the retry's request must make it unknown, never resent.

    Writes are coalesced; for providers without idempotency keys the retry's
    "in flight" state is written before the request goes out.
    """
    entry = await make_entry(provider)
    simulator.state.add_fault(kind="status", provider=SIM[provider], status=503, count=1)
    await send(hass, entry, "Alice", "retried")
    client = entry.runtime_data.client
    real_send = client.send
    on_disk: list[list[str]] = []

    async def send_and_look(message: Any) -> Any:
        data = hass_storage[f"{DOMAIN}.{entry.entry_id}.outbox"]["data"]
        on_disk.append([m["state"] for m in data["messages"]])
        return await real_send(message)

    client.send = send_and_look
    await advance(hass, freezer, BACKOFF_BASE)
    assert on_disk == [["in_flight"]]
    assert [m.text for m in accepted(simulator)] == ["retried"]
