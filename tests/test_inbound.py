"""Inbound SMS: webhook formats, pull mode, trust, exactly-once dispatch, the event entity."""

from datetime import UTC, datetime
import json
from typing import Any
from urllib.parse import urlencode

from aiohttp import ClientSession
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import webhook
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_gateway.const import EVENT_MESSAGE_RECEIVED
from custom_components.sms_gateway.inbound import (
    PUSH_PAUSES_PULL,
    normalize_sender,
    split_keyword,
)
from custom_components.sms_gateway.inbound_seen import MAX_SEEN_IDS, STORAGE_VERSION
from custom_components.sms_gateway.providers import InboundMessage
from tests.conftest import ALICE, BOB, MakeEntry, RunningSimulator
from tests.wire import (
    STRANGER,
    VOIP_NUMBER,
    event_entity,
    infobip_inbound,
    inject,
    listen,
    poll,
    post_infobip,
    state_of,
    webhook_url,
)

INBOX_REPORTS = "/restapi/sms/1/inbox/reports"


def pushed_from_alice(
    entry: MockConfigEntry, message_id: str, recipient: str, text: str, keyword: str
) -> dict[str, Any]:
    """Return the event data of a pushed "<keyword> now" from Alice, whichever provider."""
    return {
        "config_entry_id": entry.entry_id,
        "message_id": message_id,
        "sender": ALICE,
        "sender_name": "Alice",  # a saved recipient
        "recipient": recipient,
        "text": text,
        "keyword": keyword,
        "clean_text": "now",
        "received_at": "2025-05-01T10:20:30+00:00",
        "trusted": True,
    }


def inbox_pulls(simulator: RunningSimulator) -> int:
    """Count the inbox/reports requests the simulator received."""
    return sum(r.path == INBOX_REPORTS for r in simulator.state.requests)


# -- push: each provider's format ------------------------------------------------------


async def test_infobip_push(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    entry = await make_entry("infobip")
    events, client = await listen(hass, hass_client_no_auth)
    state = state_of(hass, event_entity("infobip"))
    assert state.state == "unknown"

    assert await post_infobip(client, infobip_inbound()) == 200
    await hass.async_block_till_done()

    assert len(events) == 1
    assert events[0].data == pushed_from_alice(entry, "mo-1", "+41793026727", "HOME now", "HOME")
    state = state_of(hass, event_entity("infobip"))
    assert state.state != "unknown"
    assert state.attributes["event_type"] == "received"
    assert state.attributes["sender"] == ALICE
    assert state.attributes["text"] == "HOME now"
    assert state.attributes["keyword"] == "HOME"
    assert state.attributes["clean_text"] == "now"
    assert state.attributes["received_at"] == "2025-05-01T10:20:30+00:00"
    assert state.attributes["trusted"] is True
    assert state.attributes["message_id"] == "mo-1"
    assert entry.runtime_data.inbound.last is not None
    assert entry.runtime_data.inbound.last.message_id == "mo-1"


async def test_infobip_provider_keyword_and_clean_text(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """The provider's keyword and cleanText win over the first word."""
    await make_entry("infobip")
    events, client = await listen(hass, hass_client_no_auth)
    body = infobip_inbound(text="Key  lights off", keyword="KEY", cleanText="lights off")
    assert await post_infobip(client, body) == 200
    await hass.async_block_till_done()
    assert [(e.data["keyword"], e.data["clean_text"]) for e in events] == [("KEY", "lights off")]


async def test_infobip_batch_of_messages(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    await make_entry("infobip")
    events, client = await listen(hass, hass_client_no_auth)
    assert (
        await post_infobip(
            client,
            infobip_inbound("a", text="one"),
            infobip_inbound("b", sender="306971234562", text="two"),
        )
        == 200
    )
    await hass.async_block_till_done()
    assert [(e.data["message_id"], e.data["sender"]) for e in events] == [
        ("a", ALICE),
        ("b", BOB),
    ]


VOIP_FIELDS = {
    "from": "306971234561",
    "to": VOIP_NUMBER,
    "msg": "Home now",
    "smsid": "v-1",
    "date": "2025-05-01 10:20:30",
}


# No GET: a GET never produces an inbound SMS (tests/test_inbound_faults.py).
@pytest.mark.parametrize("how", ["form", "query", "json"])
async def test_voip_push_formats(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    how: str,
) -> None:
    entry = await make_entry("voip_communications")
    events, client = await listen(hass, hass_client_no_auth)
    url = "/api/webhook/hook-voip_communications"
    if how == "form":
        response = await client.post(url, data=VOIP_FIELDS)
    elif how == "query":
        response = await client.post(f"{url}?{urlencode(VOIP_FIELDS)}")
    else:
        response = await client.post(url, json=VOIP_FIELDS)
    assert response.status == 200
    await hass.async_block_till_done()
    assert len(events) == 1
    assert events[0].data == pushed_from_alice(entry, "v-1", "+17134567890", "Home now", "Home")
    state = state_of(hass, event_entity("voip_communications"))
    assert state.attributes["sender"] == ALICE


async def test_voip_retry_without_id_is_recognised(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """Without smsid the id is derived from the message: a retry is still one message."""
    await make_entry("voip_communications")
    events, client = await listen(hass, hass_client_no_auth)
    fields = {k: v for k, v in VOIP_FIELDS.items() if k != "smsid"}
    for _ in range(3):
        response = await client.post("/api/webhook/hook-voip_communications", data=fields)
        assert response.status == 200
    await hass.async_block_till_done()
    assert len(events) == 1


async def test_delivery_reports_at_the_same_webhook_fire_no_inbound(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    """An Infobip DLR and an sms365 callback are accepted but are not received SMS."""
    await make_entry("infobip")
    await make_entry("sms365")
    events, client = await listen(hass, hass_client_no_auth)
    dlr = {
        "bulkId": "b-1",
        "messageId": "unknown-1",
        "to": "306971234561",
        "sentAt": "2025-05-01T10:20:30.000+0000",
        "doneAt": "2025-05-01T10:20:31.000+0000",
        "smsCount": 1,
        "callbackData": "whatever",
        "price": {"pricePerMessage": 0.01, "currency": "EUR"},
        "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET"},
        "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR"},
    }
    assert await post_infobip(client, dlr) == 200
    response = await client.get(
        "/api/webhook/hook-sms365",
        params={"msgid": "unknown", "status": "d", "cost": "1", "to": "306971234561"},
    )
    assert response.status == 200
    await hass.async_block_till_done()
    assert events == []


async def test_no_event_entity_without_inbound(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """sms365 documents no inbound API: no event entity, no polling."""
    entry = await make_entry("sms365")
    assert hass.states.get(event_entity("sms365")) is None
    assert entry.runtime_data.inbound._unsub_poll is None


# -- answers of the webhook ------------------------------------------------------------


async def test_webhook_answers(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    await make_entry("infobip")
    events, client = await listen(hass, hass_client_no_auth)
    url = "/api/webhook/hook-infobip"
    assert (await client.put(url, json={"results": [infobip_inbound()]})).status == 405
    assert (await client.post(url, data=b"{not json")).status == 400
    assert (await client.post(url, json={"results": []})).status == 400
    assert (await client.post(url, json={"results": [{"messageId": "x"}]})).status == 400
    big = {"results": [infobip_inbound(text="x" * (64 * 1024))]}
    assert (await client.post(url, json=big)).status == 413
    await hass.async_block_till_done()
    assert events == []
    assert (await client.post(url, json={"results": [infobip_inbound()]})).status == 200
    await hass.async_block_till_done()
    assert len(events) == 1


async def test_webhook_unregistered_on_unload(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    entry = await make_entry("infobip")
    assert "hook-infobip" in hass.data[webhook.DOMAIN]
    events, client = await listen(hass, hass_client_no_auth)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    assert "hook-infobip" not in hass.data[webhook.DOMAIN]
    # HA answers 200 for unknown webhooks, so as not to tell they do not exist.
    assert await post_infobip(client, infobip_inbound()) == 200
    await hass.async_block_till_done()
    assert events == []


# -- push from the simulator, for real -----------------------------------------------


async def test_simulator_push_infobip_and_voip(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
) -> None:
    infobip = await make_entry("infobip", options={"inbound_interval": 0})
    voip = await make_entry("voip_communications")
    events, client = await listen(hass, hass_client_no_auth)
    simulator.state.accounts["infobip-demo"].forward_url = webhook_url(client, "infobip")
    simulator.state.accounts["voip-demo"].numbers[VOIP_NUMBER] = webhook_url(
        client, "voip_communications"
    )

    sent = await inject(http, simulator, message_id="sim-1", deliver="push")
    assert sent["delivered_by"] == ["push"]
    sent = await inject(http, simulator, provider="voip", message_id="sim-2", text="hello")
    assert sent["delivered_by"] == ["push"]
    await hass.async_block_till_done()

    assert [p.status for p in simulator.state.pushes] == [200, 200]
    assert [
        (e.data["config_entry_id"], e.data["message_id"], e.data["sender"]) for e in events
    ] == [
        (infobip.entry_id, "sim-1", ALICE),
        (voip.entry_id, "sim-2", ALICE),
    ]


# -- pull mode ------------------------------------------------------------------------


async def test_pull(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    http: ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await make_entry("infobip")
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    sent = await inject(http, simulator, message_id="pull-1")
    assert sent["delivered_by"] == ["pull"]
    assert inbox_pulls(simulator) == 0

    await poll(hass, freezer)
    assert inbox_pulls(simulator) == 1
    assert [(e.data["message_id"], e.data["trusted"]) for e in events] == [("pull-1", True)]
    state = state_of(hass, event_entity("infobip"))
    assert state.attributes["message_id"] == "pull-1"

    # The provider served it once; the next polls find nothing new.
    await poll(hass, freezer)
    await poll(hass, freezer)
    assert inbox_pulls(simulator) == 3
    assert len(events) == 1

    # Stopped on unload.
    assert await hass.config_entries.async_unload(entry.entry_id)
    await poll(hass, freezer)
    assert inbox_pulls(simulator) == 3


@pytest.mark.parametrize(("interval", "polls_after"), [(0, [0, 0]), (300, [0, 1])])
async def test_pull_interval_option(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    interval: int,
    polls_after: list[int],
) -> None:
    await make_entry("infobip", options={"inbound_interval": interval})
    counts = []
    await poll(hass, freezer, 61)
    counts.append(inbox_pulls(simulator))
    await poll(hass, freezer, 240)
    counts.append(inbox_pulls(simulator))
    assert counts == polls_after


async def test_pull_failure_is_quiet_and_loses_nothing(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    http: ClientSession,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await make_entry("infobip")
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await inject(http, simulator, message_id="later")
    async with http.post(
        f"{simulator.url}/_sim/faults",
        json={"kind": "status", "status": 500, "path": "inbox/reports", "count": 1},
    ) as response:
        assert response.status < 300
    await poll(hass, freezer)
    assert inbox_pulls(simulator) == 1
    assert events == []
    assert "pulling received SMS failed" in caplog.text
    assert not [r for r in caplog.records if r.levelno >= 40]

    await poll(hass, freezer)
    assert [e.data["message_id"] for e in events] == ["later"]


async def test_a_push_pauses_pulling_for_a_day(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Push works: pulling would only take messages meant for other systems on the account.

    Issue 13: the inbox is served once, account-wide; push is preferred. The
    pause survives a restart and ends when pushes stop coming.
    """
    entry = await make_entry("infobip")
    events, client = await listen(hass, hass_client_no_auth)
    await poll(hass, freezer)
    assert inbox_pulls(simulator) == 1  # no push yet: pulled
    assert await post_infobip(client, infobip_inbound("pushed-1")) == 200
    await hass.async_block_till_done()
    # Someone else's message waits in the account's inbox.
    await inject(http, simulator, message_id="for-another-system")
    await poll(hass, freezer)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await poll(hass, freezer, PUSH_PAUSES_PULL - 3600)
    assert inbox_pulls(simulator) == 1  # paused, across the restart
    assert [m.id for m in simulator.state.inbox] == ["for-another-system"]

    await poll(hass, freezer, 3600 + 61)  # no push for a day: pulling again
    assert inbox_pulls(simulator) == 2
    assert [e.data["message_id"] for e in events] == ["pushed-1", "for-another-system"]


async def test_a_polling_interval_the_user_set_is_kept_after_a_push(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Pushes pause only the default pulling: an interval set in the options is the user's."""
    await make_entry("infobip", options={"inbound_interval": 30})
    client = await hass_client_no_auth()
    assert await post_infobip(client, infobip_inbound("pushed-1")) == 200
    await hass.async_block_till_done()
    await poll(hass, freezer, 31)
    assert inbox_pulls(simulator) == 1


# -- exactly once ---------------------------------------------------------------------


async def test_push_and_pull_of_the_same_message_dispatch_once(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    http: ClientSession,
    freezer: FrozenDateTimeFactory,
) -> None:
    await make_entry("infobip")
    events, client = await listen(hass, hass_client_no_auth)
    simulator.state.accounts["infobip-demo"].forward_url = webhook_url(client, "infobip")
    sent = await inject(http, simulator, message_id="twice", deliver="both")
    assert sent["delivered_by"] == ["push", "pull"]
    await hass.async_block_till_done()
    assert len(events) == 1
    # After a push the inbox is left alone for a day; then it is pulled again.
    await poll(hass, freezer, PUSH_PAUSES_PULL + 61)
    assert inbox_pulls(simulator) == 1
    assert len(events) == 1
    assert simulator.state.inbox == []


async def test_provider_retry_dispatches_once(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    await make_entry("infobip")
    events, client = await listen(hass, hass_client_no_auth)
    for _ in range(3):
        assert await post_infobip(client, infobip_inbound("retry-1")) == 200
    # The same id twice in one delivery, next to a new one.
    assert (
        await post_infobip(
            client, infobip_inbound("dup"), infobip_inbound("dup"), infobip_inbound("retry-1")
        )
        == 200
    )
    await hass.async_block_till_done()
    assert [e.data["message_id"] for e in events] == ["retry-1", "dup"]


async def test_seen_ids_survive_a_restart(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
    hass_storage: dict[str, Any],
) -> None:
    entry = await make_entry("infobip")
    events, client = await listen(hass, hass_client_no_auth)
    assert await post_infobip(client, infobip_inbound("kept")) == 200
    await hass.async_block_till_done()
    key = f"sms_gateway.{entry.entry_id}.inbound"
    # Recorded before it was dispatched (with the time of the push).
    assert hass_storage[key]["data"]["seen"] == ["kept"]
    assert hass_storage[key]["data"].keys() == {"seen", "last_push"}

    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert await post_infobip(client, infobip_inbound("kept")) == 200
    assert await post_infobip(client, infobip_inbound("new")) == 200
    await hass.async_block_till_done()
    assert [e.data["message_id"] for e in events] == ["kept", "new"]
    assert hass_storage[key]["data"]["seen"] == ["kept", "new"]


async def test_seen_ids_are_bounded(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_storage: dict[str, Any],
) -> None:
    entry = await make_entry("infobip", setup=False)
    key = f"sms_gateway.{entry.entry_id}.inbound"
    hass_storage[key] = {
        "version": STORAGE_VERSION,
        "minor_version": 1,
        "key": key,
        "data": {"seen": [f"old-{i}" for i in range(MAX_SEEN_IDS + 10)]},
    }
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    inbound = entry.runtime_data.inbound
    # Only the most recent ones are kept.
    assert len(inbound.seen._seen) == MAX_SEEN_IDS
    assert "old-9" not in inbound.seen._seen
    assert f"old-{MAX_SEEN_IDS + 9}" in inbound.seen._seen
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)

    assert await inbound.async_dispatch([InboundMessage("old-9", ALICE, "again")]) == 1
    assert await inbound.async_dispatch([InboundMessage("old-10", ALICE, "again")]) == 1
    assert await inbound.async_dispatch([InboundMessage(f"old-{MAX_SEEN_IDS}", ALICE, "x")]) == 0
    assert len(events) == 2
    await hass.async_block_till_done()
    assert len(hass_storage[key]["data"]["seen"]) == MAX_SEEN_IDS
    assert hass_storage[key]["data"]["seen"][-1] == "old-10"


# -- trust --------------------------------------------------------------------------


async def test_untrusted_sender(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_client_no_auth: ClientSessionGenerator,
) -> None:
    await make_entry("infobip")
    events, client = await listen(hass, hass_client_no_auth)
    assert await post_infobip(client, infobip_inbound(sender=STRANGER.removeprefix("+"))) == 200
    await hass.async_block_till_done()
    assert [(e.data["sender"], e.data["trusted"]) for e in events] == [(STRANGER, False)]
    state = state_of(hass, event_entity("infobip"))
    assert state.attributes["sender"] == STRANGER
    assert state.attributes["trusted"] is False


@pytest.mark.parametrize(
    ("options", "trusted"),
    [
        # Default: the saved recipients.
        ({}, {ALICE: True, BOB: True, STRANGER: False}),
        # An explicit list, written as people write numbers.
        ({"trusted_senders": ["0030 697 123 4569"]}, {ALICE: False, BOB: False, STRANGER: True}),
        ({"trusted_senders": ["6971234562"]}, {ALICE: False, BOB: True, STRANGER: False}),
        # Nobody.
        ({"trusted_senders": []}, {ALICE: False, BOB: False, STRANGER: False}),
        # accept_any_sender does not make a sender trusted.
        ({"accept_any_sender": True}, {ALICE: True, BOB: True, STRANGER: False}),
    ],
)
async def test_trusted_senders_option(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    options: dict[str, Any],
    trusted: dict[str, bool],
) -> None:
    entry = await make_entry("infobip", options=options)
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    inbound = entry.runtime_data.inbound
    for i, number in enumerate(trusted):
        await inbound.async_dispatch([InboundMessage(f"m{i}", number.removeprefix("+"), "hi")])
    assert {e.data["sender"]: e.data["trusted"] for e in events} == trusted
    accept_any = bool(options.get("accept_any_sender"))
    assert inbound.last is not None
    assert inbound.last.may_trigger is (accept_any or trusted[STRANGER])


async def test_no_recipients_trusts_nobody(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    entry = await make_entry("infobip", recipients=())
    events: list[Event] = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await entry.runtime_data.inbound.async_dispatch([InboundMessage("x", "306971234561", "hi")])
    assert [e.data["trusted"] for e in events] == [False]


# -- helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sender", "region", "expected"),
    [
        ("306971234561", "GR", ALICE),
        ("+306971234561", None, ALICE),
        ("00306971234561", None, ALICE),
        ("+30 697 123 4561", None, ALICE),
        ("6971234561", "GR", ALICE),  # national digits
        ("697 123 4561", "GR", ALICE),
        ("InfoSMS", "GR", "InfoSMS"),  # alphanumeric sender
        (" 12345 ", "GR", "12345"),  # short code
        ("", "GR", ""),
    ],
)
def test_normalize_sender(sender: str, region: str | None, expected: str) -> None:
    assert normalize_sender(sender, region) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HOME now", ("HOME", "now")),
        ("  home   now  please ", ("home", "now  please")),
        ("HOME", ("HOME", "")),
        ("", (None, "")),
        ("   ", (None, "")),
    ],
)
def test_split_keyword(text: str, expected: tuple[str | None, str]) -> None:
    assert split_keyword(text) == expected


async def test_received_time_defaults_to_now(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to("2025-06-01 12:00:00+00:00")
    entry = await make_entry("infobip")
    events = async_capture_events(hass, EVENT_MESSAGE_RECEIVED)
    await entry.runtime_data.inbound.async_dispatch(
        [
            InboundMessage("t1", "InfoSMS", "No keyword text", keyword="NO", clean_text=None),
            InboundMessage("t2", ALICE, "x", received_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ]
    )
    assert [
        (e.data["sender"], e.data["keyword"], e.data["clean_text"], e.data["received_at"])
        for e in events
    ] == [
        ("InfoSMS", "NO", "keyword text", "2025-06-01T12:00:00+00:00"),
        (ALICE, "x", "", "2025-01-02T03:04:05+00:00"),
    ]
    assert json.dumps(events[0].data)  # JSON-able, as the bus and the recorder need
