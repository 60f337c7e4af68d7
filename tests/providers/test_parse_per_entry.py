"""Pulls are parsed per entry: one unreadable entry is skipped, not the answer.

The provider serves each received message and each delivery report once, so
an entry that cannot be read must not cost the others. It is logged at
WARNING with its provider id - never with the message text or the numbers.
Pushes stay all-or-nothing (the webhook answers 400 and the provider may
retry).
"""

from collections.abc import Awaitable, Callable
import json
import logging
from typing import Any

from aiohttp import ClientSession
import pytest

from custom_components.sms_gateway.providers import DeliveryStatus, ProtocolError
from custom_components.sms_gateway.providers.infobip import (
    InfobipClient,
    parse_delivery_reports,
    parse_inbound_messages,
)
from custom_components.sms_gateway.providers.sms365 import Sms365Client
from simulator.demo import INFOBIP_PASSWORD, INFOBIP_USERNAME, SMS365_API_KEY
from tests.conftest import RunningSimulator

TEXT = "DISARM 4711"
NUMBER = "306971234561"

GOOD_MESSAGE = {"messageId": "ok-1", "from": NUMBER, "to": "41793026727", "text": TEXT}
GOOD_REPORT = {
    "messageId": "ok-1",
    "to": NUMBER,
    "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET"},
}

BAD_MESSAGES: list[tuple[Any, str]] = [
    ({"messageId": "withheld", "from": "", "to": "41793026727", "text": TEXT}, "'withheld'"),
    ({"messageId": "no-text", "from": NUMBER, "text": None}, "'no-text'"),
    ({"messageId": "m", "from": "3069", "text": 5}, "'m'"),
    ({"from": NUMBER, "text": TEXT}, "without messageId"),
    ({"messageId": " ", "from": NUMBER, "text": TEXT}, "without messageId"),
    (None, "without messageId"),
    ("x" * 10, "without messageId"),
    ({"messageId": "L" * 200, "from": "", "text": TEXT}, repr("L" * 64)),
]
BAD_REPORTS: list[tuple[Any, str]] = [
    ({"messageId": "r-1", "to": NUMBER, "status": "DELIVERED"}, "'r-1'"),
    ({"messageId": "m", "price": 0.01}, "'m'"),
    ({"to": "41793026727"}, "without messageId"),
    ([GOOD_REPORT], "without messageId"),
]


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def assert_nothing_private(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        message = record.getMessage()
        assert TEXT not in message
        assert NUMBER not in message
        assert "41793026727" not in message


@pytest.mark.parametrize(("bad", "named"), BAD_MESSAGES)
def test_inbound_skips_an_unreadable_message(
    caplog: pytest.LogCaptureFixture, bad: Any, named: str
) -> None:
    payload = {"results": [GOOD_MESSAGE, bad, {**GOOD_MESSAGE, "messageId": "ok-2"}]}
    messages = parse_inbound_messages(payload, skip_unreadable=True)
    assert [m.message_id for m in messages] == ["ok-1", "ok-2"]
    [line] = warnings(caplog)
    assert "entry 1" in line
    assert named in line
    assert "received message" in line
    assert_nothing_private(caplog)
    # A push stays all-or-nothing.
    with pytest.raises(ProtocolError):
        parse_inbound_messages(payload)


@pytest.mark.parametrize(("bad", "named"), BAD_REPORTS)
def test_reports_skip_an_unreadable_report(
    caplog: pytest.LogCaptureFixture, bad: Any, named: str
) -> None:
    payload = {"results": [bad, GOOD_REPORT]}
    [report] = parse_delivery_reports(payload, skip_unreadable=True)
    assert report.message_id == "ok-1"
    assert report.status.status is DeliveryStatus.DELIVERED
    [line] = warnings(caplog)
    assert "entry 0" in line
    assert named in line
    assert "delivery report" in line
    assert_nothing_private(caplog)
    with pytest.raises(ProtocolError):
        parse_delivery_reports(payload)


@pytest.mark.parametrize("parse", [parse_inbound_messages, parse_delivery_reports])
@pytest.mark.parametrize("payload", [None, [], {"results": {}}, {"messages": []}])
def test_a_wrong_answer_still_raises(parse: Callable[..., list[Any]], payload: Any) -> None:
    with pytest.raises(ProtocolError):
        parse(payload, skip_unreadable=True)


def test_all_readable_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    assert len(parse_inbound_messages({"results": [GOOD_MESSAGE]}, skip_unreadable=True)) == 1
    assert len(parse_delivery_reports({"results": [GOOD_REPORT]}, skip_unreadable=True)) == 1
    assert parse_inbound_messages({"results": []}, skip_unreadable=True) == []
    assert warnings(caplog) == []


# -- the clients' pulls, through the simulator ------------------------------------------

Pull = Callable[[InfobipClient], Awaitable[list[Any]]]
PULLS: dict[str, Pull] = {
    "reports": lambda c: c.fetch_delivery_reports(),
    "inbox": lambda c: c.fetch_inbound(),
    "inbox_logs": lambda c: c.get_inbox_logs(),
}


@pytest.mark.parametrize(
    ("call", "entries", "good"),
    [
        ("reports", [{"to": "41793026727"}, GOOD_REPORT], "ok-1"),
        ("reports", [{"messageId": "m", "price": 0.01}, GOOD_REPORT], "ok-1"),
        ("inbox", [{"messageId": "m", "from": "3069", "text": 5}, GOOD_MESSAGE], "ok-1"),
        ("inbox_logs", [{"from": "3069", "text": "x"}, GOOD_MESSAGE], "ok-1"),
    ],
)
async def test_infobip_pulls_skip_unreadable_entries(
    simulator: RunningSimulator,
    http: ClientSession,
    caplog: pytest.LogCaptureFixture,
    call: str,
    entries: list[Any],
    good: str,
) -> None:
    simulator.state.add_fault(
        kind="body", provider="infobip", body=json.dumps({"results": entries}), count=1
    )
    client = InfobipClient(
        http, username=INFOBIP_USERNAME, password=INFOBIP_PASSWORD, base_url=simulator.url
    )
    [item] = await PULLS[call](client)
    assert item.message_id == good
    assert len(warnings(caplog)) == 1
    assert_nothing_private(caplog)
    assert INFOBIP_PASSWORD not in caplog.text


async def test_sms365_status_get_skips_unreadable_entries_with_a_warning(
    simulator: RunningSimulator, http: ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    body = {
        "status": 1,
        "error": 0,
        "remarks": "Success",
        "sms": [{"status": "d"}, 7, {"smsId": "s-1", "status": "d"}],
    }
    simulator.state.add_fault(kind="body", provider="sms365", body=json.dumps(body), count=1)
    client = Sms365Client(http, api_key=SMS365_API_KEY, base_url=f"{simulator.url}/api")
    [report] = await client.fetch_delivery_reports()
    assert report.message_id == "s-1"
    assert report.status.status is DeliveryStatus.DELIVERED
    lines = warnings(caplog)
    assert len(lines) == 2
    assert "entry 0" in lines[0]
    assert "entry 1" in lines[1]
    assert SMS365_API_KEY not in caplog.text
