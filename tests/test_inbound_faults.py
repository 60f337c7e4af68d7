"""Inbound SMS that can be trusted: partly unreadable pulls, and GET at the webhook.

* The provider serves each received message (and each delivery report) once:
  one entry that cannot be read must not cost the others of the same poll.
  It is skipped and logged at WARNING with its provider id, never with the
  message text or the phone number.
* A GET can never produce an inbound SMS: only sms365's delivery-report
  callback is documented as a GET; the other accounts answer GET with 405.
"""

import asyncio
import base64
import itertools
import json
import logging
from typing import Any

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_gateway.const import (
    EVENT_DELIVERY_REPORT,
    EVENT_MESSAGE_RECEIVED,
)
from custom_components.sms_gateway.inbound_seen import WRITE_INTERVAL
from custom_components.sms_gateway.providers import InboundMessage
from simulator import demo
from tests.conftest import ALICE, BOB, MakeEntry, RunningSimulator
from tests.outage import advance
from tests.wire import inject, listen, send_results, state_of

ALICE_DIGITS = ALICE.removeprefix("+")
SECRET_TEXT = "DISARM 4711"


def received(message_id: str, sender: Any, text: Any = SECRET_TEXT) -> dict[str, Any]:
    """Return one received message as Infobip serves it from ``inbox/reports``."""
    return {
        "messageId": message_id,
        "from": sender,
        "to": "41793026727",
        "text": text,
        "cleanText": "",
        "keyword": "",
        "receivedAt": "2025-05-01T10:20:30.000+0000",
        "smsCount": 1,
    }


async def serve_once(
    http: ClientSession, simulator: RunningSimulator, provider: str, path: str, body: Any
) -> None:
    """Let the simulator answer the next request to ``path`` with a hand-made body."""
    async with http.post(
        f"{simulator.url}/_sim/faults",
        json={
            "kind": "body",
            "body": json.dumps(body),
            "content_type": "application/json",
            "path": path,
            "provider": provider,
            "count": 1,
        },
    ) as response:
        assert response.status == 201, await response.text()


def warnings_about(caplog: pytest.LogCaptureFixture, provider_id: str) -> list[str]:
    """Return the WARNING lines that name a provider id."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and provider_id in r.getMessage()
    ]


def assert_no_secrets(caplog: pytest.LogCaptureFixture) -> None:
    """Neither a message text nor a phone number was logged at WARNING or above."""
    for record in caplog.records:
        if record.levelno < logging.WARNING:
            continue
        message = record.getMessage()
        assert SECRET_TEXT not in message
        assert ALICE_DIGITS not in message
        assert "41793026727" not in message


# -- pull: one bad entry ----------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        received("withheld-1", ""),  # a withheld sender
        received("no-text-1", ALICE_DIGITS, text=None),
        received("list-sender-1", [ALICE_DIGITS]),
    ],
)
async def test_pull_one_unreadable_message_keeps_the_others(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    http: ClientSession,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    bad: dict[str, Any],
) -> None:
    await make_entry("infobip")
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    batch = {
        "results": [received("alice-1", ALICE_DIGITS), bad, received("alice-2", ALICE_DIGITS)],
        "messageCount": 3,
        "pendingMessageCount": 0,
    }
    await serve_once(http, simulator, "infobip", "inbox/reports", batch)

    await advance(hass, freezer, 61)

    assert [(e.data["message_id"], e.data["sender"], e.data["trusted"]) for e in events] == [
        ("alice-1", ALICE, True),
        ("alice-2", ALICE, True),
    ]
    assert warnings_about(caplog, bad["messageId"])
    assert_no_secrets(caplog)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    # The next poll: nothing new, nothing twice.
    await advance(hass, freezer, 61)
    assert len(events) == 2


async def test_pull_entry_that_is_not_an_object_is_skipped(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    http: ClientSession,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await make_entry("infobip")
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    batch = {"results": [None, "x", received("alice-1", ALICE_DIGITS)]}
    await serve_once(http, simulator, "infobip", "inbox/reports", batch)
    await advance(hass, freezer, 61)
    assert [e.data["message_id"] for e in events] == ["alice-1"]
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) >= 2
    assert_no_secrets(caplog)


async def test_pull_of_a_real_message_beside_a_bad_one(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    http: ClientSession,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A handset texts the simulator; the inbox answer also carries a bad entry."""
    await make_entry("infobip")
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await inject(http, simulator, text="HOME", message_id="real-1")
    # Take what the simulator would serve, and add a withheld sender to it.
    async with http.get(
        f"{simulator.url}/restapi/sms/1/inbox/reports",
        # The document: without a Content-Type, "you will receive a General error".
        headers={"Authorization": _infobip_auth(), "Content-Type": "application/json"},
    ) as response:
        assert response.status == 200
        served = await response.json()
    assert [m["messageId"] for m in served["results"]] == ["real-1"]
    served["results"].insert(0, received("withheld-2", ""))
    await serve_once(http, simulator, "infobip", "inbox/reports", served)

    await advance(hass, freezer, 61)
    assert [e.data["message_id"] for e in events] == ["real-1"]
    assert warnings_about(caplog, "withheld-2")
    assert_no_secrets(caplog)


def _infobip_auth() -> str:
    """Return the demo Infobip account's Basic authorization header."""
    token = base64.b64encode(f"{demo.INFOBIP_USERNAME}:{demo.INFOBIP_PASSWORD}".encode()).decode()
    return f"Basic {token}"


# -- pull: delivery reports ------------------------------------------------------------


async def test_infobip_report_poll_keeps_good_reports_beside_a_bad_one(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    http: ClientSession,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await make_entry("infobip")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    [alice, bob] = await send_results(hass, entry, ALICE, BOB)
    delivered = {
        "groupId": 3,
        "groupName": "DELIVERED",
        "id": 5,
        "name": "DELIVERED_TO_HANDSET",
        "description": "Message delivered to handset",
    }
    no_error = {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "permanent": False}
    batch = {
        "results": [
            {
                "messageId": alice["message_id"],
                "to": ALICE_DIGITS,
                "status": delivered,
                "error": no_error,
            },
            {"messageId": "dlr-bad-1", "to": ALICE_DIGITS, "status": "DELIVERED"},
            {"to": ALICE_DIGITS, "status": delivered},
            {"messageId": bob["message_id"], "to": BOB.removeprefix("+"), "status": delivered},
        ]
    }
    await serve_once(http, simulator, "infobip", "sms/1/reports", batch)

    await advance(hass, freezer, 30)

    assert sorted((e.data["message_id"], e.data["status"]) for e in events) == sorted(
        [(alice["message_id"], "delivered"), (bob["message_id"], "delivered")]
    )
    assert warnings_about(caplog, "dlr-bad-1")
    assert_no_secrets(caplog)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_sms365_report_poll_skips_a_bad_entry_with_a_warning(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    http: ClientSession,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await make_entry("sms365")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    [alice] = await send_results(hass, entry, ALICE)
    batch = {
        "status": 1,
        "error": 0,
        "remarks": "Success",
        "sms": [{"status": "d"}, "x", {"smsId": alice["message_id"], "status": "d"}],
        "total": 3,
    }
    await serve_once(http, simulator, "sms365", "status/get", batch)

    await advance(hass, freezer, 30)

    assert [(e.data["message_id"], e.data["status"]) for e in events] == [
        (alice["message_id"], "delivered")
    ]
    skipped = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "status/get" in r.getMessage()
    ]
    assert len(skipped) == 2
    assert_no_secrets(caplog)


# -- GET at the webhook ----------------------------------------------------------------


@pytest.mark.parametrize("provider", ["voip_communications", "infobip"])
async def test_get_never_fires_an_inbound_sms(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    provider: str,
) -> None:
    await make_entry(provider, options={"inbound_interval": 0})
    events, client = await listen(hass, hass_client_no_auth)
    # What a leaked URL, or a chat app's link preview, would request.
    response = await client.get(
        f"/api/webhook/hook-{provider}",
        params={"from": ALICE_DIGITS, "msg": "DISARM", "text": "DISARM", "messageId": "g-1"},
    )
    assert response.status == 405
    await hass.async_block_till_done()
    assert events == []
    state = state_of(hass, f"event.demo_{provider}_sms_received")
    assert state.state == "unknown"

    # The same as a POST is still a message (voip: the documented push).
    if provider == "voip_communications":
        response = await client.post(
            f"/api/webhook/hook-{provider}", data={"from": ALICE_DIGITS, "msg": "DISARM"}
        )
        assert response.status == 200
        await hass.async_block_till_done()
        assert [(e.data["text"], e.data["trusted"]) for e in events] == [("DISARM", True)]


async def test_sms365_report_callback_still_accepts_get(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    entry = await make_entry("sms365")
    reports = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    inbound = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    [alice] = await send_results(hass, entry, ALICE)
    client = await hass_client_no_auth()
    response = await client.get(
        "/api/webhook/hook-sms365",
        params={
            "msgid": alice["message_id"],
            "status": "d",
            "cost": "1",
            "to": ALICE_DIGITS,
            # Inbound-looking fields change nothing.
            "from": ALICE_DIGITS,
            "msg": "DISARM",
        },
    )
    assert response.status == 200
    await hass.async_block_till_done()
    assert [(e.data["message_id"], e.data["status"]) for e in reports] == [
        (alice["message_id"], "delivered")
    ]
    assert inbound == []


# -- exactly once, even when the request is cancelled; group-committed writes -------


class SlowDisk:
    """The inbound store's writes wait until released (an SD card under load).

    A real server cannot make Home Assistant's storage slow, so the store's
    save is wrapped; everything else is real.
    """

    def __init__(self, entry: MockConfigEntry) -> None:
        self.store = entry.runtime_data.inbound.seen._store
        self.real_save = self.store.async_save
        self.release = asyncio.Event()
        self.writes: list[list[str]] = []
        self.fail = False

    async def save(self, data: dict[str, list[str]]) -> None:
        await self.release.wait()
        self.writes.append(list(data["seen"]))
        if self.fail:
            raise OSError("disk full")
        await self.real_save(data)


@pytest.fixture
async def slow_disk(
    hass: HomeAssistant, make_entry: MakeEntry, monkeypatch: pytest.MonkeyPatch
) -> tuple[MockConfigEntry, SlowDisk]:
    entry = await make_entry("voip_communications")
    disk = SlowDisk(entry)
    monkeypatch.setattr(disk.store, "async_save", disk.save)
    return entry, disk


async def test_a_cancelled_webhook_request_loses_nothing_and_dispatches_once(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    slow_disk: tuple[MockConfigEntry, SlowDisk],
) -> None:
    """The provider gives up during a slow write; its retry must not be dropped unseen.

    Before: ids were marked seen before the write was awaited, so the cancelled
    request lost the message and the retry was dropped as a duplicate.
    """
    entry, disk = slow_disk
    inbound = entry.runtime_data.inbound
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    message = InboundMessage("r1", ALICE_DIGITS, "HOME")
    request = hass.async_create_task(inbound.async_dispatch([message]))
    await asyncio.sleep(0)
    request.cancel()  # the client disconnected: Home Assistant cancels the handler
    with pytest.raises(asyncio.CancelledError):
        await request
    retry = hass.async_create_task(inbound.async_dispatch([message]))  # the provider retries
    disk.release.set()
    await hass.async_block_till_done()
    assert await retry == 0  # being recorded already: not twice
    assert [e.data["message_id"] for e in events] == ["r1"]
    assert disk.writes == [["r1"]]


async def test_messages_arriving_during_a_write_share_the_next_one(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    slow_disk: tuple[MockConfigEntry, SlowDisk],
) -> None:
    """Before: every new message rewrote the whole seen-ids store (36 KiB each)."""
    entry, disk = slow_disk
    inbound = entry.runtime_data.inbound
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    first = hass.async_create_task(
        inbound.async_dispatch([InboundMessage("g0", ALICE_DIGITS, "first")])
    )
    await asyncio.sleep(0)
    rest = [
        hass.async_create_task(
            inbound.async_dispatch([InboundMessage(f"g{i}", ALICE_DIGITS, f"m{i}")])
        )
        for i in range(1, 50)
    ]
    await asyncio.sleep(0)
    disk.release.set()
    assert await first == 1
    assert [await task for task in rest] == [1] * 49
    assert len(disk.writes) == 2  # the first, then one for the 49 that waited
    assert sorted(disk.writes[-1]) == sorted(f"g{i}" for i in range(50))
    # Persisted before dispatched: every event came after the write holding its id.
    assert len(events) == 50


async def test_store_writes_are_spaced_under_a_steady_stream(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A message every 5 ms (200/s): writes start WRITE_INTERVAL apart, never one per message.

    Before: the writer wrote as soon as it was idle, so at 200 msg/s each
    message had its own write of the whole store (issue 12: ≤ 10 writes/s).
    """
    entry = await make_entry("voip_communications")
    inbound = entry.runtime_data.inbound
    store = inbound.seen._store
    real_save = store.async_save
    starts: list[float] = []

    async def save(data: dict[str, Any]) -> None:
        starts.append(hass.loop.time())
        await real_save(data)

    monkeypatch.setattr(store, "async_save", save)
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    tasks = []
    for i in range(60):
        message = InboundMessage(f"s{i}", ALICE_DIGITS, "HOME")
        tasks.append(hass.async_create_task(inbound.async_dispatch([message])))
        await asyncio.sleep(0.005)
    assert [await task for task in tasks] == [1] * 60
    await hass.async_block_till_done()
    assert len(events) == 60
    assert len(starts) < 60 // 4
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert all(gap >= WRITE_INTERVAL - 0.001 for gap in gaps), gaps
    # Every id made it to storage.
    stored = await store.async_load()
    assert stored is not None
    assert {f"s{i}" for i in range(60)} <= set(stored["seen"])


async def test_a_failed_write_dispatches_nothing_and_asks_for_a_retry(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    slow_disk: tuple[MockConfigEntry, SlowDisk],
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    entry, disk = slow_disk
    events, client = await listen(hass, hass_client_no_auth)
    disk.fail = True
    disk.release.set()
    form = {"from": ALICE_DIGITS, "to": demo.VOIP_NUMBER, "msg": "HOME", "id": "w1"}
    response = await client.post(f"/api/webhook/{entry.data['webhook_id']}", data=form)
    assert response.status == 503  # the provider delivers it again later
    assert events == []
    disk.fail = False
    response = await client.post(f"/api/webhook/{entry.data['webhook_id']}", data=form)
    assert response.status == 200
    await hass.async_block_till_done()
    assert len(events) == 1
