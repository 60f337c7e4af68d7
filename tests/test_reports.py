"""Delivery reports: polled while messages are pending, or pushed to the webhook."""

import json
from typing import Any

from aiohttp.test_utils import TestClient
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
)
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_gateway.const import DOMAIN, EVENT_DELIVERY_REPORT
from custom_components.sms_gateway.providers import DeliveryStatus
from custom_components.sms_gateway.reports import LastDelivery
from simulator.core import finalize
from tests.conftest import ALICE, BOB, MakeEntry, RunningSimulator
from tests.outage import advance
from tests.wire import INFOBIP_DELIVERED_STATUS, INFOBIP_NO_ERROR, send_results, state_of

# Paths of the pull APIs for delivery reports.
REPORT_PATHS = {"infobip": "/restapi/sms/1/reports", "sms365": "/api/status/get"}
UNDELIVERABLE = "+306971234560"  # ends in 0: the simulator says undeliverable
EXPIRES = "+306971234569"  # ends in 9: expired


def report_requests(simulator: RunningSimulator, provider: str) -> int:
    """Count the pull requests for delivery reports the simulator received."""
    return sum(r.path == REPORT_PATHS[provider] for r in simulator.state.requests)


def status_entity(provider: str) -> str:
    return f"sensor.demo_{provider}_last_delivery_status"


# -- polling ------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["infobip", "sms365"])
async def test_poll_until_delivered(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    provider: str,
) -> None:
    entry = await make_entry(provider)
    assert entry.runtime_data.tracker.mode == "poll"
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    [result] = await send_results(hass, entry, ALICE)
    state = state_of(hass, status_entity(provider))
    assert state.state == "accepted"
    assert state.attributes["message_id"] == result["message_id"]
    assert state.attributes["recipient"] == ALICE
    assert state.attributes["sent_at"] is not None
    assert "price" in state.attributes
    # The simulator has the final report ready; nothing was pulled yet.
    assert report_requests(simulator, provider) == 0
    assert entry.runtime_data.tracker.pending

    await advance(hass, freezer, 30)
    assert report_requests(simulator, provider) == 1
    state = state_of(hass, status_entity(provider))
    assert state.state == "delivered"
    assert state.attributes["message_id"] == result["message_id"]
    assert state.attributes["recipient"] == ALICE
    assert state.attributes["error"] is None
    assert state.attributes["permanent"] is False
    assert [e.data for e in events] == [
        {
            "config_entry_id": entry.entry_id,
            "message_id": result["message_id"],
            "to": ALICE,
            "name": "Alice",  # a saved recipient
            "status": "delivered",
            "error": None,
            "permanent": False,
        }
    ]
    # Nothing pending any more: polling stopped.
    assert not entry.runtime_data.tracker.pending
    for _ in range(5):
        await advance(hass, freezer, 30)
    assert report_requests(simulator, provider) == 1
    assert len(events) == 1


@pytest.mark.parametrize("provider", ["infobip", "sms365"])
async def test_poll_undeliverable(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    provider: str,
) -> None:
    entry = await make_entry(provider)
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    [result] = await send_results(hass, entry, UNDELIVERABLE)
    await advance(hass, freezer, 30)
    state = state_of(hass, status_entity(provider))
    assert state.state == "undeliverable"
    assert state.attributes["recipient"] == UNDELIVERABLE
    assert state.attributes["message_id"] == result["message_id"]
    [event] = events
    assert event.data["status"] == "undeliverable"
    assert event.data["to"] == UNDELIVERABLE
    assert event.data["message_id"] == result["message_id"]
    if provider == "infobip":
        # Infobip tells the error; sms365's "f" carries none.
        assert state.attributes["error"]
        assert state.attributes["error"] == event.data["error"]
        assert state.attributes["permanent"] is event.data["permanent"]
        assert isinstance(event.data["permanent"], bool)


async def test_poll_several_reports_one_event_each(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await make_entry("infobip")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    results = await send_results(hass, entry, ALICE, UNDELIVERABLE, EXPIRES)
    assert len(entry.runtime_data.tracker.pending) == 3
    await advance(hass, freezer, 30)
    assert sorted((e.data["to"], e.data["status"]) for e in events) == sorted(
        [(ALICE, "delivered"), (UNDELIVERABLE, "undeliverable"), (EXPIRES, "expired")]
    )
    assert {e.data["message_id"] for e in events} == {r["message_id"] for r in results}
    assert all(e.data["config_entry_id"] == entry.entry_id for e in events)
    assert not entry.runtime_data.tracker.pending
    await advance(hass, freezer, 120)
    assert report_requests(simulator, "infobip") == 1


async def test_poll_waits_while_reports_are_late(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A poll that finds nothing keeps polling; a failed poll too."""
    entry = await make_entry("infobip")
    simulator.state.report_delay = 3600  # the report is not ready yet
    await send_results(hass, entry, ALICE)
    await advance(hass, freezer, 30)
    assert report_requests(simulator, "infobip") == 1
    simulator.state.add_fault(kind="status", provider="infobip", path="/sms/1/reports", status=503)
    await advance(hass, freezer, 30)
    assert report_requests(simulator, "infobip") == 2
    pulls = [r for r in simulator.state.requests if r.path == REPORT_PATHS["infobip"]]
    assert pulls[-1].fault == "status"
    state = state_of(hass, status_entity("infobip"))
    assert state.state == "accepted"
    assert entry.runtime_data.tracker.pending
    await advance(hass, freezer, 30)
    assert report_requests(simulator, "infobip") == 3
    # Reports that never come: after 48 h the message is given up on.
    await advance(hass, freezer, 48 * 3600)
    assert not entry.runtime_data.tracker.pending
    count = report_requests(simulator, "infobip")
    await advance(hass, freezer, 300)
    assert report_requests(simulator, "infobip") == count
    simulator.state.cancel_timers()


async def test_status_the_document_does_not_list_keeps_waiting(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """sms365 status/get values beyond d/f/s: pending, polled on, counted in diagnostics."""
    entry = await make_entry("sms365")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    [result] = await send_results(hass, entry, ALICE)
    message = simulator.state.messages[result["message_id"]]
    message.extra["status_letter"] = "q"
    await advance(hass, freezer, 30)
    assert [e.data["status"] for e in events] == ["pending"]
    assert value_of(hass, status_entity("sms365")) == "pending"
    assert result["message_id"] in entry.runtime_data.tracker.pending
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["delivery_reports"]["unknown_statuses"] == {"q": 1}
    assert diagnostics["delivery_reports"]["pending"] == 1

    # Its final status comes later: still polled for, then delivered.
    del message.extra["status_letter"]
    simulator.state.changed_status.append(message.id)
    await advance(hass, freezer, 30)
    assert report_requests(simulator, "sms365") == 2
    assert [e.data["status"] for e in events] == ["pending", "delivered"]
    assert value_of(hass, status_entity("sms365")) == "delivered"
    assert not entry.runtime_data.tracker.pending


def value_of(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


@pytest.mark.parametrize("provider", ["infobip", "sms365"])
async def test_idle_account_never_polls_reports(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
    provider: str,
) -> None:
    await make_entry(provider)
    for _ in range(40):  # 20 minutes: one balance refresh (every 15 min)
        await advance(hass, freezer, 30)
    assert report_requests(simulator, provider) == 0
    # Inbound SMS have their own polling; only delivery reports matter here.
    paths = {r.path for r in simulator.state.requests if "/inbox/" not in r.path}
    assert paths == (
        {"/restapi/account/1/balance"}
        if provider == "infobip"
        else {"/api/me/balance", "/api/viber/balance"}
    )


async def test_voip_has_no_delivery_reports(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    entry = await make_entry("voip_communications")
    assert entry.runtime_data.tracker.mode == "none"
    assert entry.runtime_data.tracker.notify_url is None
    [result] = await send_results(hass, entry, ALICE)
    state = state_of(hass, status_entity("voip_communications"))
    assert state.state == result["status"]
    count = len(simulator.state.requests)
    await advance(hass, freezer, 300)
    assert len(simulator.state.requests) == count


async def test_report_mode_poll_option_ignores_external_url(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    await hass.config.async_update(external_url="https://ha.example.com")
    entry = await make_entry("infobip", options={"report_mode": "poll"})
    assert entry.runtime_data.tracker.mode == "poll"
    assert entry.runtime_data.tracker.notify_url is None
    await send_results(hass, entry, ALICE)
    [request] = [r for r in simulator.state.requests if r.method == "POST"]
    assert "notifyUrl" not in request.body


async def test_report_mode_push_without_url_polls(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry = await make_entry("sms365", options={"report_mode": "push"})
    assert entry.runtime_data.tracker.mode == "poll"
    assert "need an external URL" in caplog.text


# -- push ---------------------------------------------------------------------------


@pytest.fixture
async def ha_client(hass: HomeAssistant, hass_client_no_auth: ClientSessionGenerator) -> TestClient:
    """Serve Home Assistant's HTTP app on 127.0.0.1 and make it the external URL."""
    # Every component that adds HTTP views must be set up before the server starts.
    for component in ("http", "webhook", "repairs", DOMAIN):
        assert await async_setup_component(hass, component, {})
    client = await hass_client_no_auth()
    base = str(client.make_url("")).rstrip("/")
    await hass.config.async_update(external_url=base)
    return client


@pytest.mark.parametrize(
    ("provider", "mode"),
    [("infobip", "auto"), ("infobip", "push"), ("sms365", "auto"), ("sms365", "push")],
)
async def test_push_reports_end_to_end(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    ha_client: TestClient,
    freezer: FrozenDateTimeFactory,
    provider: str,
    mode: str,
) -> None:
    entry = await make_entry(provider, options={"report_mode": mode})
    tracker = entry.runtime_data.tracker
    assert tracker.mode == "push"
    hook_url = str(ha_client.make_url(f"/api/webhook/hook-{provider}"))
    assert tracker.notify_url == hook_url
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)

    [ok] = await send_results(hass, entry, ALICE)
    [sent] = [r for r in simulator.state.requests if r.path.endswith(("/advanced", "/send"))]
    if provider == "infobip":
        assert [m["notifyUrl"] for m in sent.json["messages"]] == [hook_url]
    else:
        assert sent.form is not None
        assert sent.form["callback"] == [hook_url]
    await simulator.drain()
    await hass.async_block_till_done()
    [push] = simulator.state.pushes
    assert push.status == 200
    state = state_of(hass, status_entity(provider))
    assert state.state == "delivered"
    assert state.attributes["message_id"] == ok["message_id"]
    assert state.attributes["recipient"] == ALICE

    [bad] = await send_results(hass, entry, UNDELIVERABLE)
    await simulator.drain()
    await hass.async_block_till_done()
    state = state_of(hass, status_entity(provider))
    assert state.state == "undeliverable"
    assert state.attributes["message_id"] == bad["message_id"]
    assert [(e.data["message_id"], e.data["status"], e.data["to"]) for e in events] == [
        (ok["message_id"], "delivered", ALICE),
        (bad["message_id"], "undeliverable", UNDELIVERABLE),
    ]
    assert not tracker.pending
    # Never pulled, not even later.
    await advance(hass, freezer, 120)
    assert report_requests(simulator, provider) == 0


async def test_push_mode_polls_what_no_callback_covers(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    ha_client: TestClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """sms365 pushes only for sms/send: bulk and Viber reports are pulled in push mode too."""
    entry = await make_entry("sms365")
    tracker = entry.runtime_data.tracker
    assert tracker.mode == "push"
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)

    bulk = await send_results(hass, entry, ALICE, BOB)
    [sent] = [r for r in simulator.state.requests if r.path == "/api/sms/bulk"]
    assert sent.form is not None
    assert "callback" not in sent.form
    await simulator.drain()
    await hass.async_block_till_done()
    assert simulator.state.pushes == []  # no callback will ever come for them
    assert {m for m, p in tracker.pending.items() if not p.pushed} == {
        r["message_id"] for r in bulk
    }
    await advance(hass, freezer, 30)
    assert report_requests(simulator, "sms365") == 1
    assert sorted((e.data["message_id"], e.data["status"]) for e in events) == sorted(
        (r["message_id"], "delivered") for r in bulk
    )
    assert not tracker.pending

    # Viber: no callback either.
    events.clear()
    await hass.services.async_call(
        DOMAIN,
        "send_message",
        {
            "config_entry_id": entry.entry_id,
            "target": [ALICE],
            "message": "Hello",
            "channel": "viber",
            "sender": "DemoViber",
        },
        blocking=True,
    )
    await simulator.drain()
    await hass.async_block_till_done()
    assert simulator.state.pushes == []
    await advance(hass, freezer, 30)
    assert report_requests(simulator, "sms365") == 2
    assert [e.data["status"] for e in events] == ["delivered"]

    # Nothing waits for a pull any more: no more requests.
    for _ in range(4):
        await advance(hass, freezer, 30)
    assert report_requests(simulator, "sms365") == 2


async def test_push_mode_pull_leaves_pushed_reports_to_their_push(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    ha_client: TestClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A pull in push mode brings every change; each message's event still fires once."""
    entry = await make_entry("sms365")
    tracker = entry.runtime_data.tracker
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    simulator.state.report_delay = 10.0  # reports come later than the sends
    bulk = await send_results(hass, entry, ALICE, BOB)
    [single] = await send_results(hass, entry, UNDELIVERABLE)
    pushed = tracker.pending[single["message_id"]]
    assert pushed.pushed
    assert not tracker.pending[bulk[0]["message_id"]].pushed
    # The reports are ready, the callback is under way: the pull sees all three.
    simulator.state.report_delay = 0.0
    for message_id in [r["message_id"] for r in (*bulk, single)]:
        simulator.state.timers.pop(message_id).cancel()
        finalize(simulator.app, message_id)
    await advance(hass, freezer, 30)
    assert report_requests(simulator, "sms365") == 1
    await simulator.drain()
    await hass.async_block_till_done()
    assert [p.status for p in simulator.state.pushes] == [200]
    assert sorted((e.data["message_id"], e.data["status"]) for e in events) == sorted(
        [*((r["message_id"], "delivered") for r in bulk), (single["message_id"], "undeliverable")]
    )
    assert not tracker.pending


INFOBIP_DOC_REPORT = {
    "results": [
        {
            "bulkId": "8c20f086-d82b-48cc-b2b3-3ca5f7aca9fb",
            "messageId": "ff4804ef-6ab6-4abd-984d-ab3b1387e852",
            "to": "385981178",
            "sentAt": "2015-02-12T09:58:20.323+0100",
            "doneAt": "2015-02-12T09:58:20.337+0100",
            "smsCount": 1,
            "price": {"pricePerMessage": 0.01, "currency": "EUR"},
            "status": INFOBIP_DELIVERED_STATUS,
            "error": INFOBIP_NO_ERROR,
            "callbackData": "DLR callback data",
        }
    ]
}


async def test_webhook_infobip_doc_report(
    hass: HomeAssistant, make_entry: MakeEntry, ha_client: TestClient
) -> None:
    entry = await make_entry("infobip")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    response = await ha_client.post("/api/webhook/hook-infobip", json=INFOBIP_DOC_REPORT)
    assert response.status == 200
    await hass.async_block_till_done()
    state = state_of(hass, status_entity("infobip"))
    assert state.state == "delivered"
    assert state.attributes["message_id"] == "ff4804ef-6ab6-4abd-984d-ab3b1387e852"
    assert state.attributes["recipient"] == "+385981178"
    assert state.attributes["price"] == 0.01
    assert state.attributes["currency"] == "EUR"
    assert state.attributes["done_at"] == "2015-02-12T09:58:20.337000+01:00"
    [event] = events
    assert event.data == {
        "config_entry_id": entry.entry_id,
        "message_id": "ff4804ef-6ab6-4abd-984d-ab3b1387e852",
        "to": "+385981178",
        "name": None,  # not a saved recipient
        "status": "delivered",
        "error": None,
        "permanent": False,
    }


async def test_webhook_sms365_callback(
    hass: HomeAssistant, make_entry: MakeEntry, ha_client: TestClient
) -> None:
    entry = await make_entry("sms365")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    response = await ha_client.get(
        "/api/webhook/hook-sms365",
        params={
            "msgid": "123456789012345",
            "status": "f",
            "cost": "1",
            "to": "306971234560",
            "mcc": "202",
            "mnc": "01",
        },
    )
    assert response.status == 200
    await hass.async_block_till_done()
    state = state_of(hass, status_entity("sms365"))
    assert state.state == "undeliverable"
    assert state.attributes["recipient"] == UNDELIVERABLE
    assert state.attributes["price"] == 1
    [event] = events
    assert event.data["config_entry_id"] == entry.entry_id
    assert event.data["message_id"] == "123456789012345"
    assert event.data["status"] == "undeliverable"


async def test_webhook_voip_inbound_post(
    hass: HomeAssistant, make_entry: MakeEntry, ha_client: TestClient
) -> None:
    """voip-communications posts replies; they change no delivery status."""
    await make_entry("voip_communications")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    response = await ha_client.post(
        "/api/webhook/hook-voip_communications",
        data={"from": "306971234561", "to": "17134567890", "message": "Hi", "id": "77"},
    )
    assert response.status in (200, 400)
    await hass.async_block_till_done()
    assert not events
    state = state_of(hass, status_entity("voip_communications"))
    assert state.state == "unknown"


@pytest.mark.parametrize(
    ("provider", "method", "kwargs"),
    [
        ("infobip", "post", {"data": b"not json"}),
        ("infobip", "post", {"data": b""}),
        ("infobip", "post", {"json": {"results": []}}),
        ("infobip", "post", {"json": {"results": "x"}}),
        ("infobip", "post", {"json": [1, 2]}),
        ("infobip", "post", {"json": {"results": [{"status": "x"}]}}),
        ("infobip", "post", {"data": b"\xff\xfe{"}),
        ("infobip", "get", {}),
        ("sms365", "get", {}),
        ("sms365", "get", {"params": {"msgid": "123456789012345"}}),
        ("sms365", "get", {"params": {"msgid": "123456789012345", "status": "z"}}),
        ("sms365", "post", {"data": b"[1]", "headers": {"Content-Type": "application/json"}}),
        ("sms365", "post", {"data": b"{bad json"}),
    ],
)
async def test_webhook_bad_bodies(
    hass: HomeAssistant,
    make_entry: MakeEntry,
    ha_client: TestClient,
    provider: str,
    method: str,
    kwargs: dict[str, Any],
) -> None:
    await make_entry(provider)
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    response = await getattr(ha_client, method)(f"/api/webhook/hook-{provider}", **kwargs)
    # GET is for sms365's report callback only: the other accounts answer 405.
    assert response.status == (405 if method == "get" and provider != "sms365" else 400)
    await hass.async_block_till_done()
    assert not events
    state = state_of(hass, status_entity(provider))
    assert state.state == "unknown"


@pytest.mark.parametrize("chunked", [False, True])
async def test_webhook_oversized_body(
    hass: HomeAssistant, make_entry: MakeEntry, ha_client: TestClient, chunked: bool
) -> None:
    await make_entry("infobip")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    report = INFOBIP_DOC_REPORT["results"][0]
    body = json.dumps({"results": [report] * 300}).encode()
    assert len(body) > 64 * 1024

    async def chunks() -> Any:
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    response = await ha_client.post(
        "/api/webhook/hook-infobip",
        data=chunks() if chunked else body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 413
    await hass.async_block_till_done()
    assert not events


async def test_webhook_large_body_in_chunks(
    hass: HomeAssistant, make_entry: MakeEntry, ha_client: TestClient
) -> None:
    """A body under the limit that arrives in many pieces is read whole."""
    await make_entry("infobip")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    report = INFOBIP_DOC_REPORT["results"][0]
    body = json.dumps({"results": [report] * 60}).encode()
    assert 32 * 1024 < len(body) < 64 * 1024

    async def chunks() -> Any:
        for start in range(0, len(body), 1024):
            yield body[start : start + 1024]

    response = await ha_client.post(
        "/api/webhook/hook-infobip", data=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status == 200
    await hass.async_block_till_done()
    assert len(events) == 60


async def test_webhook_unknown_id(
    hass: HomeAssistant, make_entry: MakeEntry, ha_client: TestClient
) -> None:
    await make_entry("infobip")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    response = await ha_client.post("/api/webhook/not-ours", json=INFOBIP_DOC_REPORT)
    # Home Assistant answers 200 for unknown webhooks, so as not to reveal which exist.
    assert response.status == 200
    await hass.async_block_till_done()
    assert not events


async def test_webhook_of_unloaded_entry(
    hass: HomeAssistant, make_entry: MakeEntry, ha_client: TestClient
) -> None:
    """A webhook still registered for an entry that is not loaded answers 404."""
    from homeassistant.components import webhook

    from custom_components.sms_gateway.webhook import _async_handle_webhook

    entry = await make_entry("infobip")
    webhook.async_register(hass, DOMAIN, "stray", "stray-hook", _async_handle_webhook)
    response = await ha_client.post("/api/webhook/stray-hook", json=INFOBIP_DOC_REPORT)
    assert response.status == 404
    webhook.async_unregister(hass, "stray-hook")
    assert await hass.config_entries.async_unload(entry.entry_id)
    response = await ha_client.post("/api/webhook/hook-infobip", json=INFOBIP_DOC_REPORT)
    assert response.status == 200  # unregistered: Home Assistant's answer


async def test_last_delivery_as_dict() -> None:
    last = LastDelivery(status=DeliveryStatus.DELIVERED, message_id="m", recipient=BOB)
    assert last.as_dict() == {
        "status": "delivered",
        "message_id": "m",
        "recipient": BOB,
        "sent_at": None,
        "done_at": None,
        "error": None,
        "permanent": False,
        "price": None,
        "currency": None,
    }


async def test_webhook_pending_report_keeps_waiting(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, ha_client: TestClient
) -> None:
    """A report that is not final yet updates the status; the message stays pending."""
    entry = await make_entry("infobip")
    simulator.state.report_delay = 3600  # the final report comes much later
    [result] = await send_results(hass, entry, ALICE)
    report = {
        **INFOBIP_DOC_REPORT["results"][0],
        "messageId": result["message_id"],
        "to": "306971234561",
        "status": {
            "groupId": 1,
            "groupName": "PENDING",
            "id": 7,
            "name": "PENDING_ENROUTE",
            "description": "Message sent to next instance",
        },
    }
    del report["doneAt"]
    response = await ha_client.post("/api/webhook/hook-infobip", json={"results": [report]})
    assert response.status == 200
    await hass.async_block_till_done()
    state = state_of(hass, status_entity("infobip"))
    assert state.state == "pending"
    assert result["message_id"] in entry.runtime_data.tracker.pending
    simulator.state.cancel_timers()


async def test_webhook_late_pending_report_is_ignored(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, ha_client: TestClient
) -> None:
    """Reports can arrive out of order: a "pending" after "delivered" changes nothing."""
    entry = await make_entry("infobip")
    [result] = await send_results(hass, entry, ALICE)
    await simulator.drain()
    await hass.async_block_till_done()
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    report = {
        "messageId": result["message_id"],
        "to": "306971234561",
        "status": {"groupId": 1, "groupName": "PENDING", "id": 7, "name": "PENDING_ENROUTE"},
    }
    response = await ha_client.post("/api/webhook/hook-infobip", json={"results": [report]})
    assert response.status == 200
    await hass.async_block_till_done()
    state = state_of(hass, status_entity("infobip"))
    assert state.state == "delivered"
    assert not events


async def test_webhook_infobip_inbound_forward(
    hass: HomeAssistant, make_entry: MakeEntry, ha_client: TestClient
) -> None:
    """A forwarded inbound SMS (same envelope, no status) is no delivery report."""
    await make_entry("infobip")
    events = async_capture_events(hass, EVENT_DELIVERY_REPORT)
    inbound = {
        "results": [
            {
                "messageId": "817790313235066447",
                "from": "385916242493",
                "to": "385921004026",
                "text": "QUIZ Correct answer is Paris",
                "cleanText": "Correct answer is Paris",
                "keyword": "QUIZ",
                "receivedAt": "2016-10-06T09:28:39.220+0000",
                "smsCount": 1,
            }
        ]
    }
    response = await ha_client.post("/api/webhook/hook-infobip", json=inbound)
    assert response.status == 200
    await hass.async_block_till_done()
    assert not events
    state = state_of(hass, status_entity("infobip"))
    assert state.state == "unknown"
