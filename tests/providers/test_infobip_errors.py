"""Infobip-v1 style client: transport and answer failures (fault injection, real HTTP)."""

import asyncio
from collections.abc import Awaitable, Callable
import logging
from typing import Any

from aiohttp import ClientSession
import pytest

from custom_components.sms_gateway.providers import (
    AuthenticationError,
    InfobipClient,
    InvalidRequestError,
    OutgoingMessage,
    ProtocolError,
    TransientError,
)
from simulator.demo import INFOBIP_PASSWORD, INFOBIP_USERNAME
from tests.conftest import RunningSimulator

CH1 = "+41793026727"

Call = Callable[[InfobipClient], Awaitable[Any]]

# Every endpoint, so each one goes through the same error handling.
CALLS: dict[str, Call] = {
    "send": lambda c: c.send(OutgoingMessage(recipients=(CH1,), text="x")),
    "balance": lambda c: c.get_balance(),
    "reports": lambda c: c.fetch_delivery_reports(),
    "logs": lambda c: c.get_logs(),
    "inbox": lambda c: c.fetch_inbound(),
    "inbox_logs": lambda c: c.get_inbox_logs(),
    "lookup": lambda c: c.lookup_number(CH1),
    "notify": lambda c: c.request_number_context([CH1], "http://127.0.0.1:9/nc"),
    "text_single": lambda c: c.send_text_single([CH1], "x"),
}

REQUEST_ERROR = (
    '{"requestError": {"serviceException": {"messageId": "BAD_REQUEST", "text": "Invalid sendAt"}}}'
)

FAULTS: list[tuple[str, dict[str, Any], type[Exception], bool, float | None]] = [
    ("401", {"kind": "status", "status": 401}, AuthenticationError, False, None),
    ("403", {"kind": "status", "status": 403}, AuthenticationError, False, None),
    (
        "429-retry",
        {"kind": "status", "status": 429, "retry_after": "7"},
        TransientError,
        False,
        7.0,
    ),
    ("429", {"kind": "status", "status": 429}, TransientError, False, None),
    ("500", {"kind": "status", "status": 500}, TransientError, True, None),
    ("502", {"kind": "status", "status": 502}, TransientError, True, None),
    ("503", {"kind": "status", "status": 503, "retry_after": "120"}, TransientError, False, 120.0),
    ("503-no-retry", {"kind": "status", "status": 503}, TransientError, False, None),
    ("302", {"kind": "status", "status": 302}, ProtocolError, False, None),
    ("drop", {"kind": "drop"}, TransientError, True, None),
    ("malformed", {"kind": "malformed_json"}, ProtocolError, False, None),
    ("html", {"kind": "html", "status": 200}, ProtocolError, False, None),
    ("html-502", {"kind": "html"}, TransientError, True, None),
    (
        "xml",
        {
            "kind": "body",
            "body": "<SMSResponse><messages/></SMSResponse>",
            "content_type": "application/xml",
        },
        ProtocolError,
        False,
        None,
    ),
    ("empty", {"kind": "empty"}, ProtocolError, False, None),
    ("list", {"kind": "body", "body": "[1, 2]"}, ProtocolError, False, None),
    (
        "400",
        {"kind": "body", "status": 400, "body": REQUEST_ERROR},
        InvalidRequestError,
        False,
        None,
    ),
    ("400-plain", {"kind": "body", "status": 400, "body": "Bad"}, InvalidRequestError, False, None),
    (
        "400-odd-envelope",
        {"kind": "body", "status": 400, "body": '{"requestError": {"serviceException": "x"}}'},
        InvalidRequestError,
        False,
        None,
    ),
    ("404", {"kind": "body", "status": 404, "body": "Not found"}, ProtocolError, False, None),
    (
        "405-envelope",
        {"kind": "body", "status": 405, "body": REQUEST_ERROR},
        InvalidRequestError,
        False,
        None,
    ),
]

# Answers of a wrong shape, per endpoint.
SHAPES: list[tuple[str, str]] = [
    ("send", '{"messages": 5}'),
    ("send", '{"messages": [5]}'),
    ("send", '{"messages": [{"to": "41793026727", "status": "OK"}]}'),
    ("send", '{"messages": [{"to": "41793026727", "status": {}, "error": []}]}'),
    ("balance", '{"balance": "lots", "currency": "EUR"}'),
    ("balance", '{"currency": "EUR"}'),
    ("reports", '{"results": {}}'),
    ("logs", '{"result": []}'),
    # One unreadable entry of a pull is skipped, not the answer:
    # tests/providers/test_parse_per_entry.py.
    ("lookup", '{"ncResults": [{"mccMnc": "22801"}]}'),
    ("lookup", '{"results": [{"to": "41793026727", "originalNetwork": "CH"}]}'),
    ("lookup", '{"results": null}'),
    ("notify", '{"ncResults": [7]}'),
    ("notify", '{"results": []}'),
    ("text_single", '"messages"'),
]


def _client(sim: RunningSimulator, http: ClientSession, timeout: float = 5.0) -> InfobipClient:
    return InfobipClient(
        http,
        username=INFOBIP_USERNAME,
        password=INFOBIP_PASSWORD,
        base_url=sim.url,
        timeout=timeout,
    )


def _assert_no_secret(err: BaseException, caplog: pytest.LogCaptureFixture) -> None:
    for secret in (INFOBIP_USERNAME, INFOBIP_PASSWORD):
        assert secret not in str(err)
        assert secret not in caplog.text
    assert "ZGVtbz" not in caplog.text  # base64 of "demo:..."


@pytest.mark.parametrize("call", list(CALLS), ids=list(CALLS))
@pytest.mark.parametrize(
    ("fault", "error", "ambiguous", "retry_after"),
    [f[1:] for f in FAULTS],
    ids=[f[0] for f in FAULTS],
)
async def test_error_matrix(
    simulator: RunningSimulator,
    http: ClientSession,
    caplog: pytest.LogCaptureFixture,
    call: str,
    fault: dict[str, Any],
    error: type[Exception],
    ambiguous: bool,
    retry_after: float | None,
) -> None:
    caplog.set_level(logging.DEBUG)
    # aiohttp itself retries an idempotent request (GET) once on a dropped
    # connection: drop twice so that the failure reaches the client.
    drop = fault["kind"] == "drop"
    simulator.state.add_fault(provider="infobip", count=2 if drop else 1, **fault)
    with pytest.raises(error) as err:
        await CALLS[call](_client(simulator, http))
    if isinstance(err.value, TransientError):
        assert err.value.ambiguous is ambiguous
        assert err.value.retry_after == retry_after
    _assert_no_secret(err.value, caplog)
    assert 1 <= len(simulator.state.requests) <= (2 if drop else 1)


async def test_request_error_text_and_code(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    simulator.state.add_fault(kind="body", provider="infobip", status=400, body=REQUEST_ERROR)
    with pytest.raises(InvalidRequestError) as err:
        await _client(simulator, http).send(OutgoingMessage(recipients=(CH1,), text="x"))
    assert "Invalid sendAt" in str(err.value)
    assert err.value.provider_code == "BAD_REQUEST"


async def test_request_error_never_echoes_credentials(
    simulator: RunningSimulator, http: ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = (
        '{"requestError": {"serviceException": {"messageId": "demo-password",'
        ' "text": "User demo with password demo-password is locked"}}}'
    )
    simulator.state.add_fault(kind="body", provider="infobip", status=400, body=body)
    with pytest.raises(InvalidRequestError) as err:
        await _client(simulator, http).get_balance()
    assert "is locked" in str(err.value)
    assert err.value.provider_code == "***"
    _assert_no_secret(err.value, caplog)


async def test_real_simulator_400(simulator: RunningSimulator, http: ClientSession) -> None:
    """The simulator's own 400 (a bad limit) comes back as InvalidRequestError."""
    with pytest.raises(InvalidRequestError) as err:
        await _client(simulator, http).fetch_delivery_reports(limit=0)
    assert "limit" in str(err.value)


@pytest.mark.parametrize(
    ("call", "body"), SHAPES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(SHAPES)]
)
async def test_unexpected_shapes(
    simulator: RunningSimulator,
    http: ClientSession,
    caplog: pytest.LogCaptureFixture,
    call: str,
    body: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    simulator.state.add_fault(kind="body", provider="infobip", body=body)
    with pytest.raises(ProtocolError) as err:
        await CALLS[call](_client(simulator, http))
    _assert_no_secret(err.value, caplog)


async def test_timeout_is_ambiguous_and_processed(
    simulator: RunningSimulator, http: ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    simulator.state.add_fault(kind="timeout", provider="infobip", seconds=0.5)
    client = _client(simulator, http, timeout=0.2)
    message = OutgoingMessage(recipients=(CH1,), text="x", client_message_ids=("t1",))
    with pytest.raises(TransientError) as err:
        await client.send(message)
    assert err.value.ambiguous
    assert err.value.retry_after is None
    _assert_no_secret(err.value, caplog)
    # The provider took it: the idempotent resend is refused as a duplicate.
    assert list(simulator.state.messages) == ["t1"]
    (result,) = await client.send(message)
    assert result.error == "duplicate_message_id"
    assert list(simulator.state.messages) == ["t1"]
    await asyncio.sleep(0.5)


async def test_connection_refused_is_not_ambiguous(
    http: ClientSession, socket_enabled: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = InfobipClient(
        http, username=INFOBIP_USERNAME, password=INFOBIP_PASSWORD, base_url="http://127.0.0.1:9"
    )
    with pytest.raises(TransientError) as err:
        await client.validate_credentials()
    assert not err.value.ambiguous
    _assert_no_secret(err.value, caplog)
