"""Infobip-v1 style API: authentication, bodies, sending, reports, logs, balance."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
from typing import Any
import xml.etree.ElementTree as ET

from aiohttp import BasicAuth, ClientSession
import pytest

from simulator.demo import INFOBIP_PASSWORD, INFOBIP_USERNAME
from simulator.state import now_utc
from tests.conftest import RunningSimulator
from tests.simulator.infobip_support import compare, notify_server, parse_body
from tests.wire import INFOBIP_DELIVERED_STATUS, INFOBIP_NO_ERROR

AUTH = BasicAuth(INFOBIP_USERNAME, INFOBIP_PASSWORD)
SINGLE = "/restapi/sms/1/text/single"
ADVANCED = "/restapi/sms/1/text/advanced"
REPORTS = "/restapi/sms/1/reports"
LOGS = "/restapi/sms/1/logs"
DEMO = "infobip-demo"


async def call(
    sim: RunningSimulator,
    http: ClientSession,
    method: str,
    path: str,
    body: Any = None,
    *,
    auth: BasicAuth | None = AUTH,
    headers: dict[str, str] | None = None,
    params: Any = None,
) -> tuple[int, Any]:
    """Make a request; return (status, parsed body)."""
    # The document asks for a Content-Type on every request, GETs included.
    all_headers = {"Accept": "application/json", "Content-Type": "application/json"}
    data: bytes | None = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    all_headers.update(headers or {})
    async with http.request(
        method, sim.url + path, data=data, headers=all_headers, auth=auth, params=params
    ) as resp:
        text = await resp.text()
        return resp.status, parse_body(text, resp.content_type) if text else None


async def send(sim: RunningSimulator, http: ClientSession, body: Any, path: str = ADVANCED) -> Any:
    """Send and expect 200."""
    status, answer = await call(sim, http, "POST", path, body)
    assert status == 200, answer
    return answer


def error(message_id: str, text: str) -> dict[str, Any]:
    return {"requestError": {"serviceException": {"messageId": message_id, "text": text}}}


# -- authentication -------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer abc",
        "Basic !!!not-base64",
        "Basic bm9jb2xvbg==",  # "nocolon"
        BasicAuth("demo", "wrong").encode(),
        BasicAuth("nobody", INFOBIP_PASSWORD).encode(),
    ],
)
async def test_401(
    simulator: RunningSimulator, http: ClientSession, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with http.get(f"{simulator.url}/restapi/account/1/balance", headers=headers) as resp:
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"].startswith("Basic")
        assert await resp.json() == error("UNAUTHORIZED", "Invalid login details")
    assert simulator.state.requests[-1].account_id is None


async def test_401_xml_and_every_endpoint(simulator: RunningSimulator, http: ClientSession) -> None:
    for method, path in [
        ("POST", SINGLE),
        ("POST", "/restapi/sms/1/text/multi"),
        ("POST", ADVANCED),
        ("POST", "/restapi/sms/1/binary/single"),
        ("POST", "/restapi/sms/1/binary/multi"),
        ("GET", REPORTS),
        ("GET", LOGS),
        ("GET", "/restapi/account/1/balance"),
        ("GET", "/restapi/sms/1/inbox/reports"),
        ("GET", "/restapi/sms/1/inbox/logs"),
        ("POST", "/restapi/number/1/query"),
        ("POST", "/restapi/number/1/notify"),
    ]:
        async with http.request(
            method, simulator.url + path, headers={"Accept": "application/xml"}
        ) as resp:
            assert resp.status == 401, path
            assert resp.content_type == "application/xml"
            assert parse_body(await resp.text(), "xml") == {
                "requestError": {
                    "serviceException": {
                        "messageId": "UNAUTHORIZED",
                        "text": "Invalid login details",
                    }
                }
            }


async def test_request_log_has_account(simulator: RunningSimulator, http: ClientSession) -> None:
    status, body = await call(simulator, http, "GET", "/restapi/account/1/balance")
    assert status == 200
    assert body == {"balance": 47.79134, "currency": "EUR"}
    entry = simulator.state.requests[-1]
    assert entry.provider == "infobip"
    assert entry.account_id == DEMO


# -- bodies -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "body", "text"),
    [
        (None, '{"to": "41793026727"}', "General error"),
        ("text/plain", '{"to": "41793026727"}', "General error"),
        ("application/json", '{"to": ', "Malformed JSON body"),
        ("application/json", '["41793026727"]', "The request body must be an object"),
        ("application/xml", "<request><to>", "Malformed XML body"),
        ("application/xml", "<request/>", "The request body must be an object"),
    ],
)
async def test_bad_bodies(
    simulator: RunningSimulator,
    http: ClientSession,
    content_type: str | None,
    body: str,
    text: str,
) -> None:
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    async with http.post(
        simulator.url + SINGLE, data=body.encode(), headers=headers, auth=AUTH
    ) as resp:
        assert resp.status == 400
        assert await resp.json() == error("BAD_REQUEST", text)
    assert simulator.state.messages == {}


@pytest.mark.parametrize(
    "path",
    [
        REPORTS,
        LOGS,
        "/restapi/account/1/balance",
        "/restapi/sms/1/inbox/reports",
        "/restapi/sms/1/inbox/logs",
    ],
)
@pytest.mark.parametrize("content_type", [None, "text/plain"])
async def test_get_without_content_type_is_a_general_error(
    simulator: RunningSimulator, http: ClientSession, path: str, content_type: str | None
) -> None:
    """The document: "If the Content-Type is not specified you will receive a General error"."""
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type
    async with http.get(simulator.url + path, headers=headers, auth=AUTH) as resp:
        assert resp.status == 400
        assert await resp.json() == error("BAD_REQUEST", "General error")
    status, _body = await call(
        simulator, http, "GET", path, headers={"Content-Type": "application/xml"}
    )
    assert status == 200


@pytest.mark.parametrize(
    ("path", "body", "text"),
    [
        (SINGLE, {"from": "InfoSMS", "text": "x"}, "Missing to"),
        (SINGLE, {"to": ["41793026727", " "], "text": "x"}, "Missing to"),
        ("/restapi/sms/1/text/multi", {"messages": []}, "Missing messages"),
        ("/restapi/sms/1/text/multi", {"messages": ["x"]}, "Invalid message"),
        (ADVANCED, {"messages": [{"text": "x"}]}, "Missing destinations"),
        (
            ADVANCED,
            {"messages": [{"destinations": [{"messageId": "a"}]}]},
            "Missing destinations.to",
        ),
        (ADVANCED, {"messages": [{"destinations": ["41793026727"]}]}, "Missing destinations.to"),
        ("/restapi/sms/1/binary/single", {"to": "41793026727"}, "Missing binary.hex"),
        (
            "/restapi/sms/1/binary/single",
            {"to": "41793026727", "binary": {"hex": "zz"}},
            "Invalid binary.hex",
        ),
        (
            "/restapi/sms/1/binary/single",
            {"to": "41793026727", "binary": {"hex": "00", "dataCoding": "x"}},
            "Invalid dataCoding: x",
        ),
        (
            ADVANCED,
            {"messages": [{"destinations": [{"to": "41793026727"}], "validityPeriod": "soon"}]},
            "Invalid validityPeriod: soon",
        ),
        (
            ADVANCED,
            {"messages": [{"destinations": [{"to": "41793026727"}], "sendAt": "tomorrow"}]},
            "Invalid sendAt: tomorrow",
        ),
    ],
)
async def test_bad_requests(
    simulator: RunningSimulator, http: ClientSession, path: str, body: Any, text: str
) -> None:
    status, answer = await call(simulator, http, "POST", path, body)
    assert status == 400
    assert answer == error("BAD_REQUEST", text)
    assert simulator.state.messages == {}


async def test_xml_request_and_answer(simulator: RunningSimulator, http: ClientSession) -> None:
    body = (
        "<request><from>InfoSMS</from><to><to>41793026727</to><to>41793026834</to></to>"
        "<text>Test &amp; more</text></request>"
    )
    # No Accept preference: the answer follows the request's Content-Type.
    async with http.post(
        simulator.url + SINGLE,
        data=body.encode(),
        headers={"Content-Type": "application/xml"},
        auth=AUTH,
    ) as resp:
        assert resp.status == 200
        assert resp.content_type == "application/xml"
        root = ET.fromstring(await resp.text())
    assert root.tag == "SMSResponse"
    assert root.findtext("bulkId")
    items = root.findall("messages/messages")
    assert [i.findtext("to") for i in items] == ["41793026727", "41793026834"]
    assert [m.text for m in simulator.state.messages.values()] == ["Test & more"] * 2
    # JSON asked explicitly for an XML request.
    async with http.post(
        simulator.url + SINGLE,
        data=body.encode(),
        headers={"Content-Type": "application/xml", "Accept": "application/json"},
        auth=AUTH,
    ) as resp:
        assert resp.content_type == "application/json"


async def test_xml_answer_shapes(simulator: RunningSimulator, http: ClientSession) -> None:
    await send(
        simulator,
        http,
        {"messages": [{"from": "InfoSMS", "destinations": [{"to": "41793026727"}], "text": "a"}]},
    )
    xml = {"Accept": "application/xml", "Content-Type": "application/xml"}
    async with http.get(simulator.url + LOGS, headers=xml, auth=AUTH) as resp:
        root = ET.fromstring(await resp.text())
    assert root.tag == "SMSLogsResponse"
    assert len(root.findall("results/results")) == 1
    assert root.find("results/results/error/permanent").text == "false"  # type: ignore[union-attr]
    async with http.get(simulator.url + REPORTS, headers=xml, auth=AUTH) as resp:
        root = ET.fromstring(await resp.text())
    assert root.tag == "SMSReportResponse"
    assert len(root.findall("results")) == 1  # repeated directly under the root
    async with http.get(simulator.url + REPORTS, headers=xml, auth=AUTH) as resp:
        assert await resp.text() == "<SMSReportResponse />"


# -- sending ----------------------------------------------------------------------


async def test_single_to_string_and_smscount(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    answer = await send(
        simulator,
        http,
        {"from": "InfoSMS", "to": "41793026727", "text": "x" * 161},
        SINGLE,
    )
    assert "bulkId" not in answer
    (entry,) = answer["messages"]
    assert entry["smsCount"] == 2
    message = simulator.state.messages[entry["messageId"]]
    assert message.bulk_id  # every message has a bulk id (reports, logs)
    assert message.sender == "InfoSMS"
    assert message.channel == "sms"
    assert simulator.state.accounts[DEMO].balance == pytest.approx(47.79134 - 0.02)
    answer = await send(simulator, http, {"to": "41793026727", "text": "жж" * 36}, SINGLE)
    assert answer["messages"][0]["smsCount"] == 2  # UCS-2: 72 > 70
    assert simulator.state.messages[answer["messages"][0]["messageId"]].sender is None


async def test_duplicate_message_id(simulator: RunningSimulator, http: ClientSession) -> None:
    body = {
        "bulkId": "B1",
        "messages": [
            {
                "from": "InfoSMS",
                "destinations": [
                    {"to": "41793026727", "messageId": "M-1"},
                    {"to": "41793026731", "messageId": "M-1"},
                ],
                "text": "Hello",
            }
        ],
    }
    first = await send(simulator, http, body)
    assert [m["status"]["id"] for m in first["messages"]] == [0, 23]
    assert first["messages"][1]["status"]["name"] == "REJECTED_DUPLICATE_MESSAGE_ID"
    assert first["messages"][1]["messageId"] == "M-1"
    balance = simulator.state.accounts[DEMO].balance
    # The client retries the whole request: nothing new is sent or charged.
    retry = await send(simulator, http, body)
    assert [m["status"]["id"] for m in retry["messages"]] == [23, 23]
    assert retry["bulkId"] == "B1"
    assert [m.id for m in simulator.state.messages.values()] == ["M-1"]
    assert simulator.state.messages["M-1"].to == "41793026727"
    assert simulator.state.accounts[DEMO].balance == balance
    _status, reports = await call(simulator, http, "GET", REPORTS)
    assert [r["messageId"] for r in reports["results"]] == ["M-1"]


@pytest.mark.parametrize(
    ("message", "status_id", "name"),
    [
        ({"from": "AB", "to": "41793026727", "text": "x"}, 11, "REJECTED_SOURCE"),
        ({"from": "A" * 12, "to": "41793026727", "text": "x"}, 11, "REJECTED_SOURCE"),
        ({"from": "1" * 15, "to": "41793026727", "text": "x"}, 11, "REJECTED_SOURCE"),
        ({"from": "+" + "1" * 14, "to": "41793026727", "text": "x"}, 0, "MESSAGE_ACCEPTED"),
        ({"from": "123", "to": "41793026727", "text": "x"}, 0, "MESSAGE_ACCEPTED"),
        ({"to": "41793026727", "text": "x" * 1601}, 25, "REJECTED_MESSAGE_TOO_LONG"),
        ({"to": "41793026727", "text": "x" * 1600}, 0, "MESSAGE_ACCEPTED"),
        ({"to": "0793026727", "text": "x"}, 8, "REJECTED_PREFIX_MISSING"),
        ({"to": "Alphanumeric", "text": "x"}, 8, "REJECTED_PREFIX_MISSING"),
        ({"to": "4179302", "text": "x"}, 8, "REJECTED_PREFIX_MISSING"),
        ({"to": "+41793026727", "text": "x"}, 0, "MESSAGE_ACCEPTED"),
    ],
)
async def test_rejections(
    simulator: RunningSimulator,
    http: ClientSession,
    message: dict[str, Any],
    status_id: int,
    name: str,
) -> None:
    answer = await send(simulator, http, message, SINGLE)
    (entry,) = answer["messages"]
    assert (entry["status"]["id"], entry["status"]["name"]) == (status_id, name)
    stored = simulator.state.messages[entry["messageId"]]
    assert stored.to == message["to"].removeprefix("+")
    if status_id:
        assert entry["status"]["groupName"] == "REJECTED"
        assert stored.status == "rejected"
        assert stored.price == 0
        assert simulator.state.accounts[DEMO].balance == 47.79134
        _status, reports = await call(simulator, http, "GET", REPORTS)
        (report,) = reports["results"]
        assert report["status"]["id"] == status_id
        assert report["price"]["pricePerMessage"] == 0
        assert report["error"]["name"] == "NO_ERROR"


async def test_insufficient_balance(simulator: RunningSimulator, http: ClientSession) -> None:
    simulator.state.accounts[DEMO].balance = 0.015
    answer = await send(
        simulator,
        http,
        {"from": "InfoSMS", "to": ["41793026727", "41793026731"], "text": "Hi"},
        SINGLE,
    )
    assert [m["status"]["name"] for m in answer["messages"]] == [
        "MESSAGE_ACCEPTED",
        "REJECTED_NOT_ENOUGH_CREDITS",
    ]
    assert simulator.state.accounts[DEMO].balance == pytest.approx(0.005)
    _status, logs = await call(simulator, http, "GET", LOGS)
    assert [(r["to"], r["status"]["groupName"]) for r in logs["results"]] == [
        ("41793026731", "REJECTED"),
        ("41793026727", "DELIVERED"),
    ]


async def test_advanced_fields_stored(simulator: RunningSimulator, http: ClientSession) -> None:
    answer = await send(
        simulator,
        http,
        {
            "messages": [
                {
                    "from": "InfoSMS",
                    "destinations": [{"to": "41793026727"}],
                    "text": "Flash!",
                    "flash": True,
                    "language": {"languageCode": "TR", "singleShift": True, "lockingShift": False},
                    "transliteration": "TURKISH",
                    "notifyContentType": "application/xml",
                    "callbackData": "cb",
                    "validityPeriod": 100 * 3600 * 1000,
                },
                {
                    "destinations": [{"to": "41793026731"}],
                    "text": "in the past",
                    "sendAt": "2015-07-07T17:00:00.000+01:00",
                    "validityPeriod": 60000,
                },
            ]
        },
    )
    assert answer["bulkId"]
    first, second = (simulator.state.messages[m["messageId"]] for m in answer["messages"])
    assert first.channel == "flash"
    assert first.extra == {
        "language": {"languageCode": "TR", "singleShift": True, "lockingShift": False},
        "transliteration": "TURKISH",
    }
    assert first.validity_period_ms == 48 * 3600 * 1000
    assert first.notify_content_type == "application/xml"
    assert first.callback_data == "cb"
    assert first.notify_url is None
    assert first.bulk_id == second.bulk_id == answer["bulkId"]
    assert second.send_at == datetime(2015, 7, 7, 16, tzinfo=UTC)
    assert second.status == "delivered"
    assert second.validity_period_ms == 60000
    assert second.channel == "sms"


ADVANCED_EXAMPLE_FILE = Path(__file__).parent / "data" / "infobip" / "38_advanced_json.json"
ADVANCED_EXAMPLE = json.loads(json.loads(ADVANCED_EXAMPLE_FILE.read_text())["request"]["body"])


@pytest.mark.parametrize(
    ("unit", "validity", "expected_ms"),
    [
        # infobip-v1-style-sms-api.md: "in milliseconds", example 86400000 (24 h).
        ("milliseconds", 86400000, 24 * 3600 * 1000),
        # The api.shortlink.pro copy: "in minutes", example 720 (12 h).
        ("minutes", 720, 12 * 3600 * 1000),
        # Either way longer than 48 h is cut to 48 h.
        ("minutes", 86400000, 48 * 3600 * 1000),
    ],
    ids=["ms_copy_example", "shortlink_copy_example", "minutes_capped"],
)
async def test_validity_period_unit_follows_the_hosts_document(
    simulator: RunningSimulator, http: ClientSession, unit: str, validity: int, expected_ms: int
) -> None:
    simulator.state.accounts[DEMO].validity_period_unit = unit
    body = json.loads(json.dumps(ADVANCED_EXAMPLE))
    body["messages"][0]["validityPeriod"] = validity
    answer = await send(simulator, http, body)
    first = simulator.state.messages[answer["messages"][0]["messageId"]]
    assert first.validity_period_ms == expected_ms


async def test_scheduled_message(simulator: RunningSimulator, http: ClientSession) -> None:
    send_at = now_utc() + timedelta(seconds=0.3)
    answer = await send(
        simulator,
        http,
        {
            "messages": [
                {
                    "destinations": [{"to": "41793026727", "messageId": "S-1"}],
                    "text": "later",
                    "sendAt": send_at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000",
                }
            ]
        },
    )
    assert answer["messages"][0]["status"]["name"] == "MESSAGE_ACCEPTED"
    _status, logs = await call(simulator, http, "GET", LOGS)
    (log,) = logs["results"]
    assert log["status"]["name"] == "PENDING_ENROUTE"
    assert log["status"]["groupName"] == "PENDING"
    assert "doneAt" not in log
    assert (await call(simulator, http, "GET", REPORTS))[1] == {"results": []}
    await asyncio.sleep(0.5)
    assert simulator.state.messages["S-1"].status == "delivered"
    _status, reports = await call(simulator, http, "GET", REPORTS)
    assert reports["results"][0]["status"]["name"] == "DELIVERED_TO_HANDSET"
    simulator.state.messages["S-1"].status = "pending"
    _status, logs = await call(simulator, http, "GET", LOGS)
    assert logs["results"][0]["status"]["name"] == "PENDING_WAITING_DELIVERY"
    simulator.state.messages["S-1"].status = "canceled"
    _status, logs = await call(simulator, http, "GET", LOGS)
    assert logs["results"][0]["status"]["name"] == "REJECTED_SYSTEM_ERROR"


async def test_binary(simulator: RunningSimulator, http: ClientSession) -> None:
    hex_141 = " ".join(["41"] * 141)
    answer = await send(
        simulator,
        http,
        {
            "messages": [
                {
                    "from": "InfoSMS",
                    "to": "41793026727",
                    "binary": {"hex": hex_141, "dataCoding": 8},
                },
                {"to": ["41793026731"], "binary": {"hex": "00 ff", "esmClass": "64"}},
            ]
        },
        "/restapi/sms/1/binary/multi",
    )
    assert [m["smsCount"] for m in answer["messages"]] == [2, 1]
    assert [m["status"]["name"] for m in answer["messages"]] == ["PENDING_ENROUTE"] * 2
    big, small = (simulator.state.messages[m["messageId"]] for m in answer["messages"])
    assert (big.channel, big.encoding, big.segments, big.price) == ("binary", "BINARY", 2, 0.02)
    assert big.extra == {"dataCoding": 8, "esmClass": 0}
    assert small.extra == {"dataCoding": 0, "esmClass": 64}
    assert simulator.state.accounts[DEMO].balance == pytest.approx(47.79134 - 0.03)
    _status, logs = await call(simulator, http, "GET", LOGS, params={"messageId": small.id})
    assert logs["results"][0]["text"] == "00 ff"


# -- delivery reports -------------------------------------------------------------


async def test_dlr_push_json_and_xml(simulator: RunningSimulator, http: ClientSession) -> None:
    async with notify_server() as server:
        answer = await send(
            simulator,
            http,
            {
                "bulkId": "BULK",
                "messages": [
                    {
                        "from": "InfoSMS",
                        "destinations": [
                            {"to": "41793026727", "messageId": "J-1"},
                            {"to": "41793026720", "messageId": "J-2"},
                        ],
                        "text": "json",
                        "notifyUrl": server.url,
                        "callbackData": "DLR callback data",
                    },
                    {
                        "destinations": [{"to": "41793026729", "messageId": "X-1"}],
                        "text": "xml",
                        "notifyUrl": server.url,
                        "notifyContentType": "application/xml",
                    },
                    {
                        "from": "A",
                        "destinations": [{"to": "41793026727", "messageId": "R-1"}],
                        "text": "rejected",
                        "notifyUrl": server.url,
                    },
                ],
            },
        )
        assert answer["bulkId"] == "BULK"
        await simulator.drain()
        assert len(server.received) == 4
    by_id: dict[str, Any] = {}
    for received in server.received:
        body = parse_body(received["body"], received["content_type"])
        if "xml" in received["content_type"]:
            report = body["SMSReportResponse"]["results"]
            by_id[report["messageId"]] = report
        else:
            (report,) = body["results"]
            by_id[report["messageId"]] = report
    compare(
        {
            "bulkId": "BULK",
            "messageId": "J-1",
            "to": "41793026727",
            "sentAt": "",
            "doneAt": "",
            "smsCount": 1,
            "price": {"pricePerMessage": 0.01, "currency": "EUR"},
            "status": INFOBIP_DELIVERED_STATUS,
            "error": INFOBIP_NO_ERROR,
            "callbackData": "DLR callback data",
        },
        by_id["J-1"],
        {},
    )
    assert by_id["J-2"]["status"]["name"] == "UNDELIVERABLE_NOT_DELIVERED"
    assert by_id["J-2"]["error"] == {
        "groupId": 1,
        "groupName": "HANDSET_ERRORS",
        "id": 1,
        "name": "EC_UNKNOWN_SUBSCRIBER",
        "description": "Unknown Subscriber",
        "permanent": True,
    }
    assert by_id["X-1"]["status"]["name"] == "EXPIRED_EXPIRED"
    assert by_id["X-1"]["status"]["groupName"] == "EXPIRED"
    assert by_id["X-1"]["error"]["name"] == "EC_ABSENT_SUBSCRIBER"
    assert by_id["X-1"]["error"]["permanent"] == "false"
    assert "callbackData" not in by_id["X-1"]
    assert by_id["R-1"]["status"]["name"] == "REJECTED_SOURCE"
    assert [p.kind for p in simulator.state.pushes] == ["delivery_report"] * 4
    assert simulator.state.pending_reports["infobip"] == []


async def test_reports_once_and_filters(simulator: RunningSimulator, http: ClientSession) -> None:
    for bulk, ids in (("B1", ["a1", "a2", "a3"]), ("B2", ["b1", "b2"])):
        await send(
            simulator,
            http,
            {
                "bulkId": bulk,
                "messages": [
                    {
                        "destinations": [{"to": "41793026727", "messageId": i} for i in ids],
                        "text": "x",
                    }
                ],
            },
        )
    simulator.state.add_account("infobip", id="other", username="o", password="p")
    other = simulator.state.create_message(
        simulator.state.accounts["other"], to="41793026727", text="x", message_id="o1", bulk_id="B1"
    )
    simulator.state.pending_reports["infobip"].extend([other.id, "gone"])

    async def pull(**params: str) -> list[str]:
        status, body = await call(simulator, http, "GET", REPORTS, params=params)
        assert status == 200
        return [r["messageId"] for r in body["results"]]

    assert await pull(messageId="a2") == ["a2"]
    assert await pull(messageId="a2") == []
    assert await pull(bulkId="B2", limit="1") == ["b1"]
    assert await pull(bulkId="B1") == ["a1", "a3"]
    assert await pull(limit="") == ["b2"]
    assert await pull() == []
    assert simulator.state.pending_reports["infobip"] == ["o1", "gone"]
    for limit in ("abc", "0"):
        status, body = await call(simulator, http, "GET", REPORTS, params={"limit": limit})
        assert status == 400
        assert body == error("BAD_REQUEST", f"Invalid limit: {limit}")


# -- logs ---------------------------------------------------------------------------


async def test_logs_filters(simulator: RunningSimulator, http: ClientSession) -> None:
    plan = [
        ("L1", "B1", "InfoSMS", "41793026727"),
        ("L2", "B1", "InfoSMS", "41793026720"),
        ("L3", "B2", "Other", "4915112345678"),
        ("L4", "B3", "InfoSMS", "306971000000"),
        ("L5", "B3", "InfoSMS", "819012345678"),
    ]
    for message_id, bulk, sender, to in plan:
        await send(
            simulator,
            http,
            {
                "bulkId": bulk,
                "messages": [
                    {
                        "from": sender,
                        "destinations": [{"to": to, "messageId": message_id}],
                        "text": "x",
                    }
                ],
            },
        )
    old = simulator.state.create_message(
        simulator.state.accounts[DEMO], to="41793026727", text="old", message_id="OLD"
    )
    old.sent_at = now_utc() - timedelta(hours=49)
    simulator.state.add_account("infobip", id="other", username="o", password="p")
    simulator.state.create_message(
        simulator.state.accounts["other"], to="41793026727", text="x", message_id="OTHER"
    )
    middle = simulator.state.messages["L3"].sent_at

    async def logs(params: Any) -> list[str]:
        status, body = await call(simulator, http, "GET", LOGS, params=params)
        assert status == 200, body
        return [r["messageId"] for r in body["results"]]

    assert await logs({}) == ["L5", "L4", "L3", "L2", "L1"]
    assert await logs({"limit": "2"}) == ["L5", "L4"]
    assert await logs({"from": "Other"}) == ["L3"]
    assert await logs({"to": "41793026720"}) == ["L2"]
    assert await logs({"bulkId": "B1,B2"}) == ["L3", "L2", "L1"]
    assert await logs([("bulkId", "B2"), ("bulkId", "B3")]) == ["L5", "L4", "L3"]
    assert await logs({"messageId": "L1, L4"}) == ["L4", "L1"]
    assert await logs({"generalStatus": "undeliverable"}) == ["L4", "L2"]  # numbers ending in 0
    assert await logs({"generalStatus": "DELIVERED"}) == ["L5", "L3", "L1"]
    assert await logs({"sentSince": middle.isoformat()}) == ["L5", "L4", "L3"]
    assert await logs({"sentUntil": middle.isoformat()}) == ["L3", "L2", "L1"]
    naive = middle.replace(tzinfo=None).isoformat()
    assert await logs({"sentUntil": naive}) == ["L3", "L2", "L1"]
    assert await logs({"mcc": "228"}) == ["L2", "L1"]
    assert await logs({"mcc": "262", "mnc": "01"}) == ["L3"]
    assert await logs({"mnc": "01"}) == ["L4", "L3", "L2", "L1"]
    status, body = await call(simulator, http, "GET", LOGS, params={"messageId": "L5"})
    assert "mccmnc" not in body["results"][0]  # Japan is not in the small MCC table
    status, body = await call(simulator, http, "GET", LOGS, params={"messageId": "L4"})
    assert body["results"][0]["mccmnc"] == "20201"
    status, body = await call(simulator, http, "GET", LOGS, params={"sentSince": "yesterday"})
    assert status == 400
    assert body == error("BAD_REQUEST", "Invalid sentSince: yesterday")
