"""Infobip-v1 style API: received messages, Number Context, the status/error tables."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import ClientSession
import pytest

from simulator import infobip
from simulator.state import now_utc
from tests.conftest import RunningSimulator
from tests.simulator.infobip_support import apply_errata, compare, notify_server, parse_body
from tests.simulator.test_infobip_send import DEMO, call, error

INBOX = "/restapi/sms/1/inbox/reports"
INBOX_LOGS = "/restapi/sms/1/inbox/logs"
QUERY = "/restapi/number/1/query"
NOTIFY = "/restapi/number/1/notify"


async def inbound(
    sim: RunningSimulator, http: ClientSession, text: str, **values: Any
) -> dict[str, Any]:
    payload = {"provider": "infobip", "from": "385998779111", "to": "41793026727", "text": text}
    payload.update(values)
    async with http.post(f"{sim.url}/_sim/inbound", json=payload) as resp:
        assert resp.status == 201, await resp.text()
        result: dict[str, Any] = await resp.json()
        return result


# -- received messages ------------------------------------------------------------


async def test_inbound_push_and_pull(simulator: RunningSimulator, http: ClientSession) -> None:
    account = simulator.state.accounts[DEMO]
    async with notify_server() as server:
        account.forward_url = server.url
        pushed = await inbound(simulator, http, "KEY pushed", message_id="P1")
        both = await inbound(simulator, http, "both", message_id="P2", deliver="both")
        pulled = await inbound(simulator, http, "pull", message_id="P3", deliver="pull")
        await simulator.drain()
        account.forward_url = None
        auto = await inbound(simulator, http, "auto pull", message_id="P4")
        nowhere = await inbound(simulator, http, "push without URL", deliver="push")
        assert [r["delivered_by"] for r in (pushed, both, pulled, auto, nowhere)] == [
            ["push"],
            ["push", "pull"],
            ["pull"],
            ["pull"],
            [],
        ]
        assert len(server.received) == 2
        body = parse_body(server.received[0]["body"], server.received[0]["content_type"])
    compare(
        {
            "results": [
                {
                    "messageId": "P1",
                    "from": "385998779111",
                    "to": "41793026727",
                    "text": "KEY pushed",
                    "cleanText": "pushed",
                    "keyword": "KEY",
                    "receivedAt": "",
                    "smsCount": 1,
                }
            ]
        },
        body,
        {},
    )
    assert [p.kind for p in simulator.state.pushes] == ["inbound", "inbound"]
    _status, answer = await call(simulator, http, "GET", INBOX, params={"limit": "2"})
    assert [m["messageId"] for m in answer["results"]] == ["P2", "P3"]
    assert answer["results"][1]["keyword"] == ""
    _status, answer = await call(simulator, http, "GET", INBOX)
    assert [m["messageId"] for m in answer["results"]] == ["P4"]
    _status, answer = await call(simulator, http, "GET", INBOX)
    assert answer == {"results": []}


async def test_inbox_is_per_account(simulator: RunningSimulator, http: ClientSession) -> None:
    simulator.state.add_account("infobip", id="other", username="o", password="p")
    await inbound(simulator, http, "for other", account="other", message_id="O1")
    await inbound(simulator, http, "for demo", account=DEMO, message_id="D1")
    _status, answer = await call(simulator, http, "GET", INBOX)
    assert [m["messageId"] for m in answer["results"]] == ["D1"]
    assert [m.id for m in simulator.state.inbox] == ["O1"]
    _status, answer = await call(simulator, http, "GET", INBOX_LOGS)
    assert [m["messageId"] for m in answer["results"]] == ["D1"]


async def test_inbox_logs_filters(simulator: RunningSimulator, http: ClientSession) -> None:
    await inbound(simulator, http, "KEY one", message_id="I1", to="13372")
    await inbound(simulator, http, "HEY two", message_id="I2")
    await inbound(simulator, http, "three", message_id="I3")
    simulator.state.inbox_log[0].received_at = now_utc() - timedelta(hours=1)
    middle = simulator.state.inbox_log[1].received_at

    async def logs(**params: str) -> list[str]:
        status, body = await call(simulator, http, "GET", INBOX_LOGS, params=params)
        assert status == 200, body
        return [r["messageId"] for r in body["results"]]

    assert await logs() == ["I3", "I2", "I1"]
    assert await logs() == ["I3", "I2", "I1"]  # repeatable
    assert await logs(limit="1") == ["I3"]
    assert await logs(keyword="hey") == ["I2"]
    assert await logs(keyword="NO_KEYWORD") == ["I3"]
    assert await logs(to="13372") == ["I1"]
    assert await logs(receivedSince=middle.isoformat()) == ["I3", "I2"]
    assert await logs(receivedUntil=middle.isoformat()) == ["I2", "I1"]
    status, body = await call(simulator, http, "GET", INBOX_LOGS, params={"receivedUntil": "x"})
    assert status == 400
    assert body == error("BAD_REQUEST", "Invalid receivedUntil: x")


# -- Number Context -----------------------------------------------------------------


def nc_status(status_id: int, error_id: int) -> dict[str, Any]:
    return {"status": infobip.status_object(status_id), "error": infobip.error_object(error_id)}


async def test_number_context_sync(simulator: RunningSimulator, http: ClientSession) -> None:
    numbers = ["41793026727", "41793026720", "+41793026729", "0793026727", "Alphanumeric",
               "819012345678", "306971000001"]  # fmt: skip
    status, body = await call(simulator, http, "POST", QUERY, {"to": numbers})
    assert status == 200
    assert body["bulkId"]
    results = {r["to"]: r for r in body["results"]}
    assert list(results) == numbers
    assert results["41793026727"] == {
        "to": "41793026727",
        "mccMnc": "22801",
        "imsi": "228010793026727",
        "originalNetwork": {"networkPrefix": "79", "countryPrefix": "41"},
        "ported": False,
        "roaming": False,
        **nc_status(5, 0),
    }
    assert results["41793026720"]["error"]["name"] == "EC_UNKNOWN_SUBSCRIBER"
    assert "imsi" not in results["41793026720"]
    assert results["+41793026729"]["error"]["name"] == "EC_ABSENT_SUBSCRIBER"
    assert results["+41793026729"]["status"]["name"] == "UNDELIVERABLE_NOT_DELIVERED"
    for invalid in ("0793026727", "Alphanumeric"):
        assert results[invalid] == {
            "to": invalid,
            "ported": False,
            "roaming": False,
            **nc_status(9, 1),
        }
    assert "mccMnc" not in results["819012345678"]
    assert results["819012345678"]["originalNetwork"] == {
        "networkPrefix": "90",
        "countryPrefix": "81",
    }
    assert results["306971000001"]["mccMnc"] == "20201"
    simulator.app[infobip.NC_OUTCOMES_KEY]["41793026727"] = "undeliverable"
    status, body = await call(simulator, http, "POST", QUERY, {"to": "41793026727"})
    assert "bulkId" not in body
    assert body["results"][0]["error"]["id"] == 1
    status, body = await call(simulator, http, "POST", QUERY, {"to": []})
    assert status == 400
    assert body == error("BAD_REQUEST", "Missing to")


async def test_number_context_async(simulator: RunningSimulator, http: ClientSession) -> None:
    async with notify_server() as server:
        status, body = await call(
            simulator,
            http,
            "POST",
            NOTIFY,
            {"to": ["41793026727", "12345678", "Alphanumeric"], "notifyUrl": server.url},
        )
        assert status == 200
        assert [r.get("status", {}).get("id") for r in body["ncResults"]] == [3, 14, 52]
        assert "messageId" not in body["ncResults"][2]
        assert body["bulkId"]
        status, xml_body = await call(
            simulator,
            http,
            "POST",
            NOTIFY,
            "<request><to>41793026720</to><notifyUrl>"
            + server.url
            + "</notifyUrl><notifyContentType>application/xml</notifyContentType></request>",
            headers={"Content-Type": "application/xml", "Accept": "application/xml"},
        )
        assert "bulkId" not in xml_body["NCResponseAsync"]
        # Nothing to push: no notifyUrl, or no valid number.
        await call(simulator, http, "POST", NOTIFY, {"to": "41793026731"})
        await call(simulator, http, "POST", NOTIFY, {"to": "12345678", "notifyUrl": server.url})
        await simulator.drain()
        assert len(server.received) == 2
        first, second = server.received
    assert first["content_type"] == "application/json"
    assert parse_body(first["body"], "json") == {
        "ncResults": [infobip.number_context(simulator.app, "41793026727")]
    }
    assert second["content_type"] == "application/xml"
    pushed = parse_body(second["body"], "xml")["NCResponse"]["ncResults"]["ncResults"]
    assert pushed["error"]["name"] == "EC_UNKNOWN_SUBSCRIBER"
    assert [p.kind for p in simulator.state.pushes] == ["number_context"] * 2
    requests = simulator.state.number_context_requests
    assert sorted(r["to"] for r in requests.values()) == [
        "41793026720",
        "41793026727",
        "41793026731",
    ]
    entry = requests[body["ncResults"][0]["messageId"]]
    assert entry["account_id"] == DEMO
    assert entry["bulk_id"] == body["bulkId"]
    assert entry["notify_url"] == server.url


# -- tables -------------------------------------------------------------------------


def test_tables() -> None:
    assert len(infobip.STATUSES) == 27
    for status_id, (group_id, *_rest) in infobip.STATUSES.items():
        status = infobip.status_object(status_id)
        assert status["groupName"] == infobip.STATUS_GROUPS[group_id][0]
        assert ("action" in status) == (_rest[2] is not None)
    assert len(infobip.GSM_ERRORS) == 84
    groups = {e: infobip.error_object(e)["groupName"] for e in infobip.GSM_ERRORS}
    assert groups[0] == "OK"
    assert groups[27] == groups[262] == "HANDSET_ERRORS"
    assert groups[500] == groups[2051] == "OPERATOR_ERRORS"
    assert groups[4096] == groups[4102] == "USER_ERRORS"
    assert infobip.error_object(256)["description"] == "Sm Df Memory Capacity Exceeded"
    assert infobip.error_object(0)["description"] == "No Error"
    assert infobip.error_object(1)["permanent"] is True


def test_compare_helper_catches_differences() -> None:
    compare({"a": [1, {"b": "x"}]}, {"a": [1, {"b": "x"}]}, {})
    compare({"p": "0.0100"}, {"p": "0.01"}, {})
    compare({"id": "doc"}, {"id": "generated-1"}, {"id": "id"})
    for expected, actual, volatile in [
        ({"a": 1}, {"a": 2}, {}),
        ({"a": 1}, {"a": 1, "b": 2}, {}),
        ({"a": [1]}, {"a": [1, 2]}, {}),
        ({"a": {"b": 1}}, {"a": 1}, {}),
        ({"a": [1]}, {"a": 1}, {}),
        ({"a": False}, {"a": 0}, {}),
        ({"a": "x"}, {"a": "y"}, {}),
        ({"sentAt": "2015-02-12T09:51:43.123+0100"}, {"sentAt": "2015-02-12"}, {}),
        ({"id": "x"}, {"id": 5}, {"id": "id"}),
    ]:
        with pytest.raises(AssertionError):
            compare(expected, actual, volatile)
    data = {"r": [1, 2], "k": {"x": 1}}
    apply_errata(
        data,
        [
            {"op": "reorder", "path": ["r"], "order": [1, 0]},
            {"op": "insert", "path": ["r"], "index": 0, "value": 0},
            {"op": "rename", "path": ["k"], "to": "j"},
            {"op": "wrap", "path": ["j"]},
            {"op": "add", "path": ["j", "y"], "value": 2},
            {"op": "replace", "path": ["r", 0], "value": 9},
        ],
    )
    assert data == {"r": [9, 2, 1], "j": {"j": {"x": 1}, "y": 2}}
