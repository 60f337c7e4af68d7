"""The simulator's control API, request log, fault injection and lifecycle."""

import asyncio
import time
from typing import Any

from aiohttp import BasicAuth, ClientError, ClientSession, ClientTimeout, ServerDisconnectedError
import pytest

from simulator.core import cancel_scheduled, finalize
from simulator.demo import VOIP_API_KEY, VOIP_API_PASSWORD, VOIP_NUMBER
from tests.conftest import Receiver, RunningSimulator

VOIP_SEND = "/api-v2/index.php/sms/send"
AUTH = BasicAuth(VOIP_API_KEY, VOIP_API_PASSWORD)


async def _send(sim: RunningSimulator, http: ClientSession, to: str = "12812345678") -> Any:
    async with http.post(
        f"{sim.url}{VOIP_SEND}", data={"to": to, "msg": "hello"}, auth=AUTH
    ) as resp:
        return resp.status, await resp.text()


async def _ctl(
    http: ClientSession, method: str, url: str, body: Any = None, status: int = 200
) -> Any:
    async with http.request(method, url, json=body) as resp:
        assert resp.status == status, await resp.text()
        if resp.content_type == "application/json":
            return await resp.json()
        return await resp.text()


async def test_health(simulator: RunningSimulator, http: ClientSession) -> None:
    data = await _ctl(http, "GET", f"{simulator.url}/_sim/health")
    assert data == {"ok": True, "providers": ["infobip", "sms365", "voip"]}


async def test_accounts(simulator: RunningSimulator, http: ClientSession) -> None:
    base = f"{simulator.url}/_sim/accounts"
    accounts = await _ctl(http, "GET", base)
    assert {a["id"] for a in accounts} == {"infobip-demo", "sms365-demo", "voip-demo"}

    created = await _ctl(
        http, "POST", base, {"provider": "infobip", "username": "u", "password": "p"}, 201
    )
    assert created["provider"] == "infobip"
    assert created["balance"] == 100.0
    sms365 = await _ctl(http, "POST", base, {"provider": "sms365", "api_key": "k"}, 201)
    assert sms365["currency"] == "SMS"

    changed = await _ctl(http, "PATCH", f"{base}/{created['id']}", {"balance": 0.5})
    assert changed["balance"] == 0.5
    assert (await _ctl(http, "GET", f"{base}/{created['id']}"))["balance"] == 0.5

    await _ctl(http, "POST", base, {"provider": "nope"}, 400)
    await _ctl(http, "POST", base, {"provider": "voip", "colour": "red"}, 400)
    await _ctl(http, "PATCH", f"{base}/{created['id']}", {"id": "x"}, 400)
    await _ctl(http, "GET", f"{base}/missing", status=404)
    await _ctl(http, "POST", base, [1, 2], 400)
    async with http.post(base, data="{not json", headers={"Content-Type": "application/json"}) as r:
        assert r.status == 400


async def test_request_log_and_messages(simulator: RunningSimulator, http: ClientSession) -> None:
    status, _ = await _send(simulator, http, "12812345678,12812345670")
    assert status == 200
    requests = await _ctl(http, "GET", f"{simulator.url}/_sim/requests?provider=voip")
    assert len(requests) == 1
    entry = requests[0]
    assert entry["method"] == "POST"
    assert entry["path"] == VOIP_SEND
    assert entry["form"] == {"to": ["12812345678,12812345670"], "msg": ["hello"]}
    assert entry["headers"]["Authorization"] == AUTH.encode()
    assert entry["status"] == 200
    assert entry["account_id"] == "voip-demo"

    assert await _ctl(http, "GET", f"{simulator.url}/_sim/requests?since={entry['seq']}") == []
    assert await _ctl(http, "GET", f"{simulator.url}/_sim/requests?path=restapi") == []

    messages = await _ctl(http, "GET", f"{simulator.url}/_sim/messages?provider=voip")
    assert [(m["to"], m["status"]) for m in messages] == [
        ("12812345678", "delivered"),
        ("12812345670", "undeliverable"),
    ]
    filtered = await _ctl(http, "GET", f"{simulator.url}/_sim/messages?to=12812345670")
    assert len(filtered) == 1
    one = await _ctl(http, "GET", f"{simulator.url}/_sim/messages/{messages[0]['id']}")
    assert one["text"] == "hello"
    await _ctl(http, "GET", f"{simulator.url}/_sim/messages/nope", status=404)

    await _ctl(http, "DELETE", f"{simulator.url}/_sim/requests")
    assert await _ctl(http, "GET", f"{simulator.url}/_sim/requests") == []
    await _ctl(http, "POST", f"{simulator.url}/_sim/reset")
    assert await _ctl(http, "GET", f"{simulator.url}/_sim/messages") == []
    assert len(await _ctl(http, "GET", f"{simulator.url}/_sim/accounts")) == 3


async def _fault(sim: RunningSimulator, http: ClientSession, **rule: Any) -> Any:
    return await _ctl(http, "POST", f"{sim.url}/_sim/faults", rule, 201)


async def test_fault_status_with_retry_after(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    await _fault(simulator, http, kind="status", status=429, retry_after="7", provider="voip")
    async with http.post(f"{simulator.url}{VOIP_SEND}", data={"to": "1", "msg": "x"}) as resp:
        assert resp.status == 429
        assert resp.headers["Retry-After"] == "7"
    # Applied to the next request only (count defaults to 1).
    status, _ = await _send(simulator, http)
    assert status == 200
    log = await _ctl(http, "GET", f"{simulator.url}/_sim/requests")
    assert [e["fault"] for e in log] == ["status", None]


async def test_fault_status_default_500_without_retry_after(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    await _fault(simulator, http, kind="status")
    async with http.post(f"{simulator.url}{VOIP_SEND}") as resp:
        assert resp.status == 500
        assert "Retry-After" not in resp.headers


@pytest.mark.parametrize(
    ("rule", "status", "content_type", "body"),
    [
        ({"kind": "malformed_json"}, 200, "application/json", '{"messages": [{'),
        ({"kind": "html"}, 502, "text/html", "<html>"),
        ({"kind": "html", "status": 503}, 503, "text/html", "<html>"),
        ({"kind": "empty"}, 200, "application/octet-stream", ""),
        (
            {"kind": "body", "body": "<a>xml</a>", "content_type": "application/xml"},
            200,
            "application/xml",
            "<a>xml</a>",
        ),
        ({"kind": "body", "body": '{"x": 1}', "status": 201}, 201, "application/json", '{"x": 1}'),
    ],
)
async def test_fault_bodies(
    simulator: RunningSimulator,
    http: ClientSession,
    rule: dict[str, Any],
    status: int,
    content_type: str,
    body: str,
) -> None:
    await _fault(simulator, http, **rule)
    async with http.post(f"{simulator.url}{VOIP_SEND}", auth=AUTH) as resp:
        assert resp.status == status
        assert resp.content_type == content_type
        assert (await resp.text()).startswith(body)


async def test_fault_drop(simulator: RunningSimulator, http: ClientSession) -> None:
    await _fault(simulator, http, kind="drop", count=2)
    for _ in range(2):
        with pytest.raises(ServerDisconnectedError):
            await _send(simulator, http)
    assert (await _send(simulator, http))[0] == 200
    assert len(simulator.state.messages) == 1


async def test_fault_timeout_processes_then_answers_late(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """The ambiguous failure: the provider accepted the message, the answer is late."""
    await _fault(simulator, http, kind="timeout", seconds=0.5)
    with pytest.raises(TimeoutError):
        async with http.post(
            f"{simulator.url}{VOIP_SEND}",
            data={"to": "12812345678", "msg": "late"},
            auth=AUTH,
            timeout=ClientTimeout(total=0.1),
        ):
            pass
    assert [m.text for m in simulator.state.messages.values()] == ["late"]
    await asyncio.sleep(0.5)  # let the late answer finish before teardown


async def test_fault_latency(simulator: RunningSimulator, http: ClientSession) -> None:
    await _fault(simulator, http, kind="latency", latency=0.2)
    start = time.monotonic()
    assert (await _send(simulator, http))[0] == 200
    assert time.monotonic() - start >= 0.2


async def test_fault_window_and_matching(simulator: RunningSimulator, http: ClientSession) -> None:
    await _fault(simulator, http, kind="status", status=503, duration=0.3, provider="voip")
    await _fault(simulator, http, kind="status", status=418, path="/restapi/", count=5)
    faults = await _ctl(http, "GET", f"{simulator.url}/_sim/faults")
    assert [f["kind"] for f in faults] == ["status", "status"]
    assert 0 < faults[0]["remaining_seconds"] <= 0.3
    assert faults[1]["count"] == 5
    # Within the window every voip request fails, whatever the count.
    for _ in range(3):
        assert (await _send(simulator, http))[0] == 503
    await asyncio.sleep(0.35)
    assert (await _send(simulator, http))[0] == 200
    # The path rule never matched a voip request.
    async with http.get(f"{simulator.url}/restapi/account/1/balance") as resp:
        assert resp.status == 418
    # Control routes are never faulted.
    await _ctl(http, "DELETE", f"{simulator.url}/_sim/faults")
    assert await _ctl(http, "GET", f"{simulator.url}/_sim/faults") == []


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "explode"},
        {"kind": "status", "colour": "red"},
        {"kind": "status", "status": "x"},
        {"kind": "status", "provider": "twilio"},
    ],
)
async def test_fault_rejects_bad_rules(
    simulator: RunningSimulator, http: ClientSession, rule: dict[str, Any]
) -> None:
    await _ctl(http, "POST", f"{simulator.url}/_sim/faults", rule, 400)


async def test_inbound_voip_push(
    simulator: RunningSimulator, http: ClientSession, receiver: Receiver
) -> None:
    simulator.state.accounts["voip-demo"].numbers[VOIP_NUMBER] = f"{receiver.url}/cb"
    created = await _ctl(
        http,
        "POST",
        f"{simulator.url}/_sim/inbound",
        {"provider": "voip", "from": "306971000001", "text": "Lights on", "message_id": "m1"},
        201,
    )
    assert created["delivered_by"] == ["push"]
    assert created["to"] == VOIP_NUMBER
    await _ctl(http, "POST", f"{simulator.url}/_sim/drain")
    assert len(receiver.requests) == 1
    pushed = receiver.requests[0]
    assert pushed.method == "POST"
    assert pushed.path_qs == "/cb"
    assert pushed.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "from=306971000001" in pushed.body
    assert "msg=Lights+on" in pushed.body
    assert "smsid=m1" in pushed.body
    pushes = await _ctl(http, "GET", f"{simulator.url}/_sim/pushes")
    assert [(p["kind"], p["status"], p["error"]) for p in pushes] == [("inbound", 200, None)]


async def test_inbound_without_callback_url_is_not_delivered(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    for deliver in ("auto", "pull"):
        created = await _ctl(
            http,
            "POST",
            f"{simulator.url}/_sim/inbound",
            {"provider": "voip", "from": "1", "text": "hi", "deliver": deliver},
            201,
        )
        assert created["delivered_by"] == []


async def test_push_failure_is_logged(simulator: RunningSimulator, http: ClientSession) -> None:
    simulator.state.accounts["voip-demo"].numbers[VOIP_NUMBER] = "http://127.0.0.1:9/closed"
    await _ctl(
        http,
        "POST",
        f"{simulator.url}/_sim/inbound",
        {"provider": "voip", "from": "1", "text": "hi"},
        201,
    )
    await simulator.drain()
    assert simulator.state.pushes[0].error is not None
    assert simulator.state.pushes[0].status is None


@pytest.mark.parametrize(
    "body",
    [
        {"provider": "sms365", "from": "1", "text": "x"},
        {"provider": "voip", "account": "nope", "from": "1", "text": "x"},
        {"provider": "voip", "from": 1, "text": "x"},
        {"provider": "voip", "from": "1", "text": "x", "deliver": "carrier-pigeon"},
    ],
)
async def test_inbound_rejects(
    simulator: RunningSimulator, http: ClientSession, body: dict[str, Any]
) -> None:
    await _ctl(http, "POST", f"{simulator.url}/_sim/inbound", body, 400)


async def test_settings_and_delayed_reports(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    assert await _ctl(http, "POST", f"{simulator.url}/_sim/settings", {"report_delay": 0.1}) == {
        "report_delay": 0.1
    }
    await _ctl(http, "POST", f"{simulator.url}/_sim/settings", {"report_delay": "soon"}, 400)
    await _send(simulator, http)
    (message,) = simulator.state.messages.values()
    assert message.status == "pending"
    await asyncio.sleep(0.15)
    assert message.status == "delivered"
    assert message.done_at is not None
    assert simulator.state.pending_reports["voip"] == [message.id]


async def test_scheduled_message_waits_for_its_time(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    async with http.post(
        f"{simulator.url}{VOIP_SEND}",
        data={"to": "12812345678", "msg": "later", "delivery_date": "2099-01-01 10:00"},
        auth=AUTH,
    ) as resp:
        log = (await resp.json())["send_log"]
    assert log[0]["status"] == "SCHEDULED"
    assert log[0]["delivery_date"] == "2099-01-01 10:00:00"
    (message,) = simulator.state.messages.values()
    assert message.status == "scheduled"
    assert message.id in simulator.state.timers
    # Cancelled: never delivered, and no timer outlives the test.
    cancel_scheduled(simulator.app, message.id)
    assert simulator.state.timers == {}
    finalize(simulator.app, message.id)
    assert message.status == "canceled"
    finalize(simulator.app, "unknown-id")


async def test_control_survives_client_errors(simulator: RunningSimulator) -> None:
    async with ClientSession() as session:
        with pytest.raises(ClientError):
            async with session.get("http://127.0.0.1:9/_sim/health"):
                pass
