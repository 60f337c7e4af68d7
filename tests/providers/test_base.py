"""The provider client base: validation, batching, Retry-After."""

from datetime import UTC, datetime
from typing import ClassVar

from aiohttp import ClientSession
import pytest

from custom_components.sms_gateway.providers import (
    AccountInfo,
    Capabilities,
    Channel,
    DeliveryStatus,
    OutgoingMessage,
    ProviderClient,
    SendResult,
    StatusDetail,
    UnsupportedError,
    ViberContent,
)
from custom_components.sms_gateway.providers.base import (
    MAX_STATUS_KEY,
    MAX_STATUS_KEYS,
    parse_retry_after,
)


class RecordingClient(ProviderClient):
    """A client whose batches are recorded instead of sent."""

    provider = "test"
    default_url = "https://example.invalid/api/"
    capabilities: ClassVar[Capabilities] = Capabilities(batch=True, max_batch_size=2, viber=True)

    def __init__(self, session: ClientSession) -> None:
        super().__init__(session)
        self.batches: list[OutgoingMessage] = []

    async def validate_credentials(self) -> AccountInfo:
        return AccountInfo(self.account_id(), "Test")

    def account_id(self) -> str:
        return "test:1"

    async def _send_batch(self, message: OutgoingMessage) -> list[SendResult]:
        self.batches.append(message)
        return [
            SendResult(recipient=r, status=StatusDetail(DeliveryStatus.ACCEPTED))
            for r in message.recipients
        ]


async def test_batches_keep_ids_with_their_recipients() -> None:
    async with ClientSession() as session:
        client = RecordingClient(session)
        assert client.base_url == "https://example.invalid/api"
        results = await client.send(
            OutgoingMessage(
                recipients=("+301", "+302", "+303", "+304", "+305"),
                text="hi",
                client_message_ids=("a", "b", "c", "d", "e"),
            )
        )
    assert [b.recipients for b in client.batches] == [
        ("+301", "+302"),
        ("+303", "+304"),
        ("+305",),
    ]
    assert [b.client_message_ids for b in client.batches] == [("a", "b"), ("c", "d"), ("e",)]
    assert [r.recipient for r in results] == ["+301", "+302", "+303", "+304", "+305"]


async def test_viber_may_have_no_text_and_scheduling_needs_support() -> None:
    async with ClientSession() as session:
        client = RecordingClient(session)
        await client.send(
            OutgoingMessage(
                recipients=("+301",),
                text="",
                channel=Channel.VIBER,
                viber=ViberContent(image_url="https://example.invalid/a.png"),
            )
        )
        with pytest.raises(UnsupportedError) as err:
            await client.send(
                OutgoingMessage(
                    recipients=("+301",), text="x", send_at=datetime(2099, 1, 1, tzinfo=UTC)
                )
            )
    assert err.value.provider_code == "scheduling"


def test_message_invariants() -> None:
    with pytest.raises(ValueError, match="at least one recipient"):
        OutgoingMessage(recipients=(), text="x")
    with pytest.raises(ValueError, match="one client message id per recipient"):
        OutgoingMessage(recipients=("+301", "+302"), text="x", client_message_ids=("a",))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        (" 7 ", 7.0),
        ("Wed, 21 Oct 2099 07:28:00 GMT", 2.0),
        ("Wed, 21 Oct 2099 07:27:00 GMT", 0.0),
        ("Wed, 21 Oct 2099 07:28:00", 2.0),
        ("soon", None),
        ("²", None),  # str.isdigit() is true for superscripts; float() is not
        ("٣", None),
        ("999999999999", 999999999999.0),  # the outbox clamps it
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2099, 10, 21, 7, 27, 58, tzinfo=UTC)
    assert parse_retry_after(value, now) == expected


def test_parse_retry_after_uses_current_time() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


async def test_unknown_statuses_are_counted_within_bounds() -> None:
    """Whatever a provider sends, the diagnostics count stays small."""
    async with ClientSession() as session:
        client = RecordingClient(session)
        assert client.unknown_statuses == {}
        client.count_unknown_status("q")
        client.count_unknown_status("q")
        client.count_unknown_status("")
        client.count_unknown_status("x" * 500)
        assert client.unknown_statuses == {"q": 2, "(empty)": 1, "x" * MAX_STATUS_KEY: 1}
        for index in range(MAX_STATUS_KEYS * 2):
            client.count_unknown_status(f"v{index}")
        assert len(client.unknown_statuses) == MAX_STATUS_KEYS + 1
        assert client.unknown_statuses["(other)"] == MAX_STATUS_KEYS + 3
        client.count_unknown_status("q")
        assert client.unknown_statuses["q"] == 3
