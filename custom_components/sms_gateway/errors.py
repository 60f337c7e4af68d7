"""The integration's Home Assistant errors: every provider error is translated here.

The provider clients raise their own small hierarchy (``providers.errors``);
what a user sees of it is decided in this module only, one function per
surface, so that the same failure reads the same everywhere:

* setup and polling - ``auth_failed`` and the coordinator's ``poll_errors``
  decorator: refused credentials start reauthentication
  (``ConfigEntryAuthFailed``); any other failure only makes the poll fail
  (``UpdateFailed``: the balance is unavailable, the account stays loaded);
* checking a message before anything is sent - ``number_error`` and
  ``message_error``: always the caller's mistake (``ServiceValidationError``);
* sending - ``send_error``: a refused number or message is the caller's
  mistake, anything else (credentials, balance, a refusal, an outage) is the
  provider's (``HomeAssistantError``);
* the config flow - ``form_error``: the form's error key.

The messages come from the ``exceptions`` section of the translations; the
placeholders never hold credentials (a provider error's message has them
masked already).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed
import probatio

from .const import DOMAIN
from .providers import (
    AuthenticationError,
    InsufficientBalanceError,
    InvalidRecipientError,
    InvalidRequestError,
    ProtocolError,
    ProviderError,
    Reason,
    RejectedError,
    TransientError,
    UnsupportedError,
)


class SmsValidationError(ServiceValidationError, probatio.Invalid):
    """A mistake in an action call (invalid number, empty text, unsupported channel...).

    A ServiceValidationError with a translated message, and also a probatio.Invalid
    so that Home Assistant's REST API answers it with HTTP 400 (it turns only
    probatio.Invalid into 400; any other error of an action is a 500 there). Over
    the websocket the caller gets the translated message either way.
    """

    def __init__(self, key: str, **placeholders: Any) -> None:
        """Create the error from a translation key of the ``exceptions`` section."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders={k: str(v) for k, v in placeholders.items()},
        )


def validation_error(key: str, **placeholders: Any) -> ServiceValidationError:
    """Return the user's-fault error of a translation key."""
    return SmsValidationError(key, **placeholders)


def provider_error(key: str, **placeholders: Any) -> HomeAssistantError:
    """Return the provider's-fault error of a translation key."""
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={k: str(v) for k, v in placeholders.items()},
    )


# -- setup and polling ------------------------------------------------------------


def auth_failed(account: str) -> ConfigEntryAuthFailed:
    """Return the error that starts reauthentication of an account."""
    return ConfigEntryAuthFailed(
        translation_domain=DOMAIN,
        translation_key="auth_failed",
        translation_placeholders={"account": account},
    )


class _PollsAnAccount(Protocol):
    @property
    def config_entry(self) -> ConfigEntry[Any]: ...


def poll_errors[CoordinatorT: _PollsAnAccount, **P, R](
    func: Callable[Concatenate[CoordinatorT, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[CoordinatorT, P], Coroutine[Any, Any, R]]:
    """Decorate a coordinator's poll: translate the provider's errors for it."""

    async def handler(self: CoordinatorT, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await func(self, *args, **kwargs)
        except AuthenticationError as err:
            raise auth_failed(self.config_entry.title) from err
        except ProviderError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": err.message},
            ) from err

    return handler


# -- checking and sending a message -----------------------------------------------


def number_error(err: InvalidRecipientError, number: str) -> ServiceValidationError:
    """Return the error of a target that is no phone number we can send to."""
    key = "number_needs_country" if err.provider_code == Reason.NO_COUNTRY else "invalid_number"
    return validation_error(key, number=number)


def message_error(
    err: UnsupportedError | InvalidRequestError, *, provider: str, sender: str | None
) -> ServiceValidationError:
    """Return the error of a message the provider's checks refuse before any request."""
    if isinstance(err, UnsupportedError):
        return validation_error("not_supported", provider=provider, error=err.message)
    code = err.provider_code
    if code == Reason.SENDER:
        return validation_error("invalid_sender", sender=sender, error=err.message)
    if code == Reason.TOO_LONG:
        return validation_error("message_too_long", error=err.message)
    if code == Reason.EMPTY_TEXT:
        return validation_error("empty_message")
    return validation_error("invalid_message", error=err.message)


def send_error(err: ProviderError, account: str) -> HomeAssistantError:
    """Return the error of a send request the provider refused as a whole."""
    if isinstance(err, AuthenticationError):
        return provider_error("auth_failed", account=account)
    if isinstance(err, InsufficientBalanceError):
        return provider_error("insufficient_balance", account=account)
    if isinstance(err, InvalidRecipientError):
        return validation_error("invalid_number", number=err.recipient or "?")
    if isinstance(err, InvalidRequestError):
        return validation_error("invalid_message", error=err.message)
    if isinstance(err, RejectedError):
        return provider_error("rejected", account=account, error=err.message)
    return provider_error("provider_error", account=account, error=err.message)


# -- the config flow ----------------------------------------------------------------


def form_error(err: Exception) -> str:
    """Return the config flow's error key of a failed credentials check.

    ``unknown`` is an error nobody expected (the caller logs it).
    """
    if isinstance(err, AuthenticationError):
        return "invalid_auth"
    if isinstance(err, (TransientError, ProtocolError)):
        return "cannot_connect"
    return "unknown"
