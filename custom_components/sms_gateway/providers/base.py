"""The interface every provider client implements, and its HTTP plumbing."""

from __future__ import annotations

from abc import ABC, abstractmethod
import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
import hashlib
import json
import logging
from typing import Any, ClassVar

from aiohttp import (
    ClientConnectorError,
    ClientError,
    ClientSession,
    ClientTimeout,
    hdrs,
)

from .errors import (
    AuthenticationError,
    InvalidRequestError,
    PartialSendError,
    ProtocolError,
    ProviderError,
    RateLimitedError,
    Reason,
    TransientError,
    UnsupportedError,
)
from .models import (
    AccountInfo,
    Balance,
    Capabilities,
    Channel,
    DeliveryReport,
    InboundMessage,
    NumberInfo,
    OutgoingMessage,
    SendResult,
    ViberSenderBalance,
)
from .parse import shape_error
from .sender import validate_sender
from .text import analyze

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 20.0
MAX_TEXT_SEGMENTS = 10  # beyond this, providers reject or truncate: refuse early
# Unknown status values kept for diagnostics: at most this many, this long each.
MAX_STATUS_KEYS = 20
MAX_STATUS_KEY = 20


def short_digest(value: str) -> str:
    """Return a short, stable digest (64 bits of SHA-256, hex) of a value.

    Account ids (the config entry's unique id) are built from the digest of
    the credential that identifies the account, never from the credential
    itself; ids derived from a message carry no number or text.
    """
    return hashlib.sha256(value.encode()).hexdigest()[:16]


def mask_secrets(text: str, *secrets: str) -> str:
    """Return a provider's text with each credential (in the order given) masked."""
    for secret in filter(None, secrets):
        text = text.replace(secret, "***")
    return text


@dataclass(frozen=True, slots=True)
class RawResponse:
    """An HTTP answer, fully read."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Return the seconds a ``Retry-After`` header asks to wait (seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # not "²": str.isdigit takes superscripts
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class ProviderClient(ABC):
    """An async client for one provider account.

    The aiohttp session is injected (Home Assistant passes its shared one);
    every request has a timeout; no credential is ever logged or put into an
    exception message.

    What the integration needs to know about a provider is asked of its class,
    never of its name: ``capabilities``, ``display_name``, ``push_methods``
    and ``parse_push``.
    """

    provider: ClassVar[str]
    #: The name people read (the device's manufacturer).
    display_name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    default_url: ClassVar[str]
    #: The HTTP methods the provider's pushes (webhook calls) use.
    push_methods: ClassVar[tuple[str, ...]] = (hdrs.METH_POST,)

    def __init__(
        self,
        session: ClientSession,
        *,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        """Create a client around a session."""
        self._session = session
        self._base_url = (base_url or self.default_url).rstrip("/")
        self._timeout = ClientTimeout(total=timeout)
        # Status values the provider sent that its document does not list, and
        # how often each came (diagnostics); see count_unknown_status.
        self.unknown_statuses: dict[str, int] = {}

    @classmethod
    def parse_push(
        cls, query: Mapping[str, str], body: bytes, fields: Mapping[str, Any]
    ) -> tuple[list[DeliveryReport], list[InboundMessage]]:
        """Parse what the provider pushed to the account's webhook.

        ``query`` is the URL's query string, ``body`` the raw body and
        ``fields`` the query merged with the body read as a form or a JSON
        object. Return the delivery reports and the inbound messages; raise
        ValueError or a ProviderError if the push cannot be parsed.
        """
        raise UnsupportedError(f"{cls.provider} pushes nothing")

    @property
    def base_url(self) -> str:
        """Return the API's base URL."""
        return self._base_url

    # -- the interface --------------------------------------------------------

    async def validate_credentials(self) -> AccountInfo:
        """Check the credentials without sending a message; identify the account.

        By default with a balance request (``get_balance``).
        """
        await self.get_balance()
        return AccountInfo(account_id=self.account_id(), title=self.account_title())

    def account_title(self) -> str:
        """Return the account's title people read: never a credential, nor a digest of one."""
        return self.display_name

    @abstractmethod
    def account_id(self) -> str:
        """Return the stable id of the account the credentials belong to (no request).

        Never a credential: built with ``short_digest``.
        """

    async def send(self, message: OutgoingMessage) -> list[SendResult]:
        """Send a message; one result per recipient, in the order given.

        Recipients are sent in chunks of ``capabilities.max_batch_size``, one
        request per chunk, one chunk after the other; each chunk's answer is
        recorded before the next request. A failure for some recipients only
        is reported in their results. A failure of a whole request:

        * of the first chunk (or the only one) raises its own error;
        * of chunk k after chunks 1..k-1 were answered raises
          ``PartialSendError`` with the answered chunks' ``results``, the
          chunk's ``error`` and the ``unsent`` recipients (chunk k's and every
          later chunk's). Later chunks are never requested: no accepted
          recipient is ever lost, none needs to be sent again.
        """
        self.validate(message)
        size = max(1, self.capabilities.max_batch_size if self.capabilities.batch else 1)
        ids = message.client_message_ids
        results: list[SendResult] = []
        for start in range(0, len(message.recipients), size):
            chunk = replace(
                message,
                recipients=message.recipients[start : start + size],
                client_message_ids=ids[start : start + size] if ids else None,
            )
            try:
                answered = await self._send_batch(chunk)
            except ProviderError as err:
                if start == 0:
                    raise
                _LOGGER.debug(
                    "%s: chunk at recipient %d of %d failed after %d answered",
                    self.provider,
                    start,
                    len(message.recipients),
                    len(results),
                )
                raise PartialSendError(
                    results=results,
                    error=err,
                    unsent=message.recipients[start:],
                    failed_recipients=chunk.recipients,
                ) from err
            results.extend(answered)
        return results

    @abstractmethod
    async def _send_batch(self, message: OutgoingMessage) -> list[SendResult]:
        """Send one batch (at most max_batch_size recipients) in one request."""

    def validate(self, message: OutgoingMessage) -> None:
        """Raise before any request if the provider would refuse the message."""
        caps = self.capabilities
        if message.channel is Channel.FLASH and not caps.flash:
            raise UnsupportedError(
                f"{self.provider} cannot send flash SMS", provider_code=Reason.FLASH
            )
        if message.channel is Channel.VIBER and not caps.viber:
            raise UnsupportedError(f"{self.provider} cannot send Viber", provider_code=Reason.VIBER)
        if message.send_at is not None and not caps.scheduling:
            raise UnsupportedError(
                f"{self.provider} cannot schedule messages", provider_code=Reason.SCHEDULING
            )
        if not message.text.strip() and message.channel is not Channel.VIBER:
            raise InvalidRequestError("The message is empty", provider_code=Reason.EMPTY_TEXT)
        if message.channel is not Channel.VIBER:
            info = analyze(message.text)
            if info.segments > MAX_TEXT_SEGMENTS:
                raise InvalidRequestError(
                    f"The message is too long ({info.segments} SMS segments, "
                    f"at most {MAX_TEXT_SEGMENTS})",
                    provider_code=Reason.TOO_LONG,
                )
        if message.sender:
            validate_sender(message.sender, caps.sender_rules)

    async def get_balance(self) -> Balance:
        """Return the account balance."""
        raise UnsupportedError(f"{self.provider} has no balance API")

    async def get_viber_balances(self) -> list[ViberSenderBalance]:
        """Return the balance of each approved Viber sender id."""
        raise UnsupportedError(f"{self.provider} has no Viber balance API")

    async def fetch_delivery_reports(self, *, limit: int | None = None) -> list[DeliveryReport]:
        """Return delivery reports not fetched before (each report once)."""
        raise UnsupportedError(f"{self.provider} has no delivery report API")

    async def fetch_inbound(self, *, limit: int | None = None) -> list[InboundMessage]:
        """Return received messages not fetched before (each message once)."""
        raise UnsupportedError(f"{self.provider} has no inbound message API")

    async def lookup_number(self, number: str) -> NumberInfo:
        """Look a number up (validity, network, porting)."""
        raise UnsupportedError(f"{self.provider} has no number lookup API")

    async def cancel(self, message_id: str) -> None:
        """Cancel a scheduled message."""
        raise UnsupportedError(f"{self.provider} cannot cancel messages")

    # -- HTTP -----------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | bytes | str | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> RawResponse:
        """Make a request and map transport and HTTP failures to ProviderErrors.

        401/403 raise AuthenticationError; 429 (RateLimitedError) and 503 (refused before any
        processing) raise a non-ambiguous TransientError; other 5xx, timeouts
        and connections lost after sending raise an ambiguous one. Other
        statuses are returned for the provider to interpret.
        """
        url = f"{self._base_url}{path}"
        _LOGGER.debug("%s %s %s", self.provider, method, path)
        try:
            async with self._session.request(
                method,
                url,
                params=params,
                data=data,
                json=json_body,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as response:
                body = await response.read()
                raw = RawResponse(response.status, dict(response.headers), body)
        except TimeoutError:
            raise TransientError(
                f"{self.provider} did not answer in time", ambiguous=True
            ) from None
        except ClientConnectorError:
            # Nothing was sent: the connection was never made.
            raise TransientError(f"Cannot connect to {self.provider}") from None
        except (ClientError, OSError, asyncio.IncompleteReadError):
            # Reset or closed after the request went out: it may have been processed.
            raise TransientError(
                f"The connection to {self.provider} was lost", ambiguous=True
            ) from None
        _LOGGER.debug("%s %s %s -> %s", self.provider, method, path, raw.status)
        self._raise_for_http_status(raw)
        return raw

    def _raise_for_http_status(self, raw: RawResponse) -> None:
        status = raw.status
        if status in (401, 403):
            raise AuthenticationError(
                f"{self.provider} refused the credentials (HTTP {status})",
                provider_code=str(status),
            )
        retry_after = parse_retry_after(raw.headers.get("Retry-After"))
        if status == 429:
            raise RateLimitedError(
                f"{self.provider} is busy (HTTP {status})",
                retry_after=retry_after,
                provider_code=str(status),
            )
        if status == 503:
            raise TransientError(
                f"{self.provider} is busy (HTTP {status})",
                retry_after=retry_after,
                provider_code=str(status),
            )
        if status >= 500:
            raise TransientError(
                f"{self.provider} failed (HTTP {status})",
                retry_after=retry_after,
                ambiguous=True,
                provider_code=str(status),
            )
        if 300 <= status < 400:
            raise ProtocolError(
                f"{self.provider} answered with a redirect (HTTP {status}); check the API address",
                provider_code=str(status),
            )

    def _json(self, raw: RawResponse) -> Any:
        """Decode a JSON answer, or raise ProtocolError saying what came instead."""
        text = raw.body.decode("utf-8", errors="replace").strip()
        if not text:
            raise ProtocolError(f"{self.provider} sent an empty answer (HTTP {raw.status})")
        if text.startswith("<"):
            kind = "HTML" if "html" in text[:200].lower() else "XML"
            raise ProtocolError(
                f"{self.provider} sent {kind} where JSON was expected (HTTP {raw.status});"
                " check the API address"
            )
        try:
            return json.loads(text)
        except ValueError:
            raise ProtocolError(
                f"{self.provider} sent malformed JSON (HTTP {raw.status})"
            ) from None

    def count_unknown_status(self, value: str) -> None:
        """Count a status value the document does not list (bounded, for diagnostics)."""
        key = value[:MAX_STATUS_KEY] or "(empty)"
        if key not in self.unknown_statuses and len(self.unknown_statuses) >= MAX_STATUS_KEYS:
            key = "(other)"
        self.unknown_statuses[key] = self.unknown_statuses.get(key, 0) + 1

    def wrong_address(self, status: int) -> ProtocolError:
        """Return the error of an answer that says the API address is wrong (404...)."""
        return ProtocolError(
            f"{self.provider} answered HTTP {status}; check the API address",
            provider_code=str(status),
        )

    def checked_sender(self, sender: str | None) -> str | None:
        """Return a message's SMS sender held to the provider's rules; None without one."""
        return validate_sender(sender, self.capabilities.sender_rules) if sender else None

    def shape_error(self, what: str) -> ProtocolError:
        """Return the error for an answer of the wrong shape."""
        return shape_error(self.provider, what)
