"""Errors raised by the provider clients.

A small hierarchy the integration maps to Home Assistant's errors:

* ``AuthenticationError`` - bad credentials, blocked IP: start reauth.
* ``InsufficientBalanceError`` - top up the account.
* ``InvalidRecipientError`` - a number the provider (or we) cannot send to.
* ``InvalidRequestError`` - something in the request is wrong (the user's
  input, or our bug); sending it again will fail again.
* ``RejectedError`` - the provider refused the message for good.
* ``TransientError`` - try again later; ``retry_after`` when the provider said
  when, ``ambiguous`` when the request may have reached the provider (a
  timeout or a reset after sending): resending may then send twice.
  ``RateLimitedError`` (HTTP 429) is the one that asks to slow down.
* ``ProtocolError`` - the answer could not be understood.
* ``UnsupportedError`` - the provider has no such feature.
* ``PartialSendError`` - a send split into several requests (chunks) failed
  part-way: the answered chunks' results, the failed chunk's error and the
  recipients not sent (see the class).

Messages never contain credentials: they are built from fixed texts, status
codes, provider error names and the provider's own error text (sms365
``remarks``, Infobip ``serviceException.text``, a voip-communications
refusal's body), from which every credential is masked (and, for
voip-communications, which echoes numbers, anything like a phone number).

``provider_code`` says why, as a string (stored, put into events and
translation placeholders): a ``Reason`` member when a client refused the
request itself before asking the provider, else the provider's own code (an
HTTP status such as ``"503"``, an sms365 error number, an Infobip error
name). Compare it with ``Reason`` members (or with the named codes of the
client that sets them), never with literals.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import SendResult


class Reason(StrEnum):
    """Why a client refused a request itself (a ``provider_code``).

    The values are stable: they are stored and used in translations.
    """

    # The provider lacks the feature (UnsupportedError).
    FLASH = "flash"
    VIBER = "viber"
    SCHEDULING = "scheduling"
    # The message (InvalidRequestError).
    EMPTY_TEXT = "empty_text"
    TOO_LONG = "too_long"
    SENDER = "sender"
    # A phone number that does not parse (InvalidRecipientError).
    NOT_A_NUMBER = "not_a_number"
    NO_COUNTRY = "no_country"
    INVALID_NUMBER = "invalid"
    # Infobip requests and answers.
    HEX = "hex"
    NO_RECIPIENT = "to"
    NO_MESSAGES = "messages"
    GENERAL_STATUS = "generalStatus"
    # sms365 Viber messages (InvalidRequestError).
    VIBER_SENDER = "viber_sender"
    VIBER_TEXT = "viber_text"
    VIBER_BUTTON = "viber_button"
    VIBER_IMAGE_WITHOUT_BUTTON = "viber_image_without_button"
    VIBER_VALIDITY = "viber_validity"


class ProviderError(Exception):
    """Base class of every error a provider client raises."""

    #: A stable machine-readable key (used for translation keys).
    key = "provider_error"

    def __init__(self, message: str, *, provider_code: str | None = None) -> None:
        """Create the error with a safe message and the provider's own code."""
        super().__init__(message)
        self.message = message
        self.provider_code = provider_code


class AuthenticationError(ProviderError):
    """The provider refused the credentials (or the caller's IP address)."""

    key = "authentication"


class InsufficientBalanceError(ProviderError):
    """The account has not enough balance for the message."""

    key = "insufficient_balance"


class InvalidRecipientError(ProviderError):
    """A destination number is invalid."""

    key = "invalid_recipient"

    def __init__(
        self, message: str, *, recipient: str | None = None, provider_code: str | None = None
    ) -> None:
        """Create the error for one recipient."""
        super().__init__(message, provider_code=provider_code)
        self.recipient = recipient


class InvalidRequestError(ProviderError):
    """The request is invalid; repeating it will not help."""

    key = "invalid_request"


class RejectedError(ProviderError):
    """The provider rejected the message permanently."""

    key = "rejected"


class TransientError(ProviderError):
    """A temporary failure: the same request may succeed later."""

    key = "transient"

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        ambiguous: bool = False,
        provider_code: str | None = None,
    ) -> None:
        """Create the error.

        ``ambiguous`` is True when the provider may have processed the request
        (e.g. the answer timed out): only an idempotent request may be resent.
        """
        super().__init__(message, provider_code=provider_code)
        self.retry_after = retry_after
        self.ambiguous = ambiguous


class RateLimitedError(TransientError):
    """The provider asked to slow down (HTTP 429); not ambiguous: nothing was processed."""


class ProtocolError(ProviderError):
    """The provider's answer was not what its API documents."""

    key = "protocol"


class UnsupportedError(ProviderError):
    """The provider does not offer the requested feature."""

    key = "unsupported"


class PartialSendError(ProviderError):
    """A send split into chunks failed part-way; the answered chunks are kept.

    ``ProviderClient.send`` sends at most ``capabilities.max_batch_size``
    recipients per request ("chunk"), one chunk after the other, and records
    each chunk's answer before the next request. When chunk k fails after
    chunks 1..k-1 were answered, the client stops (chunks k+1... are never
    requested) and raises this error, so that no answered result is lost and
    no accepted recipient is ever sent again. When the very first chunk fails,
    its own error is raised instead (as for a send of a single request).

    The contract:

    * ``PartialSendError.results`` (list[SendResult] of answered chunks): one
      result per recipient of chunks 1..k-1, accepted or refused, in the order
      given. Never send to these recipients again for this message.
    * ``.error`` (ProviderError of the failed chunk): e.g. a TransientError
      (with ``ambiguous`` and ``retry_after``), an AuthenticationError, an
      InsufficientBalanceError.
    * ``.unsent`` (tuple of E.164 recipients of the failed and later chunks),
      in the order given. ``results`` and ``unsent`` together are the
      message's ``recipients`` position by position, so the
      ``client_message_ids`` of ``unsent`` are ``ids[len(results):]``.
    * ``.ambiguous_recipients`` (tuple: the failed chunk's recipients if
      ``error`` is an ambiguous TransientError, else empty). Their outcome is
      unknown: the provider may have processed the failed request. The rest
      of ``unsent`` is provably unsent: every later chunk (never requested),
      and the failed chunk's recipients when the request was refused before
      any processing. Caveat, as for a single request: a ProtocolError (an
      answer not understood, e.g. malformed JSON with HTTP 200) leaves this
      empty although the chunk may have been processed; do not resend it
      blindly.
    * ``.retry_after``: the failed chunk's ``TransientError.retry_after``
      (seconds the provider asked to wait), else None.

    ``failed_recipients`` are the failed chunk's recipients (the start of
    ``unsent``), whether ambiguous or not. ``provider_code`` is the failed
    chunk's.
    """

    key = "partial_send"

    def __init__(
        self,
        *,
        results: list[SendResult],
        error: ProviderError,
        unsent: tuple[str, ...],
        failed_recipients: tuple[str, ...],
    ) -> None:
        """Create the error from the answered results and the failed chunk."""
        total = len(results) + len(unsent)
        super().__init__(
            f"Sent {len(results)} of {total} recipients; the request for the next "
            f"{len(failed_recipients)} failed: {error.message}",
            provider_code=error.provider_code,
        )
        self.results = results
        self.error = error
        self.unsent = unsent
        self.failed_recipients = failed_recipients

    @property
    def ambiguous_recipients(self) -> tuple[str, ...]:
        """Return the failed chunk's recipients if it may have been processed."""
        if isinstance(self.error, TransientError) and self.error.ambiguous:
            return self.failed_recipients
        return ()

    @property
    def retry_after(self) -> float | None:
        """Return the seconds the provider asked to wait, if it did."""
        if isinstance(self.error, TransientError):
            return self.error.retry_after
        return None
