"""Answers shaped as the sms365.gr document's "Returns" lists (and their variants) parse."""

import json
from typing import Any

from aiohttp import ClientSession
import pytest

from custom_components.sms_gateway.providers import (
    Channel,
    DeliveryStatus,
    OutgoingMessage,
    ProtocolError,
    Sms365Client,
    ViberSenderBalance,
)
from tests.conftest import RunningSimulator

from .sms365_wire import client_for

OK = {"status": 1, "error": 0, "remarks": "Success"}
THREE = ("+306971234561", "+306971234562", "+306971234563")


def answer(simulator: RunningSimulator, **fields: Any) -> None:
    """Make the next sms365 answer this body (the envelope added)."""
    simulator.state.add_fault(kind="body", provider="sms365", body=json.dumps({**fields, **OK}))


async def send(client: Sms365Client, recipients: tuple[str, ...], viber: bool = False) -> Any:
    channel = Channel.VIBER if viber else Channel.SMS
    sender = "DemoViber" if viber else None
    return await client.send(
        OutgoingMessage(recipients=recipients, text="x", sender=sender, channel=channel)
    )


@pytest.mark.parametrize(
    ("fields", "viber", "expected"),
    [
        # The document's sms/bulk: id{value...} and sms{smsId msisdn}...
        (
            {
                "id": {"value": ["11", "12", "13"]},
                "sms": [
                    {"smsId": "13", "msisdn": "306971234563"},
                    {"smsId": "11", "msisdn": "306971234561"},
                    {"smsId": "12", "msisdn": "+30 697 123 4562"},
                ],
                "accepted": 3,
                "rejected": 0,
                "balance": 97,
            },
            False,
            [("11", None, None), ("12", None, None), ("13", None, None)],
        ),
        # Only ids, one per recipient: matched by position.
        (
            {"id": {"value": ["21", "22", "23"]}, "accepted": 3, "rejected": 0},
            False,
            [("21", None, None), ("22", None, None), ("23", None, None)],
        ),
        # Only ids, but not one per recipient: unknown.
        (
            {"id": {"value": "21"}, "accepted": 1},
            False,
            [(None, None, "protocol")] * 3,
        ),
        # A single sms object (an XML-to-JSON rendering), a broken entry, a rejected one.
        (
            {
                "sms": {"smsId": 31, "msisdn": 306971234562},
                "accepted": 1,
                "rejected": "1",
            },
            False,
            [(None, None, "invalid_recipient"), ("31", None, None), (None, None, "protocol")],
        ),
        (
            {"sms": ["junk", {"smsId": "", "msisdn": "306971234561"}], "id": [], "rejected": 0},
            False,
            [(None, None, "protocol")] * 3,
        ),
        # The document's viber/bulk: messages{id msisdn cost}...
        (
            {
                "id": {"value": ["41", "42"]},
                "messages": [
                    {"id": "41", "msisdn": "306971234561", "cost": 1},
                    {"id": "42", "msisdn": "306971234563", "cost": "0.5"},
                ],
                "accepted": 2,
                "rejected": 1,
                "balance": 48,
            },
            True,
            [("41", 1.0, None), (None, None, "invalid_recipient"), ("42", 0.5, None)],
        ),
        (
            {"messages": [{"id": "51", "msisdn": "306971234561", "cost": "free"}], "rejected": 2},
            True,
            [
                ("51", None, None),
                (None, None, "invalid_recipient"),
                (None, None, "invalid_recipient"),
            ],
        ),
    ],
)
async def test_bulk_answers(
    simulator: RunningSimulator,
    http: ClientSession,
    fields: dict[str, Any],
    viber: bool,
    expected: list[tuple[str | None, float | None, str | None]],
) -> None:
    answer(simulator, **fields)
    results = await send(client_for(simulator, http), THREE, viber)
    assert [(r.message_id, r.price, r.error) for r in results] == expected
    assert [r.recipient for r in results] == list(THREE)
    for result in results:
        assert result.channel is (Channel.VIBER if viber else Channel.SMS)
        if result.error == "invalid_recipient":
            assert result.status.status is DeliveryStatus.REJECTED
        elif result.error == "protocol":
            assert result.status.status is DeliveryStatus.UNKNOWN
        else:
            assert result.status.status is DeliveryStatus.ACCEPTED


@pytest.mark.parametrize(
    ("fields", "viber", "message_id", "price"),
    [
        ({"smsId": "1", "cost": 2, "balance": 98, "mcc": "202", "mnc": "01"}, False, "1", 2.0),
        ({"smsId": 100000000000001, "cost": "1.5"}, False, "100000000000001", 1.5),
        ({"smsId": "2"}, False, "2", None),
        ({"id": "3", "cost": 1, "balance": 49}, True, "3", 1.0),
    ],
)
async def test_single_send_answers(
    simulator: RunningSimulator,
    http: ClientSession,
    fields: dict[str, Any],
    viber: bool,
    message_id: str,
    price: float | None,
) -> None:
    answer(simulator, **fields)
    (result,) = await send(client_for(simulator, http), THREE[:1], viber)
    assert (result.message_id, result.price, result.error) == (message_id, price, None)


@pytest.mark.parametrize(
    ("fields", "viber"),
    [({"cost": 1}, False), ({"smsId": {"x": 1}}, False), ({"cost": 1}, True), ({"id": ""}, True)],
)
async def test_single_send_without_id(
    simulator: RunningSimulator, http: ClientSession, fields: dict[str, Any], viber: bool
) -> None:
    answer(simulator, **fields)
    with pytest.raises(ProtocolError):
        await send(client_for(simulator, http), THREE[:1], viber)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"balance": 100}, 100.0),
        ({"balance": "12.5"}, 12.5),
        ({"balance": None}, None),
        ({"balance": True}, None),
        ({"balance": "lots"}, None),
        ({}, None),
    ],
)
async def test_balance_answers(
    simulator: RunningSimulator,
    http: ClientSession,
    fields: dict[str, Any],
    expected: float | None,
) -> None:
    answer(simulator, **fields)
    client = client_for(simulator, http)
    if expected is None:
        with pytest.raises(ProtocolError):
            await client.get_balance()
    else:
        assert (await client.get_balance()).amount == expected


@pytest.mark.parametrize(
    ("senders", "expected"),
    [
        (
            {
                "sender": [
                    {"senderId": "A", "text": "Shop A", "balance": 5, "twoway": True, "paused": 0},
                    {"senderId": "B", "balance": "2.5", "twoway": "1", "paused": "yes"},
                ]
            },
            [
                ViberSenderBalance("A", 5.0, paused=False, two_way=True, text="Shop A"),
                ViberSenderBalance("B", 2.5, paused=True, two_way=True),
            ],
        ),
        (
            {"sender": {"text": "C", "balance": 1, "twoway": "false", "paused": "false"}},
            [ViberSenderBalance("C", 1.0, text="C")],
        ),
        ([{"senderId": "D", "balance": 0}], [ViberSenderBalance("D", 0.0)]),
        ({"sender": []}, []),
        (None, []),
    ],
)
async def test_viber_balance_answers(
    simulator: RunningSimulator,
    http: ClientSession,
    senders: Any,
    expected: list[ViberSenderBalance],
) -> None:
    answer(simulator, senders=senders)
    assert await client_for(simulator, http).get_viber_balances() == expected


@pytest.mark.parametrize(
    "senders",
    [{"sender": [{"senderId": "A"}]}, {"sender": [{"balance": 1}]}, {"sender": ["A"]}],
)
async def test_viber_balance_bad_answers(
    simulator: RunningSimulator, http: ClientSession, senders: Any
) -> None:
    answer(simulator, senders=senders)
    with pytest.raises(ProtocolError):
        await client_for(simulator, http).get_viber_balances()


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            {
                "sms": [
                    {"smsId": "1", "status": "d"},
                    {"smsId": "2", "status": "f"},
                    {"smsId": "3", "status": "s"},
                    {"smsId": "4", "status": "X"},
                    {"smsId": "5"},
                    {"status": "d"},
                    "junk",
                ],
                "total": 7,
            },
            [
                ("1", DeliveryStatus.DELIVERED, "d"),
                ("2", DeliveryStatus.UNDELIVERABLE, "f"),
                ("3", DeliveryStatus.PENDING, "s"),
                ("4", DeliveryStatus.PENDING, "x"),  # not in the document: still pending
                ("5", DeliveryStatus.PENDING, None),
            ],
        ),
        ({"sms": {"smsId": 6, "status": "D"}, "total": 1}, [("6", DeliveryStatus.DELIVERED, "d")]),
        ({"total": 0}, []),
    ],
)
async def test_status_get_answers(
    simulator: RunningSimulator,
    http: ClientSession,
    fields: dict[str, Any],
    expected: list[tuple[str, DeliveryStatus, str | None]],
) -> None:
    answer(simulator, **fields)
    client = client_for(simulator, http)
    reports = await client.fetch_delivery_reports()
    assert [(r.message_id, r.status.status, r.status.provider_status) for r in reports] == expected
    unknown = {p or "(empty)" for _, _, p in expected if p not in ("d", "f", "s")}
    assert client.unknown_statuses == dict.fromkeys(unknown, 1)


@pytest.mark.parametrize(
    ("sms", "message_id", "status"),
    [
        ({"smsId": "7", "status": "f"}, "7", DeliveryStatus.UNDELIVERABLE),
        ([{"smsId": "8", "status": "s"}], "8", DeliveryStatus.PENDING),
        ({"status": "d"}, "asked", DeliveryStatus.DELIVERED),
    ],
)
async def test_status_sms_answers(
    simulator: RunningSimulator,
    http: ClientSession,
    sms: Any,
    message_id: str,
    status: DeliveryStatus,
) -> None:
    answer(simulator, sms=sms)
    report = await client_for(simulator, http).get_status("asked")
    assert (report.message_id, report.status.status) == (message_id, status)


@pytest.mark.parametrize("sms", [None, [], "d"])
async def test_status_sms_bad_answers(
    simulator: RunningSimulator, http: ClientSession, sms: Any
) -> None:
    answer(simulator, sms=sms)
    with pytest.raises(ProtocolError):
        await client_for(simulator, http).get_status("asked")


async def test_mobile_check_answers(simulator: RunningSimulator, http: ClientSession) -> None:
    client = client_for(simulator, http)
    answer(simulator, mobile={"country": "Greece", "cost": "0.9"})
    info = await client.check_mobile("+306971234561")
    assert (info.number, info.valid, info.country, info.cost, info.mcc) == (
        "+306971234561",
        True,
        "Greece",
        0.9,
        None,
    )
    answer(simulator, mobile="306971234561")
    with pytest.raises(ProtocolError):
        await client.check_mobile("+306971234561")


@pytest.mark.parametrize(
    ("fields", "valid", "status", "ported"),
    [
        (
            {"result": "OK", "description": "Active", "ported": "no"},
            True,
            DeliveryStatus.DELIVERED,
            False,
        ),
        ({"result": "ok", "description": "Roaming"}, True, DeliveryStatus.UNKNOWN, None),
        (
            {"result": "ERROR", "description": "Active", "ported": "yes"},
            False,
            DeliveryStatus.UNKNOWN,
            True,
        ),
        ({}, False, DeliveryStatus.UNKNOWN, None),
    ],
)
async def test_hlr_answers(
    simulator: RunningSimulator,
    http: ClientSession,
    fields: dict[str, Any],
    valid: bool,
    status: DeliveryStatus,
    ported: bool | None,
) -> None:
    answer(simulator, **fields)
    info = await client_for(simulator, http).lookup_number("+306971234561")
    assert info.status is not None
    assert (info.valid, info.status.status, info.ported) == (valid, status, ported)


async def test_key_get_without_key(simulator: RunningSimulator, http: ClientSession) -> None:
    answer(simulator, key="")
    with pytest.raises(ProtocolError):
        await Sms365Client.fetch_api_key(http, "u", "p", base_url=f"{simulator.url}/api")
