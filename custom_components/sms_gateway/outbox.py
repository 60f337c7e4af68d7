"""The one send pipeline behind every surface (action, notify entities, legacy notify).

It resolves targets (saved recipient names or numbers) to E.164, checks the
message against the provider's capabilities before any request, sends it in
as few requests as the provider allows, maps provider failures to translated
Home Assistant errors and hands the results to the delivery tracker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util

from .const import (
    CONF_DEFAULT_COUNTRY,
    CONF_NUMBER,
    CONF_SENDER,
    DOMAIN,
    LOGGER,
    SUBENTRY_RECIPIENT,
)
from .coordinator import SmsGatewayConfigEntry, SmsGatewayCoordinator
from .providers import (
    AuthenticationError,
    Channel,
    InsufficientBalanceError,
    InvalidRecipientError,
    InvalidRequestError,
    OutgoingMessage,
    ProviderClient,
    ProviderError,
    RejectedError,
    SendResult,
    TransientError,
    UnsupportedError,
    ViberContent,
)
from .providers.phone import REASON_NO_COUNTRY, normalize_number
from .reports import DeliveryTracker


@dataclass(frozen=True, slots=True)
class SendRequest:
    """What a caller wants sent."""

    targets: tuple[str, ...]
    message: str
    title: str | None = None
    channel: Channel = Channel.SMS
    sender: str | None = None
    sms_fallback: bool = True
    send_at: datetime | None = None
    image_url: str | None = None
    button_text: str | None = None
    button_url: str | None = None
    validity: int | None = None


@dataclass(frozen=True, slots=True)
class RecipientResult:
    """The outcome for one recipient, as actions return it."""

    to: str
    status: str
    message_id: str | None
    segments: int
    encoding: str
    channel: str
    error: str | None
    config_entry_id: str

    @property
    def ok(self) -> bool:
        """Return whether the provider took the message."""
        return self.error is None

    def as_dict(self) -> dict[str, Any]:
        """Return the action response item."""
        return {
            "to": self.to,
            "message_id": self.message_id,
            "status": self.status,
            "segments": self.segments,
            "encoding": self.encoding,
            "channel": self.channel,
            "error": self.error,
            "config_entry_id": self.config_entry_id,
        }


def _validation_error(key: str, **placeholders: Any) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={k: str(v) for k, v in placeholders.items()},
    )


def _provider_error(key: str, **placeholders: Any) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={k: str(v) for k, v in placeholders.items()},
    )


class Outbox:
    """Sends messages for one provider account."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmsGatewayConfigEntry,
        client: ProviderClient,
        tracker: DeliveryTracker,
        coordinator: SmsGatewayCoordinator | None,
    ) -> None:
        """Create the pipeline of an account."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self.tracker = tracker
        self.coordinator = coordinator

    # -- targets ----------------------------------------------------------------

    def saved_recipients(self) -> dict[str, str]:
        """Return the saved recipients: name -> E.164 number."""
        return {
            subentry.title: subentry.data[CONF_NUMBER]
            for subentry in self.entry.subentries.values()
            if subentry.subentry_type == SUBENTRY_RECIPIENT
        }

    def resolve_targets(self, targets: tuple[str, ...]) -> tuple[str, ...]:
        """Turn saved recipient names and numbers into unique E.164 numbers."""
        by_name = {name.casefold(): number for name, number in self.saved_recipients().items()}
        region = self.entry.options.get(CONF_DEFAULT_COUNTRY) or self.hass.config.country
        numbers: list[str] = []
        for target in targets:
            text = str(target).strip()
            if not text:
                continue
            number = by_name.get(text.casefold())
            if number is None:
                try:
                    number = normalize_number(text, region)
                except InvalidRecipientError as err:
                    key = (
                        "number_needs_country"
                        if err.provider_code == REASON_NO_COUNTRY
                        else "invalid_number"
                    )
                    raise _validation_error(key, number=text) from err
            if number not in numbers:
                numbers.append(number)
        if not numbers:
            raise _validation_error("no_target")
        return tuple(numbers)

    # -- sending ----------------------------------------------------------------

    def build_message(self, request: SendRequest) -> OutgoingMessage:
        """Check a request against the provider and build the message to send."""
        caps = self.client.capabilities
        provider = self.entry.title
        channel = request.channel
        viber: ViberContent | None = None
        if channel is Channel.VIBER:
            if caps.viber:
                viber = ViberContent(
                    image_url=request.image_url,
                    button_text=request.button_text,
                    button_url=request.button_url,
                    validity=request.validity,
                    sms_fallback=request.sms_fallback,
                )
            elif request.sms_fallback:
                channel = Channel.SMS
            else:
                raise _validation_error("viber_not_supported", provider=provider)
        if channel is Channel.FLASH and not caps.flash:
            raise _validation_error("flash_not_supported", provider=provider)
        if request.send_at is not None:
            if not caps.scheduling:
                raise _validation_error("scheduling_not_supported", provider=provider)
            if request.send_at <= dt_util.utcnow():
                raise _validation_error("send_at_in_past", send_at=request.send_at.isoformat())
        text = request.message.strip()
        if request.title and request.title.strip():
            # A title alone is the whole message, without a trailing line break.
            text = f"{request.title.strip()}\n{text}" if text else request.title.strip()
        if not text and not (channel is Channel.VIBER and request.image_url):
            raise _validation_error("empty_message")
        recipients = self.resolve_targets(request.targets)
        sender = (request.sender or self.entry.options.get(CONF_SENDER) or "").strip() or None
        message = OutgoingMessage(
            recipients=recipients,
            text=text,
            sender=sender,
            channel=channel,
            viber=viber,
            send_at=request.send_at,
            client_message_ids=tuple(uuid4().hex for _ in recipients),
            notify_url=self.tracker.notify_url,
            callback_data=self.entry.entry_id if self.tracker.notify_url else None,
        )
        try:
            self.client.validate(message)
        except UnsupportedError as err:  # pragma: no cover - checked above
            raise _validation_error("not_supported", provider=provider, error=err.message) from err
        except InvalidRequestError as err:
            code = err.provider_code
            if code == "sender":
                raise _validation_error("invalid_sender", sender=sender, error=err.message) from err
            if code == "too_long":
                raise _validation_error("message_too_long", error=err.message) from err
            if code == "empty_text":
                raise _validation_error("empty_message") from err
            raise _validation_error("invalid_message", error=err.message) from err
        return message

    async def async_send(self, request: SendRequest) -> list[RecipientResult]:
        """Send a request; raise for failures of the whole request."""
        message = self.build_message(request)
        try:
            results = await self.client.send(message)
        except AuthenticationError as err:
            self.entry.async_start_reauth(self.hass)
            raise _provider_error("auth_failed", account=self.entry.title) from err
        except InsufficientBalanceError as err:
            raise _provider_error("insufficient_balance", account=self.entry.title) from err
        except InvalidRecipientError as err:
            raise _validation_error("invalid_number", number=err.recipient or "?") from err
        except InvalidRequestError as err:
            raise _validation_error("invalid_message", error=err.message) from err
        except RejectedError as err:
            raise _provider_error("rejected", account=self.entry.title, error=err.message) from err
        except TransientError as err:
            raise _provider_error(
                "provider_unavailable", account=self.entry.title, error=err.message
            ) from err
        except ProviderError as err:
            raise _provider_error(
                "provider_error", account=self.entry.title, error=err.message
            ) from err
        self.tracker.track_sent(results)
        if self.coordinator is not None:
            await self.coordinator.async_request_refresh()
        LOGGER.debug(
            "%s: sent %s message to %d recipient(s), %d accepted",
            self.entry.title,
            message.channel,
            len(results),
            sum(r.accepted for r in results),
        )
        return [self._result(r, message.channel) for r in results]

    def _result(self, result: SendResult, channel: Channel) -> RecipientResult:
        error = None if result.accepted else (result.error or result.status.status.value)
        return RecipientResult(
            to=result.recipient,
            status=result.status.status.value,
            message_id=result.message_id,
            segments=result.segments,
            encoding=result.encoding.value,
            channel=channel.value,
            error=error,
            config_entry_id=self.entry.entry_id,
        )


def raise_for_failures(results: list[RecipientResult], *, partial_ok: bool) -> None:
    """Raise when recipients failed.

    Every recipient failed: always raise. Some failed: raise unless the caller
    asked for the per-recipient response (``partial_ok``), which says which.
    """
    failed = [r for r in results if not r.ok]
    if not failed:
        return
    details = ", ".join(f"{r.to} ({r.error})" for r in failed)
    if len(failed) == len(results):
        raise _provider_error("send_failed", failed=details)
    if not partial_ok:
        raise _provider_error(
            "partial_failure",
            sent=len(results) - len(failed),
            total=len(results),
            failed=details,
        )
