"""Inbound SMS: exactly-once dispatch to the event entity, the bus and device triggers.

Anyone can text a number, so every message is checked before it may run an
automation through a device trigger:

* the bus event ``sms_gateway_message_received`` fires for every message,
  with ``trusted`` true or false, and the event entity records it;
* ``trusted`` means: the sender is one of the trusted senders and, when the
  account has a passphrase, the text starts with it. The passphrase is taken
  off the text the automation sees (and off what history records) whoever
  sent it;
* device triggers fire only for trusted messages, unless the account's
  options accept any sender (the passphrase, if set, is still required).

A sender number proves little: commercial SMS APIs let anyone set one. The
passphrase is what a stranger does not know (README, "Trusted senders").

Each message is dispatched once, across restarts and cancelled requests
(``inbound_seen.SeenMessages``).

Push is preferred to pull: the provider serves each message once to whoever
pulls first, account-wide, so pulling takes messages from any other system
on the account. Once a message has been pushed, pulling at the default
interval pauses for PUSH_PAUSES_PULL (the forward URL works); it resumes if
pushes stop coming. An interval the user set is kept.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
import hmac
import re
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.util import dt as dt_util

from .account import AccountPoller, default_region, recipient_names, saved_recipients
from .const import (
    CONF_ACCEPT_ANY_SENDER,
    CONF_INBOUND_INTERVAL,
    CONF_PASSPHRASE,
    CONF_TRUSTED_SENDERS,
    DEFAULT_INBOUND_INTERVAL,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    LOGGER,
)
from .inbound_seen import SeenMessages
from .outbox.message import Clock
from .providers import InboundMessage, InvalidRecipientError, ProviderClient, ProviderError
from .providers.phone import normalize_number

# After a pushed message, the inbox is not pulled for this long (seconds).
PUSH_PAUSES_PULL = 24 * 3600.0
# The received messages a reply can answer (by message id), per account.
REPLY_MEMORY = 500
# What may separate the passphrase from the rest: "tulip HOME", "tulip: HOME".
_AFTER_PASSPHRASE = re.compile(r"[\s:;,.\-]+")


def signal_inbound(entry_id: str) -> str:
    """Return the dispatcher signal device triggers listen to."""
    return f"{DOMAIN}_inbound_{entry_id}"


@dataclass(frozen=True, slots=True)
class ReceivedSms:
    """An inbound SMS as the integration hands it on."""

    config_entry_id: str
    message_id: str
    sender: str  # E.164 when it is a phone number
    sender_name: str | None  # the saved recipient's name, when the sender is one
    recipient: str | None  # the number that was texted, when the provider says
    text: str
    keyword: str | None  # the provider's keyword, else the first word
    clean_text: str  # the text without the keyword
    received_at: datetime
    trusted: bool
    # Device triggers may fire: trusted, or the account accepts any sender
    # (and the passphrase, if one is set, was given).
    may_trigger: bool

    def event_data(self) -> dict[str, Any]:
        """Return the bus event's data."""
        return {
            "config_entry_id": self.config_entry_id,
            "message_id": self.message_id,
            "sender": self.sender,
            "sender_name": self.sender_name,
            "recipient": self.recipient,
            "text": self.text,
            "keyword": self.keyword,
            "clean_text": self.clean_text,
            "received_at": self.received_at.isoformat(),
            "trusted": self.trusted,
        }


def strip_passphrase(text: str, passphrase: str) -> tuple[bool, str]:
    """Return (whether text starts with the passphrase, text without it).

    Letter case is ignored (phones capitalise the first word); the passphrase
    must be a word of its own (followed by a space, punctuation or nothing).
    """
    body = text.lstrip()
    head, tail = body[: len(passphrase)], body[len(passphrase) :]
    if not hmac.compare_digest(head.casefold().encode(), passphrase.casefold().encode()):
        return False, text
    if not tail:
        return True, ""
    if (separator := _AFTER_PASSPHRASE.match(tail)) is None:
        return False, text
    return True, tail[separator.end() :]


def split_keyword(text: str) -> tuple[str | None, str]:
    """Return (first word, rest) of a text."""
    first, _, rest = text.strip().partition(" ")
    return (first or None), rest.strip()


def normalize_sender(sender: str, region: str | None) -> str:
    """Return a sender in E.164 when it is a phone number, else as given."""
    try:
        return normalize_number(sender if not sender.isdigit() else "+" + sender, region)
    except InvalidRecipientError:
        try:
            return normalize_number(sender, region)
        except InvalidRecipientError:
            return sender.strip()


class InboundDispatcher(AccountPoller):
    """Receives an account's inbound SMS (webhook and pull) and dispatches each once."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], client: ProviderClient
    ) -> None:
        """Create the dispatcher; call async_load before use."""
        super().__init__(hass, entry, client)
        self.seen = SeenMessages(hass, entry.entry_id, entry.title)
        self.last: ReceivedSms | None = None
        # The latest messages by id, for sms_gateway.reply (since the last start).
        self.received: OrderedDict[str, ReceivedSms] = OrderedDict()

    @property
    def region(self) -> str | None:
        """Return the country used for numbers without a country code."""
        return default_region(self.hass, self.entry)

    def trusted_senders(self) -> set[str]:
        """Return the E.164 numbers allowed to trigger automations."""
        configured = self.entry.options.get(CONF_TRUSTED_SENDERS)
        if configured is None:
            configured = list(saved_recipients(self.entry).values())
        return {normalize_sender(str(number), self.region) for number in configured}

    async def async_load(self) -> None:
        """Load the ids of messages already dispatched."""
        await self.seen.async_load()

    async def async_dispatch(self, messages: list[InboundMessage], *, pushed: bool = False) -> int:
        """Dispatch new messages once each; return how many were new.

        ``pushed``: they came through the webhook (which pauses pulling).
        Raises HomeAssistantError when they could not be recorded (nothing
        was dispatched; the provider should retry).
        """
        if pushed and messages:
            self.seen.last_push = Clock.wall()
        return await self.seen.async_record(messages, self._dispatch_all)

    @callback
    def _dispatch_all(self, messages: list[InboundMessage]) -> None:
        for message in messages:
            self._dispatch(message)

    @callback
    def _dispatch(self, message: InboundMessage) -> None:
        sender = normalize_sender(message.sender, self.region)
        text, keyword, clean_text = message.text, message.keyword, message.clean_text
        phrase_ok = True
        if passphrase := self.entry.options.get(CONF_PASSPHRASE):
            phrase_ok, text = strip_passphrase(text, str(passphrase))
            if phrase_ok:  # the provider's keyword was the passphrase: read the rest anew
                keyword = clean_text = None
        first, rest = split_keyword(text)
        if not keyword:
            keyword, clean_text = first, rest
        elif clean_text is None:
            clean_text = rest
        sender_ok = sender in self.trusted_senders()
        accept_any = bool(self.entry.options.get(CONF_ACCEPT_ANY_SENDER, False))
        message_id = message.message_id
        if message.repeatable:  # one id per arrival; a retry within the window never gets here
            message_id = f"{message_id}.{int(Clock.wall())}"
        sms = ReceivedSms(
            config_entry_id=self.entry.entry_id,
            message_id=message_id,
            sender=sender,
            sender_name=recipient_names(self.entry).get(sender),
            recipient=message.recipient,
            text=text,
            keyword=keyword,
            clean_text=clean_text,
            received_at=message.received_at or dt_util.utcnow(),
            trusted=sender_ok and phrase_ok,
            may_trigger=phrase_ok and (sender_ok or accept_any),
        )
        self.last = sms
        self.received[sms.message_id] = sms
        if len(self.received) > REPLY_MEMORY:
            self.received.popitem(last=False)
        LOGGER.debug(
            "%s: SMS %s received (%s sender)",
            self.entry.title,
            message.message_id,
            "trusted" if sms.trusted else "untrusted",
        )
        self.hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, sms.event_data())
        # The event entity and the device triggers.
        async_dispatcher_send(self.hass, signal_inbound(self.entry.entry_id), sms)

    # -- pull mode --------------------------------------------------------------

    @callback
    def async_start_polling(self) -> None:
        """Pull the provider's inbox at the configured interval (0 = never)."""
        if not self.client.capabilities.inbound_pull:
            return
        seconds = float(self.entry.options.get(CONF_INBOUND_INTERVAL, DEFAULT_INBOUND_INTERVAL))
        if seconds <= 0:
            return
        self._start_polling(seconds, "inbound SMS")

    def pull_paused(self) -> bool:
        """Return whether pushes arrive, so that the inbox is left alone.

        Only at the default interval: a polling interval the user set is
        their choice, and is kept.
        """
        interval = self.entry.options.get(CONF_INBOUND_INTERVAL, DEFAULT_INBOUND_INTERVAL)
        if (last_push := self.seen.last_push) is None or interval != DEFAULT_INBOUND_INTERVAL:
            return False
        # A clock stepped back since (negative age) does not stretch the pause.
        return 0 <= Clock.wall() - last_push < PUSH_PAUSES_PULL

    async def async_poll(self) -> None:
        """Fetch and dispatch received messages (each is served once by the provider)."""
        if self.pull_paused():
            return
        try:
            messages = await self.client.fetch_inbound()
        except ProviderError as err:
            LOGGER.debug("%s: pulling received SMS failed: %s", self.entry.title, err)
            return
        await self.async_dispatch(messages)

    @callback
    def async_shutdown(self) -> None:
        """Stop polling."""
        self._stop_polling()
