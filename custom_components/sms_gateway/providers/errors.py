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
* ``ProtocolError`` - the answer could not be understood.
* ``UnsupportedError`` - the provider has no such feature.

Messages never contain credentials: they are built from fixed texts, status
codes and provider error names only.
"""

from __future__ import annotations


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


class ProtocolError(ProviderError):
    """The provider's answer was not what its API documents."""

    key = "protocol"


class UnsupportedError(ProviderError):
    """The provider does not offer the requested feature."""

    key = "unsupported"
