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

Messages are recognised by the provider's message id: a provider retry, or
the same message arriving by push and by pull, is dispatched once. The ids
seen are stored (the most recent 2000) before a message is dispatched, so a
restart cannot dispatch it again. A message without provider id or time
(``repeatable``: voip-communications replies may come so) is a duplicate only
within REPEAT_WINDOW: a retry of the same push is dropped, the same text
sent again later is a new message.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
import hmac
import math
import re
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import (
    CONF_ACCEPT_ANY_SENDER,
    CONF_DEFAULT_COUNTRY,
    CONF_INBOUND_INTERVAL,
    CONF_NUMBER,
    CONF_PASSPHRASE,
    CONF_TRUSTED_SENDERS,
    DEFAULT_INBOUND_INTERVAL,
    DOMAIN,
    EVENT_MESSAGE_RECEIVED,
    LOGGER,
    SUBENTRY_RECIPIENT,
)
from .outbox.message import Clock
from .providers import InboundMessage, InvalidRecipientError, ProviderClient, ProviderError
from .providers.phone import normalize_number

STORAGE_VERSION = 1
MAX_SEEN_IDS = 2000
# A repeatable message (no provider id, no time) seen again within this
# window is a provider retry; later, the same text is a new message.
REPEAT_WINDOW = 300.0
# Writes of the seen ids start at least this far apart (seconds): under load
# the messages that arrive meanwhile share the next write (at most 10 writes
# a second at any rate, each message waits at most this long); a message after
# a quiet spell is written at once.
WRITE_INTERVAL = 0.1
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
    recipient: str | None
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


class InboundDispatcher:
    """Receives an account's inbound SMS (webhook and pull) and dispatches each once."""

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], client: ProviderClient
    ) -> None:
        """Create the dispatcher; call async_load before use."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry.entry_id}.inbound"
        )
        self._seen: OrderedDict[str, None] = OrderedDict()
        # Repeatable ids -> monotonic time last seen (within REPEAT_WINDOW).
        self._recent: dict[str, float] = {}
        # Ids being recorded now (not yet seen): a repeat of one is not dispatched twice.
        self._claimed: dict[str, InboundMessage] = {}
        # Group commit: writes wanted / done; the writer task; waiters.
        self._wanted = 0
        self._saved = 0
        self._failures = 0
        self._writer: asyncio.Task[None] | None = None
        self._last_write = -math.inf  # loop time the last write started
        self._written = asyncio.Condition()
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
        data = await self._store.async_load() or {}
        for message_id in data.get("seen", [])[-MAX_SEEN_IDS:]:
            self._seen[message_id] = None
        # Stored as Unix times; a time in the future (clock stepped back) counts as now.
        wall, mono = Clock.wall(), Clock.mono()
        recent: dict[str, Any] = data.get("recent") or {}
        for message_id, when in recent.items():
            if isinstance(when, (int, float)) and wall - when < REPEAT_WINDOW:
                self._recent[str(message_id)] = mono - max(0.0, wall - when)

    @callback
    def async_add_listener(self, listener: Callable[[ReceivedSms], None]) -> CALLBACK_TYPE:
        """Call listener with every new message (the event entity)."""
        self._listeners.append(listener)

        @callback
        def remove() -> None:
            self._listeners.remove(listener)

        return remove

    async def async_dispatch(self, messages: list[InboundMessage]) -> int:
        """Dispatch new messages once each; return how many were new.

        Exactly once, even when the caller is cancelled (Home Assistant cancels
        a webhook handler whose client disconnects): the new ids are written
        to storage, then marked seen, then dispatched, in a task the caller
        cannot cancel. A provider that gave up and retries then finds them
        seen, and nothing was lost. Writes are group-committed: messages that
        arrive while a write is under way, or within WRITE_INTERVAL of its
        start, share the next one.
        """
        fresh: dict[str, InboundMessage] = {}
        for message in messages:
            if message.message_id not in self._claimed and not self._is_seen(message):
                fresh.setdefault(message.message_id, message)
        if not fresh:
            return 0
        self._claimed.update(fresh)
        task = self.hass.async_create_task(
            self._persist_and_dispatch(list(fresh.values())), f"{DOMAIN} inbound SMS"
        )
        return await asyncio.shield(task)

    async def _persist_and_dispatch(self, fresh: list[InboundMessage]) -> int:
        try:
            await self._commit()
        finally:
            for message in fresh:
                self._claimed.pop(message.message_id, None)
        for message in fresh:
            self._remember(message)
        for message in fresh:
            self._dispatch(message)
        return len(fresh)

    def _is_seen(self, message: InboundMessage) -> bool:
        if not message.repeatable:
            return message.message_id in self._seen
        seen_at = self._recent.get(message.message_id)
        return seen_at is not None and Clock.mono() - seen_at < REPEAT_WINDOW

    async def _commit(self) -> None:
        """Return once a write that includes every id claimed so far is done."""
        self._wanted += 1
        wanted = self._wanted
        failures = self._failures
        async with self._written:
            if self._writer is None or self._writer.done():
                self._writer = self.hass.async_create_task(
                    self._write_loop(), f"{DOMAIN} inbound store"
                )
            await self._written.wait_for(
                lambda: self._saved >= wanted or self._failures != failures
            )
            if self._saved < wanted:
                raise HomeAssistantError("the received SMS could not be recorded")

    async def _write_loop(self) -> None:
        """Write the seen ids (and those claimed) until every wanted write is done."""
        while self._saved < self._wanted:
            if (wait := self._last_write + WRITE_INTERVAL - self.hass.loop.time()) > 0:
                await asyncio.sleep(wait)
            target = self._wanted
            self._last_write = self.hass.loop.time()
            try:
                await self._store.async_save(self._data_to_save())
            except Exception:  # noqa: BLE001 - reported to every waiting caller
                LOGGER.exception("%s: recording received SMS failed", self.entry.title)
                async with self._written:
                    self._wanted = (
                        self._saved
                    )  # the waiting callers fail; the next write starts anew
                    self._failures += 1
                    self._written.notify_all()
                return
            async with self._written:
                self._saved = target
                self._written.notify_all()

    def _data_to_save(self) -> dict[str, Any]:
        """Return the seen ids, with the claimed ones: they are seen once this is written."""
        claimed = self._claimed.values()
        ids = [*self._seen, *(m.message_id for m in claimed if not m.repeatable)]
        data: dict[str, Any] = {"seen": list(dict.fromkeys(ids))[-MAX_SEEN_IDS:]}
        wall, mono = Clock.wall(), Clock.mono()
        self._recent = {
            key: when for key, when in self._recent.items() if mono - when < REPEAT_WINDOW
        }
        recent = {key: wall - (mono - when) for key, when in self._recent.items()}
        recent.update((m.message_id, wall) for m in claimed if m.repeatable)
        if recent:
            data["recent"] = recent
        return data

    def _remember(self, message: InboundMessage) -> None:
        if message.repeatable:
            self._recent.pop(message.message_id, None)  # keep the dict in time order
            self._recent[message.message_id] = Clock.mono()
            while len(self._recent) > MAX_SEEN_IDS:
                del self._recent[next(iter(self._recent))]
            return
        self._seen[message.message_id] = None
        while len(self._seen) > MAX_SEEN_IDS:
            self._seen.popitem(last=False)

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
            recipient=message.recipient,
            text=text,
            keyword=keyword,
            clean_text=clean_text,
            received_at=message.received_at or dt_util.utcnow(),
            trusted=sender_ok and phrase_ok,
            may_trigger=phrase_ok and (sender_ok or accept_any),
        )
        self.last = sms
        LOGGER.debug(
            "%s: SMS %s received (%s sender)",
            self.entry.title,
            message.message_id,
            "trusted" if sms.trusted else "untrusted",
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
