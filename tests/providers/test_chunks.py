"""Sends split into chunks: a failed chunk never loses (or resends) the answered ones.

"Nothing lost, never twice": a send to more recipients than one request takes
is made as several requests, one after the other. When chunk k fails after
chunks 1..k-1 were answered, the client stops and raises PartialSendError with
the answered results, the failed chunk's error and the recipients not sent;
when the very first chunk fails, its own error is raised as for one request.
Everything runs against the simulator, with faults on the Nth request
(``skip``).
"""

from typing import Any
import uuid

from aiohttp import ClientSession
import pytest

from custom_components.sms_gateway.providers import (
    AuthenticationError,
    DeliveryStatus,
    InfobipClient,
    InsufficientBalanceError,
    OutgoingMessage,
    PartialSendError,
    ProtocolError,
    ProviderError,
    SendResult,
    Sms365Client,
    StatusDetail,
    TransientError,
    VoipCommunicationsClient,
)
from custom_components.sms_gateway.providers.infobip import DUPLICATE_MESSAGE_ID
from simulator.demo import (
    INFOBIP_PASSWORD,
    INFOBIP_USERNAME,
    SMS365_API_KEY,
    VOIP_API_KEY,
    VOIP_API_PASSWORD,
)
from simulator.state import RecordedRequest
from tests.conftest import RunningSimulator

SMS365_BULK = "/api/sms/bulk"
VOIP_SEND = "/api-v2/index.php/sms/send"
INFOBIP_SEND = "/restapi/sms/1/text/advanced"


def numbers(count: int, first: int = 0) -> tuple[str, ...]:
    """Return distinct valid Greek mobile numbers in E.164."""
    return tuple(f"+30697{i:07d}" for i in range(first, first + count))


def digits(number: str) -> str:
    return number.lstrip("+")


def sms365(sim: RunningSimulator, http: ClientSession) -> Sms365Client:
    return Sms365Client(http, api_key=SMS365_API_KEY, base_url=f"{sim.url}/api", timeout=10)


def voip(sim: RunningSimulator, http: ClientSession) -> VoipCommunicationsClient:
    return VoipCommunicationsClient(
        http,
        api_key=VOIP_API_KEY,
        api_password=VOIP_API_PASSWORD,
        base_url=f"{sim.url}/api-v2/index.php/",
        timeout=10,
    )


def infobip(sim: RunningSimulator, http: ClientSession, timeout: float = 10) -> InfobipClient:
    return InfobipClient(
        http,
        username=INFOBIP_USERNAME,
        password=INFOBIP_PASSWORD,
        base_url=sim.url + "/",
        timeout=timeout,
    )


async def fault(sim: RunningSimulator, http: ClientSession, **rule: Any) -> None:
    async with http.post(f"{sim.url}/_sim/faults", json=rule) as resp:
        assert resp.status == 201, await resp.text()


def requests_to(sim: RunningSimulator, path: str) -> list[RecordedRequest]:
    return [r for r in sim.state.requests if r.path == path]


def form_to(request: RecordedRequest) -> list[str]:
    """Return the comma-joined ``to`` of a recorded form POST."""
    assert request.form is not None
    return request.form["to"][0].split(",")


def sent_to(sim: RunningSimulator, provider: str) -> list[str]:
    """Return the destination of every message the provider accepted, in order."""
    messages = sorted(sim.state.messages.values(), key=lambda m: m.sent_at)
    return [m.to for m in messages if m.provider == provider]


# -- sms365: 500 numbers per sms/bulk ----------------------------------------------


async def test_sms365_429_on_second_bulk_keeps_the_first_500(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    simulator.state.accounts["sms365-demo"].balance = 10_000
    recipients = numbers(600)
    await fault(
        simulator,
        http,
        kind="status",
        status=429,
        retry_after="7",
        provider="sms365",
        path="sms/bulk",
        skip=1,
    )
    client = sms365(simulator, http)
    with pytest.raises(PartialSendError) as caught:
        await client.send(OutgoingMessage(recipients=recipients, text="Hello"))
    err = caught.value
    assert isinstance(err, ProviderError)
    assert [r.recipient for r in err.results] == list(recipients[:500])
    assert all(r.accepted and r.message_id for r in err.results)
    # Accepted, their delivery reports still to come.
    assert not any(r.status.status.is_final for r in err.results)
    assert err.unsent == recipients[500:]
    assert err.failed_recipients == recipients[500:]
    assert isinstance(err.error, TransientError)
    assert not err.error.ambiguous
    assert err.error.retry_after == 7.0
    assert err.retry_after == 7.0
    assert err.ambiguous_recipients == ()
    assert err.provider_code == "429"
    assert err.key == "partial_send"
    assert err.message.startswith("Sent 500 of 600 recipients; the request for the next 100")
    assert isinstance(err.__cause__, TransientError)

    # Exactly the first chunk was sent; the second request reached the
    # simulator and was refused before any processing.
    assert sent_to(simulator, "sms365") == [digits(n) for n in recipients[:500]]
    bulk = requests_to(simulator, SMS365_BULK)
    assert [r.fault for r in bulk] == [None, "status"]
    assert [form_to(r) for r in bulk] == [
        [digits(n) for n in recipients[:500]],
        [digits(n) for n in recipients[500:]],
    ]
    assert {r.message_id for r in err.results} == set(simulator.state.messages)

    # Sending only what is unsent reaches everyone exactly once.
    rest = await client.send(OutgoingMessage(recipients=err.unsent, text="Hello"))
    assert all(r.accepted for r in rest)
    assert sorted(sent_to(simulator, "sms365")) == sorted(digits(n) for n in recipients)


async def test_sms365_authentication_error_on_second_bulk(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    simulator.state.accounts["sms365-demo"].balance = 10_000
    recipients = numbers(600)
    await fault(simulator, http, kind="status", status=401, path="sms/bulk", skip=1)
    with pytest.raises(PartialSendError) as caught:
        await sms365(simulator, http).send(OutgoingMessage(recipients=recipients, text="Hi"))
    err = caught.value
    assert isinstance(err.error, AuthenticationError)
    assert len(err.results) == 500
    assert all(r.accepted for r in err.results)
    assert err.unsent == recipients[500:]
    assert err.ambiguous_recipients == ()
    assert err.retry_after is None
    assert err.provider_code == "401"
    assert len(simulator.state.messages) == 500


async def test_sms365_balance_running_out_in_the_second_bulk(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """No fault: the provider's own error (105) for the second chunk."""
    simulator.state.accounts["sms365-demo"].balance = 550
    recipients = numbers(600)
    with pytest.raises(PartialSendError) as caught:
        await sms365(simulator, http).send(OutgoingMessage(recipients=recipients, text="Hi"))
    err = caught.value
    assert isinstance(err.error, InsufficientBalanceError)
    assert err.provider_code == "105"
    assert len(err.results) == 500
    assert err.unsent == recipients[500:]
    assert err.ambiguous_recipients == ()
    assert len(simulator.state.messages) == 500
    assert simulator.state.accounts["sms365-demo"].balance == 50


# -- voip-communications: 100 numbers per request ----------------------------------


async def test_voip_connection_reset_on_second_request(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    recipients = numbers(250)
    await fault(simulator, http, kind="drop", provider="voip", skip=1)
    with pytest.raises(PartialSendError) as caught:
        await voip(simulator, http).send(OutgoingMessage(recipients=recipients, text="Hello"))
    err = caught.value
    assert [r.recipient for r in err.results] == list(recipients[:100])
    assert all(r.accepted and r.message_id for r in err.results)
    assert err.unsent == recipients[100:]
    assert len(err.unsent) == 150
    assert isinstance(err.error, TransientError)
    assert err.error.ambiguous
    # The dropped chunk's recipients are unknown; the third chunk's are
    # provably unsent.
    assert err.ambiguous_recipients == recipients[100:200]
    assert err.failed_recipients == recipients[100:200]
    assert err.retry_after is None
    assert isinstance(err.__cause__, TransientError)

    # The third chunk was never requested.
    sends = requests_to(simulator, VOIP_SEND)
    assert [r.fault for r in sends] == [None, "drop"]
    assert [form_to(r) for r in sends] == [
        [digits(n) for n in recipients[:100]],
        [digits(n) for n in recipients[100:200]],
    ]
    assert sent_to(simulator, "voip") == [digits(n) for n in recipients[:100]]


async def test_voip_server_error_on_third_request_keeps_two_chunks(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """Chunks 1 and 2 answered (one number refused in them), chunk 3 fails with 500."""
    recipients = (*numbers(150), "+3069", *numbers(99, first=150))
    await fault(simulator, http, kind="status", status=500, provider="voip", skip=2)
    with pytest.raises(PartialSendError) as caught:
        await voip(simulator, http).send(OutgoingMessage(recipients=recipients, text="Hello"))
    err = caught.value
    assert [r.recipient for r in err.results] == list(recipients[:200])
    refused = [r for r in err.results if not r.accepted]
    assert [(r.recipient, r.status.status, r.error) for r in refused] == [
        ("+3069", DeliveryStatus.REJECTED, "invalid_recipient")
    ]
    assert err.unsent == recipients[200:]
    assert isinstance(err.error, TransientError)
    assert err.error.ambiguous
    assert err.ambiguous_recipients == recipients[200:]
    assert err.provider_code == "500"
    assert len(simulator.state.messages) == 199
    assert len(requests_to(simulator, VOIP_SEND)) == 3


async def test_voip_answer_not_understood_on_second_request(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """A ProtocolError is not a TransientError: ``ambiguous_recipients`` stays empty."""
    recipients = numbers(150)
    await fault(simulator, http, kind="malformed_json", provider="voip", skip=1)
    with pytest.raises(PartialSendError) as caught:
        await voip(simulator, http).send(OutgoingMessage(recipients=recipients, text="Hello"))
    err = caught.value
    assert isinstance(err.error, ProtocolError)
    assert len(err.results) == 100
    assert err.unsent == err.failed_recipients == recipients[100:]
    assert err.ambiguous_recipients == ()
    assert err.retry_after is None


# -- the first chunk failing: the plain error, as for one request -----------------


async def test_sms365_first_bulk_failing_raises_the_plain_error(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    simulator.state.accounts["sms365-demo"].balance = 10_000
    await fault(simulator, http, kind="status", status=429, retry_after="7", path="sms/bulk")
    with pytest.raises(TransientError) as caught:
        await sms365(simulator, http).send(OutgoingMessage(recipients=numbers(600), text="Hi"))
    assert not isinstance(caught.value, PartialSendError)
    assert caught.value.retry_after == 7.0
    assert not caught.value.ambiguous
    # Stopped at the first failure: the second chunk was not tried either.
    assert len(requests_to(simulator, SMS365_BULK)) == 1
    assert simulator.state.messages == {}


async def test_voip_first_request_failing_raises_the_plain_error(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    await fault(simulator, http, kind="status", status=401, provider="voip")
    with pytest.raises(AuthenticationError) as caught:
        await voip(simulator, http).send(OutgoingMessage(recipients=numbers(250), text="Hi"))
    assert not isinstance(caught.value, PartialSendError)
    assert len(requests_to(simulator, VOIP_SEND)) == 1
    assert simulator.state.messages == {}


async def test_single_request_failing_raises_the_plain_error(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    await fault(simulator, http, kind="drop", provider="voip")
    with pytest.raises(TransientError) as caught:
        await voip(simulator, http).send(OutgoingMessage(recipients=numbers(3), text="Hi"))
    assert not isinstance(caught.value, PartialSendError)
    assert caught.value.ambiguous


async def test_all_chunks_answered_returns_every_result(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    recipients = numbers(250)
    results = await voip(simulator, http).send(OutgoingMessage(recipients=recipients, text="Hi"))
    assert [r.recipient for r in results] == list(recipients)
    assert [len(form_to(r)) for r in requests_to(simulator, VOIP_SEND)] == [100, 100, 50]


# -- client message ids follow their recipients ------------------------------------


async def test_infobip_client_message_ids_stay_aligned_per_chunk(
    simulator: RunningSimulator, http: ClientSession
) -> None:
    """An answer lost for chunk 2: resending ``unsent`` with its own ids is safe."""
    recipients = numbers(501)
    ids = tuple(uuid.uuid4().hex for _ in recipients)
    # Chunk 2 is processed, but its answer comes after the client gave up.
    await fault(
        simulator, http, kind="timeout", seconds=2.5, provider="infobip", path="text", skip=1
    )
    client = infobip(simulator, http, timeout=1.5)
    message = OutgoingMessage(recipients=recipients, text="Hello", client_message_ids=ids)
    with pytest.raises(PartialSendError) as caught:
        await client.send(message)
    err = caught.value
    assert [(r.recipient, r.message_id) for r in err.results] == list(
        zip(recipients[:500], ids[:500], strict=True)
    )
    assert all(r.accepted for r in err.results)
    assert err.unsent == recipients[500:]
    assert err.ambiguous_recipients == recipients[500:]
    sends = requests_to(simulator, INFOBIP_SEND)
    assert [r.fault for r in sends] == [None, "timeout"]
    second = sends[1].json["messages"][0]["destinations"]
    assert second == [{"to": digits(recipients[500]), "messageId": ids[500]}]

    # The unsent recipients' ids are ids[len(results):]: the resend is
    # recognised as a duplicate and nobody gets the message twice.
    retry = OutgoingMessage(
        recipients=err.unsent, text="Hello", client_message_ids=ids[len(err.results) :]
    )
    (result,) = await client.send(retry)
    assert result.recipient == recipients[500]
    assert result.error == DUPLICATE_MESSAGE_ID
    assert sorted(m.id for m in simulator.state.messages.values()) == sorted(ids)


# -- the error itself ---------------------------------------------------------------


def _result(recipient: str) -> SendResult:
    return SendResult(recipient=recipient, status=StatusDetail(DeliveryStatus.ACCEPTED))


@pytest.mark.parametrize(
    ("error", "ambiguous", "retry_after"),
    [
        (TransientError("busy", retry_after=3.0, provider_code="503"), False, 3.0),
        (TransientError("lost", ambiguous=True), True, None),
        (AuthenticationError("no", provider_code="401"), False, None),
    ],
)
def test_partial_send_error_contract(
    error: ProviderError, ambiguous: bool, retry_after: float | None
) -> None:
    err = PartialSendError(
        results=[_result("+306970000001")],
        error=error,
        unsent=("+306970000002", "+306970000003", "+306970000004"),
        failed_recipients=("+306970000002", "+306970000003"),
    )
    assert err.results == [_result("+306970000001")]
    assert err.error is error
    assert err.unsent == ("+306970000002", "+306970000003", "+306970000004")
    assert err.ambiguous_recipients == (("+306970000002", "+306970000003") if ambiguous else ())
    assert err.retry_after == retry_after
    assert err.provider_code == error.provider_code
    assert (
        str(err)
        == err.message
        == (f"Sent 1 of 4 recipients; the request for the next 2 failed: {error.message}")
    )
