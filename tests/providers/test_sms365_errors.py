"""The sms365.gr client's error matrix: transport, HTTP, answer format and every error code."""

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import json
import logging
import socket
from typing import Any

from aiohttp import ClientSession
import pytest

from custom_components.sms_gateway.providers import (
    AuthenticationError,
    Channel,
    InsufficientBalanceError,
    InvalidRecipientError,
    InvalidRequestError,
    OutgoingMessage,
    ProtocolError,
    ProviderError,
    RejectedError,
    Sms365Client,
    TransientError,
)
from simulator.demo import SMS365_API_KEY
from tests.conftest import RunningSimulator

from .sms365_wire import DEMO, client_for

SMS = OutgoingMessage(recipients=("+306971234561",), text="x")


def assert_no_key(err: ProviderError, caplog: pytest.LogCaptureFixture) -> None:
    assert SMS365_API_KEY not in str(err)
    assert SMS365_API_KEY not in repr(err.args)
    assert SMS365_API_KEY not in caplog.text


@pytest.mark.parametrize(
    ("fault", "expected", "ambiguous", "retry_after"),
    [
        ({"kind": "status", "status": 401}, AuthenticationError, None, None),
        ({"kind": "status", "status": 403}, AuthenticationError, None, None),
        ({"kind": "status", "status": 429, "retry_after": "7"}, TransientError, False, 7.0),
        ({"kind": "status", "status": 429}, TransientError, False, None),
        ({"kind": "status", "status": 500}, TransientError, True, None),
        ({"kind": "status", "status": 502}, TransientError, True, None),
        ({"kind": "status", "status": 503, "retry_after": "30"}, TransientError, False, 30.0),
        ({"kind": "status", "status": 302}, ProtocolError, None, None),
        ({"kind": "drop"}, TransientError, True, None),
        ({"kind": "malformed_json"}, ProtocolError, None, None),
        ({"kind": "html"}, TransientError, True, None),  # a 502 page from a proxy
        ({"kind": "html", "status": 200}, ProtocolError, None, None),
        (
            {
                "kind": "body",
                "body": '<?xml version="1.0"?><response><status>1</status></response>',
                "content_type": "application/xml",
            },
            ProtocolError,
            None,
            None,
        ),
        ({"kind": "empty"}, ProtocolError, None, None),
        ({"kind": "body", "body": "[]"}, ProtocolError, None, None),
        ({"kind": "body", "body": '{"smsId": "1"}'}, ProtocolError, None, None),
        ({"kind": "body", "body": '{"status": 2, "error": 0}'}, ProtocolError, None, None),
        ({"kind": "body", "body": '{"status": true, "error": 0}'}, ProtocolError, None, None),
        ({"kind": "body", "body": '{"status": 1, "error": 0}'}, ProtocolError, None, None),
        ({"kind": "body", "body": '{"status": 0, "error": 0}'}, ProtocolError, None, None),
        ({"kind": "body", "body": '{"status": 0, "error": "x"}'}, ProtocolError, None, None),
        (
            {"kind": "body", "status": 404, "body": "404: Not Found", "content_type": "text/plain"},
            ProtocolError,
            None,
            None,
        ),
        ({"kind": "body", "status": 404, "body": '{"detail": "no"}'}, ProtocolError, None, None),
        (
            {"kind": "body", "status": 202, "body": '{"status": 1, "smsId": "1"}'},
            ProtocolError,
            None,
            None,
        ),
        (
            {"kind": "body", "status": 400, "body": '{"status": 0, "error": 101}'},
            AuthenticationError,
            None,
            None,
        ),
    ],
)
async def test_transport_and_format_errors(
    simulator: RunningSimulator,
    http: ClientSession,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, Any],
    expected: type[ProviderError],
    ambiguous: bool | None,
    retry_after: float | None,
) -> None:
    caplog.set_level(logging.DEBUG)
    simulator.state.add_fault(provider="sms365", **fault)
    with pytest.raises(expected) as err:
        await client_for(simulator, http).send(SMS)
    if ambiguous is not None:
        assert isinstance(err.value, TransientError)
        assert err.value.ambiguous is ambiguous
        assert err.value.retry_after == retry_after
    assert_no_key(err.value, caplog)
    assert len(simulator.state.requests) == 1


async def test_timeout_is_ambiguous(
    simulator: RunningSimulator, http: ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    simulator.state.add_fault(kind="timeout", provider="sms365", seconds=0.5)
    with pytest.raises(TransientError) as err:
        await client_for(simulator, http, timeout=0.2).send(SMS)
    assert err.value.ambiguous
    # The provider did take it: resending would send twice.
    assert len(simulator.state.messages) == 1
    assert_no_key(err.value, caplog)
    await asyncio.sleep(0.5)


async def test_connection_refused_is_not_ambiguous(
    http: ClientSession, socket_enabled: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = Sms365Client(http, api_key=SMS365_API_KEY, base_url=f"http://127.0.0.1:{port}/api")
    with pytest.raises(TransientError) as err:
        await client.validate_credentials()
    assert not err.value.ambiguous
    assert_no_key(err.value, caplog)


# Every documented code (and two undocumented ones), injected into an sms/send answer.
INJECTED: list[tuple[int, type[ProviderError]]] = [
    (101, AuthenticationError),
    (102, InvalidRecipientError),
    (103, InvalidRecipientError),
    (104, InvalidRequestError),
    (105, InsufficientBalanceError),
    (106, TransientError),
    (107, InvalidRequestError),
    (108, InvalidRequestError),
    (109, InvalidRequestError),
    (110, RejectedError),
    (111, RejectedError),
    (201, InvalidRecipientError),
    (205, InvalidRecipientError),
    (300, InvalidRequestError),
    (301, InvalidRequestError),
    (302, InvalidRequestError),
    (501, InvalidRecipientError),
    (502, RejectedError),  # not documented
    (503, RejectedError),
    (504, RejectedError),
    *((code, InvalidRequestError) for code in range(505, 517)),
    (517, InsufficientBalanceError),
    (518, RejectedError),
    (999, RejectedError),  # not documented
]


@pytest.mark.parametrize(("code", "expected"), INJECTED)
async def test_error_codes(
    simulator: RunningSimulator,
    http: ClientSession,
    caplog: pytest.LogCaptureFixture,
    code: int,
    expected: type[ProviderError],
) -> None:
    caplog.set_level(logging.DEBUG)
    body = {"status": 0, "error": code, "remarks": f"Remarks of {code}"}
    simulator.state.add_fault(kind="body", provider="sms365", body=json.dumps(body))
    with pytest.raises(ProviderError) as err:
        await client_for(simulator, http).send(SMS)
    assert type(err.value) is expected
    assert err.value.provider_code == str(code)
    assert str(err.value) == f"sms365 error {code}: Remarks of {code}"
    if isinstance(err.value, TransientError):
        assert not err.value.ambiguous
    if isinstance(err.value, InvalidRecipientError):
        assert err.value.recipient == "+306971234561"
    assert_no_key(err.value, caplog)


async def test_error_remarks_never_show_the_key(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    body = {"status": "0", "error": "101", "remarks": f"Bad key {SMS365_API_KEY}" + "!" * 500}
    simulator.state.add_fault(kind="body", provider="sms365", body=json.dumps(body))
    with pytest.raises(AuthenticationError) as err:
        await client_for(simulator, http).get_balance()
    assert SMS365_API_KEY not in str(err.value)
    assert str(err.value).startswith("sms365 error 101: Bad key ***!!!")
    assert len(str(err.value)) < 350

    simulator.state.add_fault(kind="body", provider="sms365", body='{"status": 0, "error": 105}')
    with pytest.raises(InsufficientBalanceError) as balance_err:
        await client_for(simulator, http).get_balance()
    assert str(balance_err.value) == "sms365 error 105"


async def _send_to(client: Sms365Client, number: str, **values: Any) -> None:
    await client.send(OutgoingMessage(recipients=(number,), text="x", **values))


async def _viber_to(client: Sms365Client, number: str, sender: str = "DemoViber") -> None:
    await client.send(
        OutgoingMessage(recipients=(number,), text="x", sender=sender, channel=Channel.VIBER)
    )


async def _sent_id(client: Sms365Client, minutes: float = 0) -> str:
    send_at = datetime.now(UTC) + timedelta(minutes=minutes) if minutes else None
    (result,) = await client.send(
        OutgoingMessage(recipients=("+306971234561",), text="x", send_at=send_at)
    )
    return result.message_id or ""


async def _cancel_sent(client: Sms365Client) -> None:
    await client.cancel(await _sent_id(client))


async def _cancel_soon(client: Sms365Client) -> None:
    await client.cancel(await _sent_id(client, minutes=0.5))


def _no_balance(sim: RunningSimulator) -> None:
    sim.state.accounts[DEMO].balance = 0


def _no_viber_balance(sim: RunningSimulator) -> None:
    sim.state.accounts[DEMO].viber_senders["DemoViber"] = 0


def _paused(sim: RunningSimulator) -> None:
    sim.state.accounts[DEMO].paused_viber_senders.append("DemoViber")


def _nothing(sim: RunningSimulator) -> None:
    return


# Codes the simulator produces from a real request.
NATURAL: list[
    tuple[
        int,
        Callable[[RunningSimulator], None],
        Callable[[Sms365Client], Awaitable[Any]],
        type[ProviderError],
    ]
] = [
    (
        101,
        _nothing,
        lambda c: Sms365Client.fetch_api_key(c._session, "demo", "x", c.base_url),
        AuthenticationError,
    ),
    (102, _nothing, lambda c: _send_to(c, "+"), InvalidRecipientError),
    (103, _nothing, lambda c: _send_to(c, "+4912"), InvalidRecipientError),
    (105, _no_balance, lambda c: _send_to(c, "+306971234561"), InsufficientBalanceError),
    (105, _no_balance, lambda c: c.lookup_number("+306971234561"), InsufficientBalanceError),
    (106, _nothing, lambda c: _send_to(c, "+306971234561", notify_url="no-url"), TransientError),
    (107, _nothing, lambda c: c.cancel(""), InvalidRequestError),
    (108, _nothing, lambda c: c.cancel("abc"), InvalidRequestError),
    (108, _nothing, lambda c: c.get_status("abc"), InvalidRequestError),
    (109, _nothing, lambda c: c.cancel("123456789012345"), InvalidRequestError),
    (110, _nothing, _cancel_sent, RejectedError),
    (111, _nothing, _cancel_soon, RejectedError),
    (205, _nothing, lambda c: c.lookup_number(""), InvalidRecipientError),
    (501, _nothing, lambda c: _viber_to(c, "+"), InvalidRecipientError),
    (503, _nothing, lambda c: _viber_to(c, "+306971234561", "Other"), RejectedError),
    (504, _paused, lambda c: _viber_to(c, "+306971234561"), RejectedError),
    (517, _no_viber_balance, lambda c: _viber_to(c, "+306971234561"), InsufficientBalanceError),
    (518, _nothing, lambda c: _viber_to(c, "+4912"), RejectedError),
]


@pytest.mark.parametrize(("code", "prepare", "call", "expected"), NATURAL)
async def test_error_codes_from_the_simulator(
    simulator: RunningSimulator,
    http: ClientSession,
    caplog: pytest.LogCaptureFixture,
    code: int,
    prepare: Callable[[RunningSimulator], None],
    call: Callable[[Sms365Client], Awaitable[Any]],
    expected: type[ProviderError],
) -> None:
    caplog.set_level(logging.DEBUG)
    prepare(simulator)
    with pytest.raises(ProviderError) as err:
        await call(client_for(simulator, http))
    assert type(err.value) is expected
    assert err.value.provider_code == str(code)
    assert_no_key(err.value, caplog)
    if code == 106:
        assert isinstance(err.value, TransientError)
        assert not err.value.ambiguous
        assert simulator.state.messages == {}
    simulator.state.cancel_timers()
