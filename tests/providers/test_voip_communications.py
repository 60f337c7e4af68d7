"""The voip-communications.net client against the simulator (real HTTP)."""

import asyncio
from datetime import UTC, datetime
import logging
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import ClientSession
import pytest

from custom_components.sms_gateway.providers import (
    AuthenticationError,
    Channel,
    DeliveryStatus,
    Encoding,
    InsufficientBalanceError,
    InvalidRequestError,
    OutgoingMessage,
    ProtocolError,
    ProviderError,
    TransientError,
    UnsupportedError,
    VoipCommunicationsClient,
    create_client,
)
from custom_components.sms_gateway.providers.base import short_digest
from custom_components.sms_gateway.providers.voip_communications import parse_inbound
from simulator.demo import VOIP_API_KEY, VOIP_API_PASSWORD, VOIP_NUMBER
from tests.conftest import RunningSimulator

SEND_PATH = "/api-v2/index.php/sms/send"


def _client(
    sim: RunningSimulator,
    http: ClientSession,
    password: str = VOIP_API_PASSWORD,
    timeout: float = 5.0,
) -> VoipCommunicationsClient:
    return VoipCommunicationsClient(
        http,
        api_key=VOIP_API_KEY,
        api_password=password,
        base_url=f"{sim.url}/api-v2/index.php/",
        timeout=timeout,
    )


async def test_validate_credentials_sends_nothing(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    info = await _client(simulator, http).validate_credentials()
    assert info.account_id == f"voip_communications:{short_digest(VOIP_API_KEY)}"
    assert VOIP_API_KEY not in info.account_id
    assert VOIP_API_PASSWORD not in info.title
    assert simulator.state.messages == {}
    (request,) = simulator.state.requests
    assert (request.method, request.path, request.form) == ("POST", SEND_PATH, {})

    with pytest.raises(AuthenticationError):
        await _client(simulator, http, password="wrong").validate_credentials()


async def test_send_batch_is_one_request(simulator: RunningSimulator, http: ClientSession) -> None:
    client = create_client(
        "voip_communications",
        http,
        {
            "url": f"{simulator.url}/api-v2/index.php",
            "api_key": VOIP_API_KEY,
            "api_password": VOIP_API_PASSWORD,
        },
    )
    results = await client.send(
        OutgoingMessage(
            recipients=("+12812345678", "+306971000000", "+12812345670"),
            text="Alarm: water leak in the basement",
            sender=VOIP_NUMBER,
        )
    )
    (request,) = simulator.state.requests
    assert request.method == "POST"
    assert request.path == SEND_PATH
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["Authorization"].startswith("Basic ")
    assert request.form == {
        "to": ["12812345678,306971000000,12812345670"],
        "msg": ["Alarm: water leak in the basement"],
        "from": [VOIP_NUMBER],
    }
    assert [r.recipient for r in results] == ["+12812345678", "+306971000000", "+12812345670"]
    assert all(r.accepted for r in results)
    assert {r.status.status for r in results} == {DeliveryStatus.ACCEPTED}
    assert results[0].status.provider_status == "SENT"
    assert results[0].message_id in simulator.state.messages
    assert results[0].price == 0.01
    assert results[0].currency is None
    assert (results[0].segments, results[0].encoding) == (1, Encoding.GSM7)


async def test_send_scheduled_unicode(simulator: RunningSimulator, http: ClientSession) -> None:
    (result,) = await _client(simulator, http).send(
        OutgoingMessage(
            recipients=("+12812345678",),
            text="Καλημέρα",
            send_at=datetime(2099, 10, 1, 9, 30, tzinfo=UTC),
        )
    )
    assert simulator.state.requests[0].form == {
        "to": ["12812345678"],
        "msg": ["Καλημέρα"],
        "delivery_date": ["2099-10-01T09:30:00+00:00"],
    }
    assert result.status.status is DeliveryStatus.SCHEDULED
    assert result.encoding is Encoding.UCS2
    assert simulator.state.messages[result.message_id or ""].send_at == datetime(
        2099, 10, 1, 9, 30, tzinfo=UTC
    )
    simulator.state.cancel_timers()


@pytest.mark.parametrize(
    ("send_at", "sent"),
    [
        (
            datetime(2099, 1, 15, 8, 0, tzinfo=ZoneInfo("Europe/Athens")),
            "2099-01-15T06:00:00+00:00",
        ),
        (
            datetime(2099, 7, 15, 8, 0, tzinfo=ZoneInfo("America/Chicago")),
            "2099-07-15T13:00:00+00:00",
        ),
        (datetime(2099, 7, 15, 8, 0), "2099-07-15T08:00:00+00:00"),  # naive: UTC
    ],
    ids=["athens", "central", "naive"],
)
async def test_delivery_date_has_an_explicit_offset(
    simulator: RunningSimulator, http: ClientSession, send_at: datetime, sent: str
) -> None:
    """The provider reads a date without offset in its own zone (US Central):
    ours always carry one, so the message goes out at the instant asked for."""
    (result,) = await _client(simulator, http).send(
        OutgoingMessage(recipients=("+12812345678",), text="x", send_at=send_at)
    )
    (request,) = simulator.state.requests
    assert request.form is not None
    assert request.form["delivery_date"] == [sent]
    wanted = send_at if send_at.tzinfo else send_at.replace(tzinfo=UTC)
    assert simulator.state.messages[result.message_id or ""].send_at == wanted
    simulator.state.cancel_timers()


async def test_per_recipient_errors(simulator: RunningSimulator, http: ClientSession) -> None:
    client = _client(simulator, http)
    # An invalid number the provider refuses while the other one goes out.
    results = await client.send(OutgoingMessage(recipients=("+12812345678", "+999123"), text="x"))
    assert [r.accepted for r in results] == [True, False]
    assert results[1].error == "invalid_recipient"
    assert results[1].status.status is DeliveryStatus.REJECTED
    assert results[1].status.error_name == "400"
    # The sender is not one of the account's numbers.
    (result,) = await client.send(
        OutgoingMessage(recipients=("+12812345678",), text="x", sender="+15550001111")
    )
    assert result.error == "rejected"
    simulator.state.accounts["voip-demo"].balance = 0
    (result,) = await client.send(OutgoingMessage(recipients=("+12812345678",), text="x"))
    assert result.error == "insufficient_balance"


async def test_missing_send_log_entry(simulator: RunningSimulator, http: ClientSession) -> None:
    simulator.state.add_fault(
        kind="body",
        provider="voip",
        body='{"send_log": [{"code": 200, "to": "1", "status": "SENT"}]}',
    )
    (result,) = await _client(simulator, http).send(
        OutgoingMessage(recipients=("+12812345678",), text="x")
    )
    assert result.error == "protocol"
    assert result.status.status is DeliveryStatus.UNKNOWN


async def test_unsupported_channels(simulator: RunningSimulator, http: ClientSession) -> None:
    client = _client(simulator, http)
    for channel in (Channel.FLASH, Channel.VIBER):
        with pytest.raises(UnsupportedError):
            await client.send(
                OutgoingMessage(recipients=("+12812345678",), text="x", channel=channel)
            )
    with pytest.raises(InvalidRequestError):
        await client.send(OutgoingMessage(recipients=("+12812345678",), text="x", sender="Home"))
    with pytest.raises(InvalidRequestError):
        await client.send(OutgoingMessage(recipients=("+12812345678",), text="  "))
    with pytest.raises(InvalidRequestError):
        await client.send(OutgoingMessage(recipients=("+12812345678",), text="x" * 1600))
    with pytest.raises(UnsupportedError):
        await client.get_balance()
    with pytest.raises(UnsupportedError):
        await client.fetch_delivery_reports()
    with pytest.raises(UnsupportedError):
        await client.fetch_inbound()
    with pytest.raises(UnsupportedError):
        await client.lookup_number("+12812345678")
    with pytest.raises(UnsupportedError):
        await client.cancel("x")
    with pytest.raises(UnsupportedError):
        await client.get_viber_balances()
    assert simulator.state.requests == []


FAULTS: list[tuple[dict[str, Any], type[Exception], bool, float | None]] = [
    ({"kind": "status", "status": 401}, AuthenticationError, False, None),
    ({"kind": "status", "status": 403}, AuthenticationError, False, None),
    ({"kind": "status", "status": 429, "retry_after": "7"}, TransientError, False, 7.0),
    ({"kind": "status", "status": 429}, TransientError, False, None),
    ({"kind": "status", "status": 500}, TransientError, True, None),
    ({"kind": "status", "status": 502}, TransientError, True, None),
    ({"kind": "status", "status": 503, "retry_after": "120"}, TransientError, False, 120.0),
    ({"kind": "status", "status": 302}, ProtocolError, False, None),
    ({"kind": "drop"}, TransientError, True, None),
    ({"kind": "malformed_json"}, ProtocolError, False, None),
    ({"kind": "html", "status": 200}, ProtocolError, False, None),
    (
        {"kind": "body", "body": "<send_log/>", "content_type": "application/xml"},
        ProtocolError,
        False,
        None,
    ),
    ({"kind": "empty"}, ProtocolError, False, None),
    ({"kind": "body", "body": '{"send_log": 5}'}, ProtocolError, False, None),
    ({"kind": "body", "body": "[1, 2]"}, ProtocolError, False, None),
    ({"kind": "body", "body": '{"send_log": [7]}'}, ProtocolError, False, None),
    (
        {"kind": "body", "body": '{"send_log": [{"code": "x", "to": "12812345678"}]}'},
        ProtocolError,
        False,
        None,
    ),
    (
        {"kind": "body", "status": 400, "body": '{"code": 400, "code_desc": "Missing"}'},
        InvalidRequestError,
        False,
        None,
    ),
]


@pytest.mark.parametrize(
    ("fault", "error", "ambiguous", "retry_after"),
    FAULTS,
    ids=[f"{f[0]['kind']}-{f[0].get('status', '')}-{i}" for i, f in enumerate(FAULTS)],
)
async def test_error_matrix(
    simulator: RunningSimulator,
    http: ClientSession,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, Any],
    error: type[Exception],
    ambiguous: bool,
    retry_after: float | None,
) -> None:
    caplog.set_level(logging.DEBUG)
    simulator.state.add_fault(provider="voip", **fault)
    with pytest.raises(error) as err:
        await _client(simulator, http).send(OutgoingMessage(recipients=("+12812345678",), text="x"))
    if isinstance(err.value, TransientError):
        assert err.value.ambiguous is ambiguous
        assert err.value.retry_after == retry_after
    for secret in (VOIP_API_PASSWORD,):
        assert secret not in str(err.value)
        assert secret not in caplog.text


@pytest.mark.parametrize(
    ("status", "body", "content_type", "error", "code", "words"),
    [
        (400, "Missing required parameter: to", "text/plain", InvalidRequestError, "400",
         "(HTTP 400): Missing required parameter: to"),
        (402, "Insufficient funds to send to 12812345678", "text/plain",
         InsufficientBalanceError, "402", "(HTTP 402): Insufficient funds to send to ***"),
        (404, "Phone number not found", "text/plain", InvalidRequestError, "404",
         "(HTTP 404): Phone number not found"),
        (400, '{"code": 400, "code_desc": "Missing"}', "application/json",
         InvalidRequestError, "400", "(HTTP 400): Missing"),
        (400, "bad key demo-voip-key /\n secret demo-voip-secret", "text/plain",
         InvalidRequestError, "400", "(HTTP 400): bad key *** / secret ***"),
        (404, "<html><body>Not Found</body></html>", "text/html", ProtocolError, "404",
         "check the API address"),
        (418, "", "text/plain", InvalidRequestError, "418", "refused the request (HTTP 418)"),
        (400, '{"code": 400, "code_', "application/json", InvalidRequestError, "400",
         '(HTTP 400): {"code": 400, "code_'),
    ],
    ids=[
        "400_text",
        "402_text",
        "404_text",
        "400_json",
        "400_secrets",
        "404_html",
        "418_empty",
        "400_broken_json",
    ],
)  # fmt: skip
async def test_refusals_keep_the_providers_words(
    simulator: RunningSimulator,
    http: ClientSession,
    status: int,
    body: str,
    content_type: str,
    error: type[Exception],
    code: str,
    words: str,
) -> None:
    """A refusal is checked by its status before any JSON is read; its words are kept."""
    simulator.state.add_fault(
        kind="body", provider="voip", status=status, body=body, content_type=content_type
    )
    with pytest.raises(ProviderError) as err:
        await _client(simulator, http).send(OutgoingMessage(recipients=("+12812345678",), text="x"))
    assert type(err.value) is error
    assert err.value.provider_code == code
    assert words in err.value.message
    assert "12812345678" not in err.value.message
    assert VOIP_API_PASSWORD not in err.value.message


async def test_simulator_refusal_is_plain_text(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """The simulator's own refusal: plain text the client keeps the words of."""
    client = _client(simulator, http)
    with pytest.raises(InvalidRequestError) as err:
        await client._send_batch(OutgoingMessage(recipients=("+12812345678",), text=" "))
    assert err.value.message == (
        "voip_communications refused the request (HTTP 400): Missing required parameter: msg"
    )


async def test_timeout_is_ambiguous(simulator: RunningSimulator, http: ClientSession) -> None:
    simulator.state.add_fault(kind="timeout", provider="voip", seconds=0.4)
    with pytest.raises(TransientError) as err:
        await _client(simulator, http, timeout=0.1).send(
            OutgoingMessage(recipients=("+12812345678",), text="x")
        )
    assert err.value.ambiguous
    # The provider did take it: resending would send twice.
    assert len(simulator.state.messages) == 1
    await asyncio.sleep(0.4)


async def test_connection_refused_is_not_ambiguous(
    http: ClientSession, socket_enabled: None
) -> None:
    client = VoipCommunicationsClient(
        http, api_key="k", api_password="p", base_url="http://127.0.0.1:9"
    )
    with pytest.raises(TransientError) as err:
        await client.validate_credentials()
    assert not err.value.ambiguous


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {
                "from": "306971234567",
                "to": VOIP_NUMBER,
                "msg": "ON",
                "smsid": "a1",
                "date": "2026-11-22 10:00:00",
            },
            ("a1", "+306971234567", "+17134567890", "ON", "2026-11-22T10:00:00+00:00"),
        ),
        (
            {"From": "+306971234567", "To": VOIP_NUMBER, "Body": "ON", "MessageSid": "SM1"},
            ("SM1", "+306971234567", "+17134567890", "ON", None),
        ),
        (
            {"sender": "306971234567", "message": "ON", "id": 5, "timestamp": "1700000000"},
            ("5", "+306971234567", None, "ON", "2023-11-14T22:13:20+00:00"),
        ),
        (
            {"msisdn": "306971234567", "text": "ON", "received_at": "2026-11-22T10:00:00+02:00"},
            (None, "+306971234567", None, "ON", "2026-11-22T10:00:00+02:00"),
        ),
        (
            {"from": "306971234567", "msg": "ON", "date": "yesterday"},
            (None, "+306971234567", None, "ON", None),
        ),
    ],
)
def test_parse_inbound(data: dict[str, Any], expected: tuple[Any, ...]) -> None:
    message = parse_inbound(data)
    message_id, sender, recipient, text, received = expected
    if message_id is not None:
        assert message.message_id == message_id
        assert not message.repeatable
    else:
        # Derived from sender, number, time and text: no number or text in the id.
        assert message.message_id.startswith("derived-")
        assert "306971234567" not in message.message_id
        assert "ON" not in message.message_id
        # Without a time either, the same text may come again later.
        assert message.repeatable is (received is None)
    assert (message.sender, message.recipient, message.text) == (sender, recipient, text)
    assert (message.received_at.isoformat() if message.received_at else None) == received


@pytest.mark.parametrize("data", [{}, {"from": "1"}, {"msg": "hi"}, {"from": "", "msg": "x"}])
def test_parse_inbound_rejects(data: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        parse_inbound(data)


def test_create_client_rejects_unknown_provider() -> None:
    with pytest.raises(ValueError, match="unknown provider"):
        create_client("twilio", None, {})  # type: ignore[arg-type]
