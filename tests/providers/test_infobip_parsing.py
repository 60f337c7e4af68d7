"""Infobip-v1 style: status normalisation, dates and webhook payloads (no HTTP)."""

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
import re
from typing import Any

from aiohttp import ClientSession
import pytest

from custom_components.sms_gateway.providers import (
    DeliveryStatus,
    InfobipClient,
    ProtocolError,
    StatusDetail,
)
from custom_components.sms_gateway.providers.infobip import (
    GSM_ERRORS,
    STATUS_GROUPS,
    STATUSES,
    TextMessage,
    format_date,
    normalize_status,
    parse_date,
    parse_delivery_reports,
    parse_inbound_messages,
    parse_number_context,
    parse_sent_logs,
    rejection_error,
)
from simulator.demo import INFOBIP_PASSWORD, INFOBIP_USERNAME
from tests.conftest import RunningSimulator

S = DeliveryStatus


def test_tables_match_the_document() -> None:
    assert len(STATUSES) == 26  # the document's 25 + MESSAGE_ACCEPTED (0)
    assert {g for g, _, _, _ in STATUSES.values()} == set(STATUS_GROUPS)
    assert len(GSM_ERRORS) == 84
    assert GSM_ERRORS[0] == ("NO_ERROR", None)
    assert GSM_ERRORS[27] == ("EC_ABSENT_SUBSCRIBER", False)
    assert GSM_ERRORS[4101] == ("EC_ValidityExpired", True)


DOC = Path("/work/shared/provider-docs/infobip-v1-style-sms-api.md")


@pytest.mark.skipif(not DOC.exists(), reason="the provider document is not here")
def test_tables_equal_the_document_tables() -> None:
    """Compare the module's tables with the document's, row by row."""
    text = DOC.read_text()
    statuses = text.split("### Statuses\n", 1)[1].split("**Error object", 1)[0]
    rows = re.findall(r"^\|(\d+)\|(\d+)\|(\w+)\|([^|]+)\|([^|\n]+)", statuses, re.MULTILINE)
    assert len(rows) == 25
    for status_id, group, name, description, action in rows:
        expected_action = None if action.strip() == "NULL" else action.strip()
        assert STATUSES[int(status_id)] == (int(group), name, description, expected_action)
    gsm = text.split("### GSM Error Codes", 1)[1].split("---", 1)[0]
    errors = re.findall(r"^\|(\d+)\|([^|]+)\|\s*(\w+)", gsm, re.MULTILINE)
    assert len(errors) == len(GSM_ERRORS)
    for error_id, name, permanent in errors:
        expected = None if permanent == "NULL" else permanent == "1"
        assert GSM_ERRORS[int(error_id)] == (name.strip(), expected)


@pytest.mark.parametrize(
    ("status_id", "group"),
    [(status_id, group) for status_id, (group, _, _, _) in STATUSES.items()],
)
def test_every_status_id(status_id: int, group: int) -> None:
    detail = normalize_status({"id": status_id})
    assert detail.status is STATUS_GROUPS[group][2]
    assert detail.provider_status == STATUSES[status_id][1]
    assert detail.description == STATUSES[status_id][2]


@pytest.mark.parametrize(
    ("status", "expected", "provider_status"),
    [
        # The id wins over a contradicting groupId (binary/multi example).
        (
            {"id": 7, "groupId": 7, "groupName": "PENDING", "name": "PENDING_ENROUTE"},
            S.PENDING,
            "PENDING_ENROUTE",
        ),
        # Unknown id, known name (asynchronous Number Context example).
        (
            {"id": 52, "groupId": 5, "name": "REJECTED_DESTINATION"},
            S.REJECTED,
            "REJECTED_DESTINATION",
        ),
        ({"id": 99, "groupId": 3, "name": "SOMETHING_NEW"}, S.DELIVERED, "SOMETHING_NEW"),
        ({"id": 99, "groupId": 42, "groupName": "Queue/Accepted"}, S.ACCEPTED, "99"),
        ({"groupName": "expired"}, S.EXPIRED, None),
        ({"id": 99}, S.UNKNOWN, "99"),
        ({"id": True, "groupId": "x"}, S.UNKNOWN, None),
        ({"id": "5"}, S.DELIVERED, "DELIVERED_TO_HANDSET"),
        ({}, S.UNKNOWN, None),
        (None, S.UNKNOWN, None),
    ],
)
def test_status_resolution(
    status: dict[str, Any] | None, expected: DeliveryStatus, provider_status: str | None
) -> None:
    detail = normalize_status(status)
    assert detail.status is expected
    assert detail.provider_status == provider_status


@pytest.mark.parametrize(
    ("error", "name", "description", "permanent"),
    [
        (
            {"id": 0, "name": "NO_ERROR", "description": "No Error", "permanent": False},
            None,
            None,
            False,
        ),
        (
            {"id": 27, "name": "EC_ABSENT_SUBSCRIBER", "description": "Absent", "permanent": False},
            "EC_ABSENT_SUBSCRIBER",
            "Absent",
            False,
        ),
        ({"id": 1}, "EC_UNKNOWN_SUBSCRIBER", None, True),  # permanent from the GSM table
        ({"id": 27, "permanent": "yes"}, "EC_ABSENT_SUBSCRIBER", None, False),
        ({"id": 31337}, "31337", None, False),
        ({"name": "EC_NEW", "permanent": True}, "EC_NEW", None, True),
        (None, None, None, False),
    ],
)
def test_error_resolution(
    error: dict[str, Any] | None, name: str | None, description: str | None, permanent: bool
) -> None:
    detail = normalize_status({"id": 9}, error)
    assert (detail.error_name, detail.error_description, detail.permanent) == (
        name,
        description,
        permanent,
    )


@pytest.mark.parametrize("bad", ["DELIVERED", 5, [1]])
def test_status_of_wrong_shape(bad: Any) -> None:
    with pytest.raises(ProtocolError):
        normalize_status(bad)
    with pytest.raises(ProtocolError):
        normalize_status({"id": 5}, bad)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("REJECTED_NOT_ENOUGH_CREDITS", "insufficient_balance"),
        ("REJECTED_PREPAID_PACKAGE_EXPIRED", "insufficient_balance"),
        ("REJECTED_PREFIX_MISSING", "invalid_recipient"),
        ("REJECTED_DESTINATION", "invalid_recipient"),
        ("REJECTED_DESTINATION_NOT_REGISTERED", "invalid_recipient"),
        ("REJECTED_DND", "invalid_recipient"),
        ("REJECTED_DUPLICATE_MESSAGE_ID", "duplicate_message_id"),
        ("REJECTED_NETWORK", "rejected"),
        ("REJECTED_FLOODING_FILTER", "rejected"),
    ],
)
def test_rejection_errors(name: str, key: str) -> None:
    status_id = next(i for i, (_, n, _, _) in STATUSES.items() if n == name)
    assert rejection_error(normalize_status({"id": status_id})) == key


def test_rejection_error_only_for_rejections() -> None:
    assert rejection_error(normalize_status({"id": 9})) is None
    assert rejection_error(StatusDetail(S.REJECTED)) == "rejected"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-02-12T09:51:43.123+0100", datetime(2015, 2, 12, 8, 51, 43, 123000, tzinfo=UTC)),
        ("2015-02-12T09:51:43.123+01:00", datetime(2015, 2, 12, 8, 51, 43, 123000, tzinfo=UTC)),
        ("2015-03-01T12:54:44.560+0000", datetime(2015, 3, 1, 12, 54, 44, 560000, tzinfo=UTC)),
        ("2015-03-01T12:54:44Z", datetime(2015, 3, 1, 12, 54, 44, tzinfo=UTC)),
        ("2015-03-01T12:54:44.560", datetime(2015, 3, 1, 12, 54, 44, 560000, tzinfo=UTC)),
        ("yesterday", None),
        ("", None),
        (None, None),
        (12, None),
    ],
)
def test_parse_date(text: Any, expected: datetime | None) -> None:
    assert parse_date(text) == expected


def test_format_date() -> None:
    assert (
        format_date(datetime(2015, 7, 7, 17, 0, tzinfo=timezone(timedelta(hours=1))))
        == "2015-07-07T17:00:00.000+01:00"
    )
    assert format_date(datetime(2015, 7, 7, 17, 0, 0, 123456)) == "2015-07-07T17:00:00.123+00:00"


def test_parse_delivery_report_push() -> None:
    payload = {
        "results": [
            {
                "bulkId": "B",
                "messageId": "M",
                "to": "41793026727",
                "sentAt": "2015-02-12T09:51:43.123+0100",
                "doneAt": "2015-02-12T09:51:43.127+0100",
                "smsCount": 2,
                "price": {"pricePerMessage": "0.01", "currency": "EUR"},
                "status": {
                    "groupId": 2,
                    "groupName": "UNDELIVERABLE",
                    "id": 9,
                    "name": "UNDELIVERABLE_NOT_DELIVERED",
                },
                "error": {
                    "groupId": 1,
                    "groupName": "HANDSET_ERRORS",
                    "id": 1,
                    "name": "EC_UNKNOWN_SUBSCRIBER",
                    "permanent": True,
                },
                "callbackData": "my data",
            },
            {
                "messageId": 17,
                "smsCount": True,
                "price": {"pricePerMessage": True},
                "mccmnc": "228",
            },
        ]
    }
    report, bare = parse_delivery_reports(payload)
    assert report.callback_data == "my data"
    assert report.price == pytest.approx(0.02)
    assert report.recipient == "+41793026727"
    assert report.status.status is S.UNDELIVERABLE
    assert report.status.permanent
    assert report.status.description == "Message sent not delivered"
    assert (bare.message_id, bare.segments, bare.price, bare.currency) == ("17", None, None, None)
    assert (bare.mcc, bare.mnc, bare.recipient, bare.callback_data) == ("228", None, None, None)
    assert bare.status.status is S.UNKNOWN


def test_parse_logs_without_sender() -> None:
    (log,) = parse_sent_logs({"results": [{"messageId": "m", "price": {"pricePerMessage": "x"}}]})
    assert (log.sender, log.text, log.report.price) == (None, None, None)


def test_parse_inbound_push() -> None:
    payload = {
        "results": [
            {
                "messageId": "5908971644001839114",
                "from": "385998779111",
                "to": "13372",
                "text": "HEY hello world",
                "cleanText": "hello world",
                "keyword": "HEY",
                "receivedAt": "2015-03-01T12:54:44.560+0000",
                "smsCount": 1,
            },
            {"messageId": "2", "from": "InfoSMS", "text": "", "keyword": "", "cleanText": None},
        ]
    }
    first, second = parse_inbound_messages(payload)
    assert (first.sender, first.recipient, first.keyword) == ("+385998779111", "13372", "HEY")
    assert (second.sender, second.text, second.keyword, second.clean_text) == (
        "InfoSMS",
        "",
        None,
        None,
    )
    assert (second.received_at, second.recipient) == (None, None)


def test_parse_number_context_networks() -> None:
    (ported, plain, unknown) = parse_number_context(
        {
            "results": [
                {
                    "to": "41793026727",
                    "mccMnc": "22802",
                    "ported": True,
                    "roaming": True,
                    "originalNetwork": {"networkName": "Swisscom", "countryPrefix": "41"},
                    "portedNetwork": {"networkName": "Sunrise"},
                    "status": {"id": 5},
                },
                {
                    "to": "385981178",
                    "ported": "no",
                    "originalNetwork": {"networkName": "T-Mobile"},
                    "status": {"id": 14},
                },
                {"to": "Alphanumeric", "status": {"id": 99}},
            ]
        }
    )
    assert (ported.network, ported.ported, ported.roaming, ported.valid) == (
        "Sunrise",
        True,
        True,
        True,
    )
    assert (ported.mcc, ported.mnc, ported.country) == ("228", "02", "CH")
    assert (plain.network, plain.ported, plain.roaming, plain.valid) == (
        "T-Mobile",
        None,
        None,
        False,
    )
    assert plain.mcc is None
    assert (unknown.number, unknown.country, unknown.valid) == ("Alphanumeric", None, False)


@pytest.mark.parametrize(
    ("parse", "payload"),
    [
        (parse_delivery_reports, None),
        (parse_delivery_reports, []),
        (parse_delivery_reports, {"results": {}}),
        (parse_delivery_reports, {"results": ["x"]}),
        (parse_delivery_reports, {"results": [{"to": "1"}]}),
        (parse_delivery_reports, {"results": [{"messageId": "m", "status": "DELIVERED"}]}),
        (parse_inbound_messages, {"results": [{"messageId": "m", "text": "x"}]}),
        (parse_inbound_messages, {"results": [{"from": "1", "text": "x"}]}),
        (parse_inbound_messages, {"results": [{"messageId": "m", "from": "1", "text": None}]}),
        (parse_inbound_messages, {"messages": []}),
        (parse_number_context, {"ncResults": "x"}),
        (parse_number_context, {}),
        (parse_number_context, {"results": [{"to": ""}]}),
        (parse_number_context, {"results": [{"to": "1", "portedNetwork": []}]}),
        (parse_sent_logs, {"results": [{"messageId": "m", "price": 1}]}),
    ],
)
def test_wrong_shapes(parse: Any, payload: Any) -> None:
    with pytest.raises(ProtocolError):
        parse(payload)


async def test_text_multi_without_sender(simulator: RunningSimulator, http: ClientSession) -> None:
    client = InfobipClient(
        http, username=INFOBIP_USERNAME, password=INFOBIP_PASSWORD, base_url=simulator.url
    )
    response = await client.send_text_multi([TextMessage(recipients=("+41793026727",), text="x")])
    assert simulator.state.requests[-1].json == {"messages": [{"to": ["41793026727"], "text": "x"}]}
    assert response.results[0].accepted
