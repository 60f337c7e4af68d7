"""Building a message: targets to E.164, and the request checked against the provider.

Everything here runs before anything is sent or stored. The number of targets
is checked before any per-target work, and duplicates are removed in linear
time: a request with tens of thousands of targets is refused at once instead
of blocking the event loop.
"""

from __future__ import annotations

from uuid import uuid4

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util

from ..account import default_region, saved_recipients
from ..const import CONF_SENDER
from ..coordinator import SmsGatewayCoordinator
from ..errors import message_error, number_error, validation_error
from ..providers import (
    Channel,
    InvalidRecipientError,
    InvalidRequestError,
    OutgoingMessage,
    ProviderClient,
    UnsupportedError,
    ViberContent,
)
from ..providers.phone import normalize_number
from ..runtime import SmsGatewayConfigEntry
from .message import MAX_TARGETS, SendRequest


class ChannelNotSupportedError(Exception):
    """The account cannot send the requested channel (a fallback might)."""

    def __init__(self, error: ServiceValidationError) -> None:
        """Wrap the error to raise when no fallback can send it either."""
        super().__init__(str(error))
        self.error = error


def resolve_targets(
    hass: HomeAssistant, entry: SmsGatewayConfigEntry, targets: tuple[str, ...]
) -> tuple[str, ...]:
    """Turn saved recipient names and numbers into unique E.164 numbers (in order)."""
    if len(targets) > MAX_TARGETS:
        raise validation_error("too_many_targets", count=len(targets), max=MAX_TARGETS)
    by_name = {name.casefold(): number for name, number in saved_recipients(entry).items()}
    region = default_region(hass, entry)
    numbers: dict[str, None] = {}  # insertion-ordered set: linear dedupe
    for target in targets:
        text = str(target).strip()
        if not text:
            continue
        number = by_name.get(text.casefold())
        if number is None:
            try:
                number = normalize_number(text, region)
            except InvalidRecipientError as err:
                raise number_error(err, text) from err
        numbers[number] = None
    if not numbers:
        raise validation_error("no_target")
    return tuple(numbers)


def default_sender(
    entry: SmsGatewayConfigEntry, coordinator: SmsGatewayCoordinator | None, channel: Channel
) -> str | None:
    """Return the sender of a message that names none."""
    if channel is Channel.VIBER and coordinator is not None and coordinator.data:
        # A Viber message needs a sender id approved by Viber: use the first one.
        for sender in coordinator.data.viber_senders.values():
            if not sender.paused:
                return sender.sender
    return str(entry.options.get(CONF_SENDER) or "").strip() or None


def build_message(
    hass: HomeAssistant,
    entry: SmsGatewayConfigEntry,
    client: ProviderClient,
    coordinator: SmsGatewayCoordinator | None,
    notify_url: str | None,
    request: SendRequest,
) -> OutgoingMessage:
    """Check a request against the provider and build the message to send."""
    caps = client.capabilities
    provider = entry.title
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
            raise ChannelNotSupportedError(
                validation_error("viber_not_supported", provider=provider)
            )
    if channel is Channel.FLASH and not caps.flash:
        raise ChannelNotSupportedError(validation_error("flash_not_supported", provider=provider))
    if request.send_at is not None:
        if not caps.scheduling:
            raise validation_error("scheduling_not_supported", provider=provider)
        if request.send_at <= dt_util.utcnow():
            raise validation_error("send_at_in_past", send_at=request.send_at.isoformat())
    text = request.message.strip()
    if request.title and request.title.strip():
        # A title alone is the whole message, without a trailing line break.
        text = f"{request.title.strip()}\n{text}" if text else request.title.strip()
    if not text and not (channel is Channel.VIBER and request.image_url):
        raise validation_error("empty_message")
    recipients = resolve_targets(hass, entry, request.targets)
    sender = (request.sender or "").strip() or default_sender(entry, coordinator, channel)
    message = OutgoingMessage(
        recipients=recipients,
        text=text,
        sender=sender,
        channel=channel,
        viber=viber,
        send_at=request.send_at,
        client_message_ids=tuple(uuid4().hex for _ in recipients),
        notify_url=notify_url,
        callback_data=entry.entry_id if notify_url else None,
    )
    try:
        client.validate(message)
    except (UnsupportedError, InvalidRequestError) as err:
        raise message_error(err, provider=provider, sender=sender) from err
    return message
