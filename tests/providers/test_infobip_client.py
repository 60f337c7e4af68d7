"""The Infobip-v1 style client against the simulator (real HTTP): every endpoint."""

import base64
from datetime import UTC, datetime, timedelta, timezone
import json
import re
from typing import Any, ClassVar

from aiohttp import ClientSession
import pytest

from custom_components.sms_gateway.providers import (
    AuthenticationError,
    Capabilities,
    Channel,
    DeliveryStatus,
    Encoding,
    InfobipClient,
    InvalidRequestError,
    OutgoingMessage,
    ProtocolError,
    UnsupportedError,
    ViberContent,
    create_client,
)
from custom_components.sms_gateway.providers.base import short_digest
from custom_components.sms_gateway.providers.infobip import (
    BinaryMessage,
    TextMessage,
    parse_delivery_reports,
    parse_inbound_messages,
    parse_number_context,
)
from simulator.demo import INFOBIP_PASSWORD, INFOBIP_USERNAME
from tests.conftest import Receiver, RunningSimulator

AUTH_HEADER = (
    "Basic " + base64.b64encode(f"{INFOBIP_USERNAME}:{INFOBIP_PASSWORD}".encode()).decode()
)
CH1, CH2 = "+41793026727", "+41793026731"  # end in 7 / 1: delivered
GR = "+306971234567"


def _client(
    sim: RunningSimulator, http: ClientSession, password: str = INFOBIP_PASSWORD
) -> InfobipClient:
    return InfobipClient(
        http, username=INFOBIP_USERNAME, password=password, base_url=sim.url + "/", timeout=5
    )


def _assert_headers(request: Any, *, body: bool) -> None:
    assert request.headers["Authorization"] == AUTH_HEADER
    assert request.headers["Accept"] == "application/json"
    # "If the Content-Type is not specified you will receive a General error":
    # every request names it, a GET without body too.
    assert request.headers["Content-Type"] == "application/json"
    assert bool(request.body) is body


async def test_capabilities_and_factory(http: ClientSession) -> None:
    client = create_client("infobip", http, {"username": "u", "password": "p"})
    assert isinstance(client, InfobipClient)
    assert client.base_url == "https://api.shortlink.pro"
    caps = client.capabilities
    assert (caps.flash, caps.batch, caps.scheduling, caps.balance) == (True, True, True, True)
    assert caps.max_batch_size == 500
    assert (caps.delivery_reports_push, caps.delivery_reports_pull) == (True, True)
    assert (caps.inbound_push, caps.inbound_pull, caps.number_lookup) == (True, True, True)
    assert (caps.idempotent_send, caps.sender_rules) == (True, "alphanumeric")
    assert (caps.viber, caps.cancel) == (False, False)
    with pytest.raises(UnsupportedError):
        await client.cancel("x")
    with pytest.raises(UnsupportedError):
        await client.send(
            OutgoingMessage(
                recipients=(CH1,), text="x", channel=Channel.VIBER, viber=ViberContent()
            )
        )


async def test_validate_credentials_sends_nothing(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    info = await _client(simulator, http).validate_credentials()
    assert info.account_id == f"infobip:127.0.0.1:{short_digest(INFOBIP_USERNAME)}"
    assert INFOBIP_USERNAME not in info.account_id
    assert INFOBIP_PASSWORD not in info.title
    assert simulator.state.messages == {}
    (request,) = simulator.state.requests
    assert (request.method, request.path, request.query, request.body) == (
        "GET",
        "/restapi/account/1/balance",
        {},
        "",
    )
    _assert_headers(request, body=False)
    with pytest.raises(AuthenticationError) as err:
        await _client(simulator, http, password="wrong").validate_credentials()
    assert "wrong" not in str(err.value)


async def test_get_balance(simulator: RunningSimulator, http: ClientSession) -> None:
    balance = await _client(simulator, http).get_balance()
    assert (balance.amount, balance.currency, balance.unit) == (47.79134, "EUR", "currency")


async def test_send_advanced_every_field(
    simulator: RunningSimulator, http: ClientSession, receiver: Receiver
) -> None:
    client = _client(simulator, http)
    results = await client.send(
        OutgoingMessage(
            recipients=(CH1, GR),
            text="Alarm: water leak",
            sender="InfoSMS",
            channel=Channel.FLASH,
            client_message_ids=("id-1", "id-2"),
            bulk_id="BULK-1",
            notify_url=receiver.url + "/dlr",
            callback_data="cb-data",
            transliteration="greek",
            language_code="tr",
        )
    )
    (request,) = simulator.state.requests
    assert (request.method, request.path) == ("POST", "/restapi/sms/1/text/advanced")
    _assert_headers(request, body=True)
    assert request.json == {
        "bulkId": "BULK-1",
        "messages": [
            {
                "from": "InfoSMS",
                "destinations": [
                    {"to": "41793026727", "messageId": "id-1"},
                    {"to": "306971234567", "messageId": "id-2"},
                ],
                "text": "Alarm: water leak",
                "flash": True,
                "transliteration": "GREEK",
                "language": {"languageCode": "TR"},
                "notifyUrl": receiver.url + "/dlr",
                "notifyContentType": "application/json",
                "callbackData": "cb-data",
            }
        ],
    }
    assert [r.recipient for r in results] == [CH1, GR]
    assert [r.message_id for r in results] == ["id-1", "id-2"]
    assert all(r.report_pushed for r in results)  # notifyUrl: every report is pushed
    for result in results:
        assert result.accepted
        assert result.status.status is DeliveryStatus.ACCEPTED
        assert result.status.provider_status == "MESSAGE_ACCEPTED"
        assert result.status.description == "Message accepted"
        assert (result.segments, result.encoding, result.channel) == (
            1,
            Encoding.GSM7,
            Channel.FLASH,
        )
        assert result.error is None
    assert simulator.state.messages["id-1"].channel == "flash"
    # The delivery reports are pushed to notifyUrl, with our callback data.
    await simulator.drain()
    assert len(receiver.requests) == 2
    reports = [
        r for push in receiver.requests for r in parse_delivery_reports(json.loads(push.body))
    ]
    assert {r.message_id for r in reports} == {"id-1", "id-2"}
    for report in reports:
        assert report.callback_data == "cb-data"
        assert report.bulk_id == "BULK-1"
        assert report.status.status is DeliveryStatus.DELIVERED
        assert report.status.provider_status == "DELIVERED_TO_HANDSET"
        assert report.status.error_name is None
        assert report.currency == "EUR"
        assert report.sent_at is not None
        assert report.done_at is not None


async def test_send_generates_ids_minimal_body(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    results = await _client(simulator, http).send(
        OutgoingMessage(recipients=(CH1, CH2), text="Καλημέρα")
    )
    (request,) = simulator.state.requests
    (spec,) = request.json["messages"]
    assert set(request.json) == {"messages"}
    assert set(spec) == {"destinations", "text"}
    ids = [d["messageId"] for d in spec["destinations"]]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == 2
    assert [r.message_id for r in results] == ids
    assert set(simulator.state.messages) == set(ids)
    assert all(r.encoding is Encoding.UCS2 for r in results)


@pytest.mark.parametrize(
    ("send_at", "wire"),
    [
        (
            datetime(2099, 7, 7, 17, 0, tzinfo=timezone(timedelta(hours=1))),
            "2099-07-07T17:00:00.000+01:00",
        ),
        (datetime(2099, 7, 7, 16, 0), "2099-07-07T16:00:00.000+00:00"),
    ],
)
async def test_send_scheduled(
    simulator: RunningSimulator, http: ClientSession, send_at: datetime, wire: str
) -> None:
    (result,) = await _client(simulator, http).send(
        OutgoingMessage(recipients=(CH1,), text="later", send_at=send_at)
    )
    (request,) = simulator.state.requests
    assert request.json["messages"][0]["sendAt"] == wire
    assert result.status.status is DeliveryStatus.SCHEDULED
    assert result.status.provider_status == "MESSAGE_ACCEPTED"
    assert result.accepted


async def test_send_past_send_at_is_accepted(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    (result,) = await _client(simulator, http).send(
        OutgoingMessage(
            recipients=(CH1,), text="now", send_at=datetime.now(UTC) - timedelta(minutes=1)
        )
    )
    assert result.status.status is DeliveryStatus.ACCEPTED


async def test_per_recipient_rejections(simulator: RunningSimulator, http: ClientSession) -> None:
    results = await _client(simulator, http).send(
        OutgoingMessage(recipients=(CH1, "+12345"), text="x")
    )
    assert results[0].accepted
    bad = results[1]
    assert not bad.accepted
    assert bad.status.status is DeliveryStatus.REJECTED
    assert bad.status.provider_status == "REJECTED_PREFIX_MISSING"
    assert bad.error == "invalid_recipient"

    simulator.state.accounts["infobip-demo"].balance = 0.0
    (poor,) = await _client(simulator, http).send(OutgoingMessage(recipients=(CH2,), text="x"))
    assert poor.status.provider_status == "REJECTED_NOT_ENOUGH_CREDITS"
    assert poor.error == "insufficient_balance"


async def test_idempotent_resend(simulator: RunningSimulator, http: ClientSession) -> None:
    client = _client(simulator, http)
    message = OutgoingMessage(recipients=(CH1, CH2), text="once", client_message_ids=("a1", "a2"))
    first = await client.send(message)
    assert all(r.accepted for r in first)
    second = await client.send(message)
    for result in second:
        assert result.status.status is DeliveryStatus.REJECTED
        assert result.status.provider_status == "REJECTED_DUPLICATE_MESSAGE_ID"
        assert result.error == "duplicate_message_id"
    assert [r.message_id for r in second] == ["a1", "a2"]
    assert sorted(simulator.state.messages) == ["a1", "a2"]
    assert [m.to for m in simulator.state.messages.values()] == ["41793026727", "41793026731"]


class _SmallBatches(InfobipClient):
    capabilities: ClassVar[Capabilities] = Capabilities(
        batch=True, max_batch_size=2, flash=True, scheduling=True
    )


async def test_batches_one_request_each(simulator: RunningSimulator, http: ClientSession) -> None:
    client = _SmallBatches(
        http, username=INFOBIP_USERNAME, password=INFOBIP_PASSWORD, base_url=simulator.url
    )
    numbers = ("+41793026721", "+41793026722", "+41793026723")
    results = await client.send(
        OutgoingMessage(recipients=numbers, text="x", client_message_ids=("i1", "i2", "i3"))
    )
    assert [r.message_id for r in results] == ["i1", "i2", "i3"]
    assert not any(r.report_pushed for r in results)  # no notifyUrl: reports are pulled
    assert [len(r.json["messages"][0]["destinations"]) for r in simulator.state.requests] == [2, 1]


async def test_invalid_messages_refused_before_sending(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    client = _client(simulator, http)
    with pytest.raises(InvalidRequestError):
        await client.send(OutgoingMessage(recipients=(CH1,), text="x", sender="A"))
    with pytest.raises(InvalidRequestError):
        await client.send(OutgoingMessage(recipients=(CH1,), text="x" * 2000))
    assert simulator.state.requests == []


def _answer(entries: list[dict[str, Any]], **extra: Any) -> str:
    return json.dumps({**extra, "messages": entries})


def _status(status_id: int, group: int, name: str) -> dict[str, Any]:
    return {"id": status_id, "groupId": group, "groupName": "X", "name": name}


async def test_results_matched_by_to_and_missing(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """Without our ids in the answer, results are matched by number; a gap is a protocol error."""
    body = _answer(
        [
            {"to": "41793026731", "status": _status(7, 1, "PENDING_ENROUTE"), "smsCount": 2},
            {
                "to": "+41793026727",
                "status": _status(5, 3, "DELIVERED_TO_HANDSET"),
                "messageId": "p",
            },
        ]
    )
    simulator.state.add_fault(kind="body", provider="infobip", body=body)
    results = await _client(simulator, http).send(
        OutgoingMessage(recipients=(CH1, CH2, GR), text="x", client_message_ids=("m1", "m2", "m3"))
    )
    assert [(r.message_id, r.status.status, r.segments) for r in results] == [
        ("p", DeliveryStatus.DELIVERED, 1),
        ("m2", DeliveryStatus.PENDING, 2),
        ("m3", DeliveryStatus.UNKNOWN, 1),
    ]
    assert results[2].error == "protocol"
    assert not results[2].accepted or results[2].status.status is DeliveryStatus.UNKNOWN


async def test_results_duplicate_numbers_and_ids(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """The same number twice: each answer entry is used once, by id first."""
    body = _answer(
        [
            {"to": "41793026727", "status": _status(0, 0, "MESSAGE_ACCEPTED"), "messageId": "b"},
            {"to": "41793026727", "status": _status(0, 0, "MESSAGE_ACCEPTED"), "messageId": "a"},
        ]
    )
    simulator.state.add_fault(kind="body", provider="infobip", body=body)
    results = await _client(simulator, http).send(
        OutgoingMessage(recipients=(CH1, CH1), text="x", client_message_ids=("a", "b"))
    )
    assert [r.message_id for r in results] == ["a", "b"]


async def test_results_reused_id_falls_back_to_number(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    body = _answer(
        [
            {"to": "41793026727", "status": _status(0, 0, "MESSAGE_ACCEPTED"), "messageId": "x"},
            {"to": "41793026731", "status": _status(0, 0, "MESSAGE_ACCEPTED")},
        ]
    )
    simulator.state.add_fault(kind="body", provider="infobip", body=body)
    results = await _client(simulator, http).send(
        OutgoingMessage(recipients=(CH1, CH2), text="x", client_message_ids=("x", "x"))
    )
    assert [r.message_id for r in results] == ["x", "x"]
    assert all(r.status.status is DeliveryStatus.ACCEPTED for r in results)


async def test_send_text_single(simulator: RunningSimulator, http: ClientSession) -> None:
    response = await _client(simulator, http).send_text_single(
        [CH1, CH2], "Test SMS.", sender="InfoSMS"
    )
    (request,) = simulator.state.requests
    assert (request.method, request.path) == ("POST", "/restapi/sms/1/text/single")
    _assert_headers(request, body=True)
    assert request.json == {
        "from": "InfoSMS",
        "to": ["41793026727", "41793026731"],
        "text": "Test SMS.",
    }
    assert response.bulk_id is not None
    assert [r.recipient for r in response.results] == [CH1, CH2]
    assert all(r.message_id in simulator.state.messages for r in response.results)
    assert all(r.status.status is DeliveryStatus.ACCEPTED for r in response.results)

    single = await _client(simulator, http).send_text_single([CH1], "no sender")
    assert simulator.state.requests[-1].json == {"to": ["41793026727"], "text": "no sender"}
    assert single.bulk_id is None


async def test_send_text_multi(simulator: RunningSimulator, http: ClientSession) -> None:
    long_text = "A long time ago, in a galaxy far, far away... " * 4
    response = await _client(simulator, http).send_text_multi(
        [
            TextMessage(recipients=(CH1, CH2), text="May the Force be with you!", sender="InfoSMS"),
            TextMessage(recipients=("+41793026785",), text=long_text, sender="41793026700"),
        ]
    )
    (request,) = simulator.state.requests
    assert request.path == "/restapi/sms/1/text/multi"
    assert request.json == {
        "messages": [
            {
                "from": "InfoSMS",
                "to": ["41793026727", "41793026731"],
                "text": "May the Force be with you!",
            },
            {"from": "41793026700", "to": ["41793026785"], "text": long_text},
        ]
    }
    assert [r.recipient for r in response.results] == [CH1, CH2, "+41793026785"]
    assert [r.segments for r in response.results] == [1, 1, 2]
    assert response.bulk_id


async def test_send_binary(simulator: RunningSimulator, http: ClientSession) -> None:
    client = _client(simulator, http)
    single = await client.send_binary_single(
        BinaryMessage(recipients=(CH1,), hex="546573742e", sender="InfoSMS")
    )
    request = simulator.state.requests[-1]
    assert request.path == "/restapi/sms/1/binary/single"
    assert request.json == {
        "from": "InfoSMS",
        "to": ["41793026727"],
        "binary": {"hex": "54 65 73 74 2e", "dataCoding": 0, "esmClass": 0},
    }
    assert single.results[0].status.status is DeliveryStatus.ACCEPTED

    multi = await client.send_binary_multi(
        [
            BinaryMessage(recipients=(CH1, CH2), hex="54 65 73 74"),
            BinaryMessage(
                recipients=("+41793026785",), hex="D182 D0B5", data_coding=8, esm_class=64
            ),
        ]
    )
    request = simulator.state.requests[-1]
    assert request.path == "/restapi/sms/1/binary/multi"
    assert request.json == {
        "messages": [
            {
                "to": ["41793026727", "41793026731"],
                "binary": {"hex": "54 65 73 74", "dataCoding": 0, "esmClass": 0},
            },
            {
                "to": ["41793026785"],
                "binary": {"hex": "d1 82 d0 b5", "dataCoding": 8, "esmClass": 64},
            },
        ]
    }
    assert [r.encoding for r in multi.results] == [Encoding.GSM7, Encoding.GSM7, Encoding.UCS2]
    # binary/multi answers PENDING_ENROUTE, as the document's example does.
    assert all(r.status.status is DeliveryStatus.PENDING for r in multi.results)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.send_text_single([], "x"),
        lambda c: c.send_text_multi([]),
        lambda c: c.send_text_multi([TextMessage(recipients=(), text="x")]),
        lambda c: c.send_text_multi([TextMessage(recipients=(CH1,), text="x", sender="!")]),
        lambda c: c.send_binary_single(BinaryMessage(recipients=(CH1,), hex="zz")),
        lambda c: c.send_binary_single(BinaryMessage(recipients=(CH1,), hex=" ")),
        lambda c: c.send_binary_multi([]),
        lambda c: c.lookup_numbers([]),
        lambda c: c.request_number_context([], "http://x"),
        lambda c: c.get_logs(general_status="LOST"),
    ],
)
async def test_refused_before_any_request(
    simulator: RunningSimulator, http: ClientSession, call: Any
) -> None:
    with pytest.raises(InvalidRequestError):
        await call(_client(simulator, http))
    assert simulator.state.requests == []


async def test_fetch_delivery_reports(simulator: RunningSimulator, http: ClientSession) -> None:
    client = _client(simulator, http)
    await client.send(
        OutgoingMessage(
            recipients=(CH1, "+41793026720", "+41793026729"),
            text="x",
            client_message_ids=("d1", "d2", "d3"),
            bulk_id="B1",
        )
    )
    first = await client.fetch_delivery_reports(limit=2, bulk_id="B1")
    request = simulator.state.requests[-1]
    assert (request.method, request.path) == ("GET", "/restapi/sms/1/reports")
    _assert_headers(request, body=False)
    assert request.query == {"limit": ["2"], "bulkId": ["B1"]}
    assert [r.message_id for r in first] == ["d1", "d2"]
    delivered, undeliverable = first
    assert delivered.status.status is DeliveryStatus.DELIVERED
    assert delivered.recipient == CH1
    assert delivered.price == pytest.approx(0.01)
    assert delivered.segments == 1
    assert undeliverable.status.status is DeliveryStatus.UNDELIVERABLE
    assert undeliverable.status.error_name == "EC_UNKNOWN_SUBSCRIBER"
    assert undeliverable.status.permanent is True

    (expired,) = await client.fetch_delivery_reports(message_id="d3")
    assert simulator.state.requests[-1].query == {"messageId": ["d3"]}
    assert expired.status.status is DeliveryStatus.EXPIRED
    assert expired.status.error_name == "EC_ABSENT_SUBSCRIBER"
    assert not expired.status.permanent
    # Each report once.
    assert await client.fetch_delivery_reports() == []
    assert simulator.state.requests[-1].query == {}


async def test_get_logs_every_filter(simulator: RunningSimulator, http: ClientSession) -> None:
    client = _client(simulator, http)
    await client.send(
        OutgoingMessage(
            recipients=(CH1,),
            text="Test SMS.",
            sender="InfoSMS",
            client_message_ids=("l1",),
            bulk_id="LB",
        )
    )
    since = datetime.now(UTC) - timedelta(hours=1)
    until = datetime.now(UTC) + timedelta(hours=1)
    (log,) = await client.get_logs(
        sender="InfoSMS",
        to=CH1,
        bulk_ids=["LB", "other"],
        message_ids=["l1", "l9"],
        general_status="delivered",
        sent_since=since,
        sent_until=until,
        limit=5,
        mcc="228",
        mnc="01",
    )
    request = simulator.state.requests[-1]
    assert (request.method, request.path) == ("GET", "/restapi/sms/1/logs")
    _assert_headers(request, body=False)
    assert request.query == {
        "from": ["InfoSMS"],
        "to": ["41793026727"],
        "bulkId": ["LB,other"],
        "messageId": ["l1,l9"],
        "generalStatus": ["DELIVERED"],
        "sentSince": [since.isoformat(timespec="milliseconds")],
        "sentUntil": [until.isoformat(timespec="milliseconds")],
        "limit": ["5"],
        "mcc": ["228"],
        "mnc": ["01"],
    }
    assert (log.sender, log.text) == ("InfoSMS", "Test SMS.")
    assert log.report.message_id == "l1"
    assert log.report.bulk_id == "LB"
    assert (log.report.mcc, log.report.mnc) == ("228", "01")
    assert log.report.status.status is DeliveryStatus.DELIVERED

    # Logs can be read again; without filters nothing is sent as a query.
    assert len(await client.get_logs()) == 1
    assert simulator.state.requests[-1].query == {}


async def _text_in(
    sim: RunningSimulator, http: ClientSession, text: str, deliver: str = "pull", **extra: Any
) -> None:
    async with http.post(
        f"{sim.url}/_sim/inbound",
        json={
            "provider": "infobip",
            "from": "306971234567",
            "text": text,
            "deliver": deliver,
            **extra,
        },
    ) as resp:
        assert resp.status == 201


async def test_fetch_inbound(simulator: RunningSimulator, http: ClientSession) -> None:
    await _text_in(simulator, http, "KEY lights on", to="41793026727")
    await _text_in(simulator, http, "hello", to="41793026727")
    client = _client(simulator, http)
    first = await client.fetch_inbound(limit=1)
    request = simulator.state.requests[-1]
    assert (request.method, request.path, request.query) == (
        "GET",
        "/restapi/sms/1/inbox/reports",
        {"limit": ["1"]},
    )
    _assert_headers(request, body=False)
    (message,) = first
    assert message.sender == GR
    assert message.recipient == CH1
    assert (message.text, message.keyword, message.clean_text) == (
        "KEY lights on",
        "KEY",
        "lights on",
    )
    assert message.segments == 1
    assert message.received_at is not None
    assert message.received_at.tzinfo is not None
    (second,) = await client.fetch_inbound()
    assert simulator.state.requests[-1].query == {}
    assert (second.text, second.keyword) == ("hello", None)
    assert await client.fetch_inbound() == []


async def test_get_inbox_logs(simulator: RunningSimulator, http: ClientSession) -> None:
    await _text_in(simulator, http, "HEY hello world", to="13372")
    await _text_in(simulator, http, "no keyword", to="13372")
    client = _client(simulator, http)
    since = datetime.now(UTC) - timedelta(hours=1)
    until = datetime.now(UTC) + timedelta(hours=1)
    (message,) = await client.get_inbox_logs(
        limit=3, keyword="HEY", to="13372", received_since=since, received_until=until
    )
    request = simulator.state.requests[-1]
    assert (request.method, request.path) == ("GET", "/restapi/sms/1/inbox/logs")
    _assert_headers(request, body=False)
    assert request.query == {
        "limit": ["3"],
        "keyword": ["HEY"],
        "to": ["13372"],
        "receivedSince": [since.isoformat(timespec="milliseconds")],
        "receivedUntil": [until.isoformat(timespec="milliseconds")],
    }
    assert (message.text, message.clean_text, message.recipient) == (
        "HEY hello world",
        "hello world",
        "13372",
    )
    (plain,) = await client.get_inbox_logs(keyword="NO_KEYWORD")
    assert plain.text == "no keyword"
    assert len(await client.get_inbox_logs()) == 2  # repeatable


async def test_inbound_push_parses(
    simulator: RunningSimulator, http: ClientSession, receiver: Receiver
) -> None:
    simulator.state.accounts["infobip-demo"].forward_url = receiver.url + "/mo"
    await _text_in(simulator, http, "KEY on", deliver="push", to="41793026727")
    await simulator.drain()
    (push,) = receiver.requests
    (message,) = parse_inbound_messages(json.loads(push.body))
    assert (message.sender, message.recipient, message.keyword) == (GR, CH1, "KEY")


async def test_lookup_number(simulator: RunningSimulator, http: ClientSession) -> None:
    client = _client(simulator, http)
    info = await client.lookup_number(CH1)
    (request,) = simulator.state.requests
    assert (request.method, request.path) == ("POST", "/restapi/number/1/query")
    _assert_headers(request, body=True)
    assert request.json == {"to": ["41793026727"]}
    assert info.number == CH1
    assert info.valid
    assert info.status is not None
    assert info.status.status is DeliveryStatus.DELIVERED
    assert (info.mcc, info.mnc, info.country, info.country_prefix) == ("228", "01", "CH", "41")
    assert (info.ported, info.roaming) == (False, False)

    infos = await client.lookup_numbers([GR, "+41793026720", "+41793026729"])
    assert simulator.state.requests[-1].json == {
        "to": ["306971234567", "41793026720", "41793026729"]
    }
    assert [i.number for i in infos] == [GR, "+41793026720", "+41793026729"]
    assert [i.valid for i in infos] == [True, False, True]  # unknown vs absent subscriber
    assert infos[1].status is not None
    assert infos[1].status.permanent


async def test_lookup_missing_number_is_protocol_error(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    simulator.state.add_fault(kind="body", provider="infobip", body='{"results": []}')
    with pytest.raises(ProtocolError):
        await _client(simulator, http).lookup_number(CH1)


async def test_request_number_context(
    simulator: RunningSimulator, http: ClientSession, receiver: Receiver
) -> None:
    response = await _client(simulator, http).request_number_context(
        [CH1, "+12345678", "+Alphanumeric"], receiver.url + "/nc"
    )
    (request,) = simulator.state.requests
    assert (request.method, request.path) == ("POST", "/restapi/number/1/notify")
    _assert_headers(request, body=True)
    assert request.json == {
        "to": ["41793026727", "12345678", "Alphanumeric"],
        "notifyUrl": receiver.url + "/nc",
        "notifyContentType": "application/json",
    }
    assert response.bulk_id
    ok, invalid, text = response.requests
    assert ok.number == CH1
    assert ok.message_id
    assert ok.status.status is DeliveryStatus.PENDING
    assert invalid.status.status is DeliveryStatus.REJECTED
    assert invalid.status.provider_status == "REJECTED_DESTINATION"
    assert (text.number, text.message_id) == ("Alphanumeric", None)
    assert text.status.status is DeliveryStatus.REJECTED
    await simulator.drain()
    (push,) = receiver.requests
    (info,) = parse_number_context(json.loads(push.body))
    assert (info.number, info.valid) == (CH1, True)
