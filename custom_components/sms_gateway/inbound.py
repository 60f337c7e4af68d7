"""Inbound SMS: exactly-once dispatch to the event entity, the bus and device triggers.

Anyone can text a number, so every message is checked against the trusted
senders before it may run an automation through a device trigger:

* the bus event ``sms_gateway_message_received`` fires for every message,
  with ``trusted`` true or false, and the event entity records it;
* device triggers fire only for trusted senders, unless the account's
  options accept any sender.

Messages are recognised by the provider's message id: a provider retry, or
the same message arriving by push and by pull, is dispatched once. The ids
seen are stored (the most recent 2000) before a message is dispatched, so a
restart cannot dispatch it again.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import (
    CONF_ACCEPT_ANY_SENDER,
    CONF_DEFAULT_COUNTRY,
    CONF_INBOUND_INTERVAL,
    CONF_NUMBER,
    CONF_TRUSTED_SENDERS,
    DEFAULT_INBOUND_INTERVAL,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    LOGGER,
    SUBENTRY_RECIPIENT,
)
from .providers import InboundMessage, InvalidRecipientError, ProviderClient, ProviderError
from .providers.phone import normalize_number

STORAGE_VERSION = 1
MAX_SEEN_IDS = 2000


def signal_inbound(entry_id: str) -> str:
    """Return the dispatcher signal device triggers listen to."""
    return f"{DOMAIN}_inbound_{entry_id}"


@dataclass(frozen=True, slots=True)
class ReceivedSms:
    """An inbound SMS as the integration hands it on."""

    config_entry_id: str
    message_id: str
    sender: str  # E.164 when it is a phone number
    recipient: str | None
    text: str
    keyword: str | None  # the provider's keyword, else the first word
    clean_text: str  # the text without the keyword
    received_at: datetime
    trusted: bool
    # Device triggers may fire: trusted, or the account accepts any sender.
    may_trigger: bool

    def event_data(self) -> dict[str, Any]:
        """Return the bus event's data."""
        return {
            "config_entry_id": self.config_entry_id,
            "message_id": self.message_id,
            "sender": self.sender,
            "recipient": self.recipient,
            "text": self.text,
            "keyword": self.keyword,
            "clean_text": self.clean_text,
            "received_at": self.received_at.isoformat(),
            "trusted": self.trusted,
        }


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


class InboundDispatcher:
    """Receives an account's inbound SMS (webhook and pull) and dispatches each once."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], client: ProviderClient
    ) -> None:
        """Create the dispatcher; call async_load before use."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self._store: Store[dict[str, list[str]]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.inbound"
        )
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._lock = asyncio.Lock()
        self._listeners: list[Callable[[ReceivedSms], None]] = []
        self._unsub_poll: CALLBACK_TYPE | None = None
        self.last: ReceivedSms | None = None

    @property
    def region(self) -> str | None:
        """Return the country used for numbers without a country code."""
        return self.entry.options.get(CONF_DEFAULT_COUNTRY) or self.hass.config.country

    def trusted_senders(self) -> set[str]:
        """Return the E.164 numbers allowed to trigger automations."""
        configured = self.entry.options.get(CONF_TRUSTED_SENDERS)
        if configured is None:
            configured = [
                s.data[CONF_NUMBER]
                for s in self.entry.subentries.values()
                if s.subentry_type == SUBENTRY_RECIPIENT
            ]
        return {normalize_sender(str(number), self.region) for number in configured}

    async def async_load(self) -> None:
        """Load the ids of messages already dispatched."""
        data = await self._store.async_load()
        for message_id in (data or {}).get("seen", [])[-MAX_SEEN_IDS:]:
            self._seen[message_id] = None

    @callback
    def async_add_listener(self, listener: Callable[[ReceivedSms], None]) -> CALLBACK_TYPE:
        """Call listener with every new message (the event entity)."""
        self._listeners.append(listener)

        @callback
        def remove() -> None:
            self._listeners.remove(listener)

        return remove

    async def async_dispatch(self, messages: list[InboundMessage]) -> int:
        """Dispatch new messages; return how many were new."""
        new = 0
        async with self._lock:
            # Unseen, and once each: one delivery may repeat a message.
            unseen: dict[str, InboundMessage] = {}
            for m in messages:
                if m.message_id not in self._seen:
                    unseen.setdefault(m.message_id, m)
            fresh = list(unseen.values())
            if not fresh:
                return 0
            for message in fresh:
                self._remember(message.message_id)
            # Recorded before anything is dispatched: a crash now loses no
            # message the provider already handed over, and never repeats one.
            await self._store.async_save({"seen": list(self._seen)})
            for message in fresh:
                self._dispatch(message)
                new += 1
        return new

    def _remember(self, message_id: str) -> None:
        self._seen[message_id] = None
        while len(self._seen) > MAX_SEEN_IDS:
            self._seen.popitem(last=False)

    @callback
    def _dispatch(self, message: InboundMessage) -> None:
        sender = normalize_sender(message.sender, self.region)
        first, rest = split_keyword(message.text)
        keyword = message.keyword or first
        clean_text = message.clean_text if message.keyword else rest
        if clean_text is None:
            clean_text = rest
        trusted = sender in self.trusted_senders()
        accept_any = bool(self.entry.options.get(CONF_ACCEPT_ANY_SENDER, False))
        sms = ReceivedSms(
            config_entry_id=self.entry.entry_id,
            message_id=message.message_id,
            sender=sender,
            recipient=message.recipient,
            text=message.text,
            keyword=keyword,
            clean_text=clean_text,
            received_at=message.received_at or dt_util.utcnow(),
            trusted=trusted,
            may_trigger=trusted or accept_any,
        )
        self.last = sms
        LOGGER.debug(
            "%s: SMS %s received (%s sender)",
            self.entry.title,
            message.message_id,
            "trusted" if trusted else "untrusted",
        )
        self.hass.bus.async_fire(EVENT_MESSAGE_RECEIVED, sms.event_data())
        for listener in list(self._listeners):
            listener(sms)
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
        self._unsub_poll = async_track_time_interval(
            self.hass,
            self._async_poll,
            timedelta(seconds=seconds),
            name=f"{DOMAIN} inbound SMS",
            cancel_on_shutdown=True,
        )

    async def _async_poll(self, _now: datetime | None = None) -> None:
        await self.async_poll()

    async def async_poll(self) -> None:
        """Fetch and dispatch received messages (each is served once by the provider)."""
        try:
            messages = await self.client.fetch_inbound()
        except ProviderError as err:
            LOGGER.debug("%s: pulling received SMS failed: %s", self.entry.title, err)
            return
        await self.async_dispatch(messages)

    @callback
    def async_shutdown(self) -> None:
        """Stop polling."""
        if self._unsub_poll is not None:
            self._unsub_poll()
            self._unsub_poll = None
