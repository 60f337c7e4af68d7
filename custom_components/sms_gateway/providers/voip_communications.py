"""voip-communications.net SMS API client.

The API has one documented method, ``POST .../sms/send`` (Basic auth
``API_KEY:API_PASSWORD``; form fields ``from``, ``to`` comma-joined, ``msg``,
``delivery_date``), answering ``{"send_log": [...]}`` with one entry per
destination, and HTTP 401 for bad credentials. What it cannot do, and what we
chose where the document is silent:

* **Credential check**: an empty POST to ``sms/send`` (no ``to``, no ``msg``)
  cannot send anything; HTTP 401 means bad credentials, any other answer
  that is not a server error means they were accepted.
* **No balance, delivery report or cancel API** is documented: the client
  reports no balance, and a message's last known status is the ``status`` of
  its ``send_log`` entry.
* **Inbound**: replies to a ``from`` number are POSTed to the number's
  Callback URL in a format the document does not show; ``parse_inbound``
  accepts form, query or JSON bodies with the usual key spellings.
* **``delivery_date``** is sent as ISO 8601 with an explicit offset, in UTC
  (``2099-10-01T09:30:00+00:00``; a naive datetime is UTC). The document
  names no time zone for its ``YYYY-MM-DD HH:MM`` (the site's own metadata
  shows US Central) and accepts "any valid date format": a time with its
  offset cannot be read in the wrong zone.
* **Refusals**: any answer other than 200 that the shared request code does
  not map (401/403 credentials, 429/503 busy, other 5xx) is the provider's
  refusal, whatever its body: the status is checked before any JSON is read.
  The body's words are kept in the error (``code_desc`` of a JSON body, else
  the plain text; HTML is dropped), with the credentials and anything that
  looks like a phone number masked. 402 -> InsufficientBalanceError; 404
  without words (an HTML or empty page) -> ProtocolError (check the API
  address); any other -> InvalidRequestError.
* **Batches**: the document sets no limit on ``to``; we send at most 100
  numbers per request.
* **Prices**: ``sale`` is kept as the price; the document names no
  currency, so none is reported.
* **``from``** must be one of the account's SMS enabled numbers (a 2-way
  message); without it the provider sends a bulk message from its own
  number.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
import json
import re
from typing import Any, ClassVar

from aiohttp import ClientSession, encode_basic_auth

from .base import DEFAULT_TIMEOUT, ProviderClient, mask_secrets, short_digest
from .errors import InsufficientBalanceError, InvalidRequestError, ProtocolError, ProviderError
from .models import (
    AccountInfo,
    Capabilities,
    DeliveryReport,
    DeliveryStatus,
    Encoding,
    InboundMessage,
    OutgoingMessage,
    SendResult,
    StatusDetail,
)
from .parse import as_dict, as_json_number, as_list, digits_of
from .phone import digits, from_provider
from .text import analyze

SEND_PATH = "/sms/send"
MAX_REFUSAL_TEXT = 200
# Digit runs as long as a phone number's (masked in refusal texts).
_NUMBER_RE = re.compile(r"\+?\d{6,}")

# send_log "status" values -> normalised status. Only "SCHEDULED" is shown in
# the document; the others are the ones a sent message can plausibly have.
STATUS_MAP: dict[str, DeliveryStatus] = {
    "SCHEDULED": DeliveryStatus.SCHEDULED,
    "SENT": DeliveryStatus.ACCEPTED,
    "QUEUED": DeliveryStatus.ACCEPTED,
    "ACCEPTED": DeliveryStatus.ACCEPTED,
    "PENDING": DeliveryStatus.PENDING,
    "DELIVERED": DeliveryStatus.DELIVERED,
    "UNDELIVERED": DeliveryStatus.UNDELIVERABLE,
    "FAILED": DeliveryStatus.FAILED,
    "ERROR": DeliveryStatus.REJECTED,
    "REJECTED": DeliveryStatus.REJECTED,
}

# send_log "code" values other than 200 -> error key for the recipient.
CODE_ERRORS: dict[int, str] = {
    400: "invalid_recipient",
    402: "insufficient_balance",
    403: "rejected",
}

# Key spellings accepted for inbound replies (first match wins).
INBOUND_KEYS: dict[str, tuple[str, ...]] = {
    "sender": ("from", "From", "sender", "msisdn", "src", "source", "phone", "number"),
    "recipient": ("to", "To", "recipient", "did", "dst", "destination"),
    "text": ("msg", "message", "text", "Body", "body", "content", "sms"),
    "message_id": ("smsid", "sms_id", "id", "message_id", "messageId", "MessageSid", "uuid"),
    "received_at": ("date", "received_at", "receivedAt", "timestamp", "time", "datetime"),
}


def _first(data: Mapping[str, Any], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = data.get(key)
        if value not in (None, ""):
            return str(value).strip()
    return None


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    if value.isdigit():
        return datetime.fromtimestamp(int(value), UTC)
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def parse_inbound(data: Mapping[str, Any]) -> InboundMessage:
    """Parse a reply POSTed to a number's Callback URL (form, query or JSON).

    Accepted keys (first present wins): sender ``from``/``sender``/``msisdn``/...,
    recipient ``to``/``did``/..., text ``msg``/``message``/``text``/``Body``/...,
    id ``smsid``/``id``/``message_id``/..., time ``date``/``timestamp``/...
    (``YYYY-MM-DD HH:MM[:SS]``, ISO 8601 or Unix seconds; UTC when no zone).
    Without an id, one is derived from sender, number, time and text; without
    a time as well, the message is ``repeatable`` (see InboundMessage).
    Raises ProtocolError when the sender or the text is missing.
    """
    sender = _first(data, INBOUND_KEYS["sender"])
    text = _first(data, INBOUND_KEYS["text"])
    if not sender or text is None:
        raise ProtocolError("voip_communications reply without sender or text")
    received_at = _parse_time(_first(data, INBOUND_KEYS["received_at"]))
    recipient = _first(data, INBOUND_KEYS["recipient"])
    message_id = _first(data, INBOUND_KEYS["message_id"])
    derived = message_id is None
    if message_id is None:
        # No id given: derive one from what identifies the message, so that
        # a provider retry of the same reply is still recognised. A digest:
        # ids are logged and shown, numbers and text must not be.
        stamp = received_at.isoformat() if received_at else ""
        message_id = "derived-" + short_digest("\0".join((sender, recipient or "", stamp, text)))
    return InboundMessage(
        message_id=message_id,
        sender=from_provider(sender),
        recipient=from_provider(recipient) if recipient else None,
        text=text,
        received_at=received_at,
        # Without a time, the same text from the same phone is the same id.
        repeatable=derived and received_at is None,
    )


def format_delivery_date(send_at: datetime) -> str:
    """Return ``delivery_date``: ISO 8601 in UTC with its offset (naive is UTC)."""
    aware = send_at if send_at.tzinfo is not None else send_at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="seconds")


class VoipCommunicationsClient(ProviderClient):
    """Client of the voip-communications.net SMS API."""

    provider = "voip_communications"
    display_name = "voip-communications.net"
    default_url = "https://voip-communications.net/api-v2/index.php"
    capabilities: ClassVar[Capabilities] = Capabilities(
        text=True,
        batch=True,
        max_batch_size=100,
        scheduling=True,
        inbound_push=True,
        sender_rules="own_number",
    )

    def __init__(
        self,
        session: ClientSession,
        *,
        api_key: str,
        api_password: str,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Create the client."""
        super().__init__(session, base_url=base_url, timeout=timeout)
        self._api_key = api_key
        self._api_password = api_password
        self._headers = {"Authorization": encode_basic_auth(api_key, api_password)}

    @classmethod
    def parse_push(
        cls, query: Mapping[str, str], body: bytes, fields: Mapping[str, Any]
    ) -> tuple[list[DeliveryReport], list[InboundMessage]]:
        """Parse a reply POSTed to a number's Callback URL (form, query or JSON)."""
        return [], [parse_inbound(fields)]

    async def validate_credentials(self) -> AccountInfo:
        """Check the credentials with a request that cannot send anything."""
        await self._request("POST", SEND_PATH, data={}, headers=self._headers)
        # The API key is the Basic-auth username: a credential, never in a title.
        return AccountInfo(account_id=self.account_id(), title=self.account_title())

    def account_id(self) -> str:
        """Return the account's id: the API key's digest, never the key."""
        return f"{self.provider}:{short_digest(self._api_key)}"

    async def _send_batch(self, message: OutgoingMessage) -> list[SendResult]:
        form = {"to": ",".join(digits(r) for r in message.recipients), "msg": message.text}
        if (sender := self.checked_sender(message.sender)) is not None:
            form["from"] = sender
        if message.send_at is not None:
            form["delivery_date"] = format_delivery_date(message.send_at)
        raw = await self._request("POST", SEND_PATH, data=form, headers=self._headers)
        if raw.status != 200:
            raise self._refusal(raw.status, raw.body)
        body = as_dict(self._json(raw), self.provider, "the answer")
        log = as_list(body.get("send_log"), self.provider, "send_log")
        entries: dict[str, list[dict[str, Any]]] = {}
        for item in log:
            entry = as_dict(item, self.provider, "a send_log entry")
            entries.setdefault(digits_of(entry.get("to")), []).append(entry)
        info = analyze(message.text)
        return [
            self._result(
                recipient, entries.get(digits(recipient), []), info.segments, info.encoding
            )
            for recipient in message.recipients
        ]

    def _refusal(self, status: int, body: bytes) -> ProviderError:
        """Return the error of a refused request, with the body's own words."""
        text = body.decode("utf-8", errors="replace").strip()
        words: str | None = None
        code = str(status)
        if text.startswith("{"):
            try:
                data = json.loads(text)
            except ValueError:
                data = None
            if isinstance(data, dict):
                words = str(data.get("code_desc") or data.get("message") or "").strip() or None
                code = str(data.get("code") or status)
        if words is None and text and not text.startswith("<"):
            words = text
        if words is not None:
            words = self._mask(" ".join(words.split()))[:MAX_REFUSAL_TEXT]
        if status == 404 and not words:
            return self.wrong_address(status)
        message = f"{self.provider} refused the request (HTTP {status})"
        if words:
            message = f"{message}: {words}"
        if status == 402:
            return InsufficientBalanceError(message, provider_code=code)
        return InvalidRequestError(message, provider_code=code)

    def _mask(self, text: str) -> str:
        """Mask the credentials and anything like a phone number in a provider's text."""
        return _NUMBER_RE.sub("***", mask_secrets(text, self._api_password, self._api_key))

    def _result(
        self, recipient: str, entries: list[dict[str, Any]], segments: int, encoding: Encoding
    ) -> SendResult:
        if not entries:
            return SendResult(
                recipient=recipient,
                status=StatusDetail(DeliveryStatus.UNKNOWN, description="Missing from send_log"),
                segments=segments,
                encoding=encoding,
                error="protocol",
            )
        entry = entries.pop(0)
        provider_status = str(entry.get("status") or "")
        description = str(entry.get("code_desc") or "") or None
        try:
            code = int(entry.get("code", 200))
        except (TypeError, ValueError):
            raise self.shape_error("send_log code is not a number") from None
        price = as_json_number(entry.get("sale"))
        if code != 200:
            return SendResult(
                recipient=recipient,
                status=StatusDetail(
                    DeliveryStatus.REJECTED,
                    provider_status=provider_status or str(code),
                    description=description,
                    error_name=str(code),
                    error_description=description,
                    permanent=True,
                ),
                segments=segments,
                encoding=encoding,
                error=CODE_ERRORS.get(code, "rejected"),
            )
        return SendResult(
            recipient=recipient,
            message_id=str(entry.get("smsid") or "") or None,
            status=StatusDetail(
                STATUS_MAP.get(provider_status.upper(), DeliveryStatus.ACCEPTED),
                provider_status=provider_status or None,
                description=description,
            ),
            segments=segments,
            encoding=encoding,
            price=price,
        )
