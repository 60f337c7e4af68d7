"""Answering received SMS: the ``sms_gateway.reply`` action and Assist over SMS.

A reply answers a received message through the account it came in on, from
the number that was texted (voip-communications' two-way SMS requires it;
elsewhere it keeps the conversation on one number), to the sender. The
messages a reply can answer are the latest REPLY_MEMORY of each account since
Home Assistant started (``InboundDispatcher.received``).

Assist over SMS (an account option, off by default) hands each received SMS
to a conversation agent and texts its spoken answer back. Guards, in order:

* only **trusted** messages reach the agent (a trusted sender and, when set,
  the passphrase, which the agent never sees). "Accept any sender" widens the
  device triggers, never this;
* a message that **looks automatic** (a delivery receipt, an auto-reply, a
  sender that is not a phone number, or one of the account's own numbers) is
  ignored, so two machines never answer each other in a loop;
* a **rate limit** per sender: at most ``assist_rate`` messages an hour reach
  the agent; beyond it nothing is answered (or done) until the hour has
  passed. Counted on the monotonic clock;
* each answer is **capped** at ``assist_max_segments`` SMS segments.

Each sender has a ``conversation_id`` of its own (a digest of the account and
the number). Home Assistant keeps a conversation while messages come at most
five minutes apart, so "and the bedroom?" follows "turn on the kitchen
light"; after a longer pause the agent starts afresh. One sender's messages
are answered in order.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
import re
from typing import TYPE_CHECKING

from homeassistant.components import conversation
from homeassistant.core import Context, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.setup import async_setup_component

from .const import (
    CONF_ASSIST,
    CONF_ASSIST_AGENT,
    CONF_ASSIST_MAX_SEGMENTS,
    CONF_ASSIST_RATE,
    CONF_SENDER,
    DEFAULT_ASSIST_AGENT,
    DEFAULT_ASSIST_MAX_SEGMENTS,
    DEFAULT_ASSIST_RATE,
    DOMAIN,
    LOGGER,
)
from .errors import SmsValidationError
from .inbound import ReceivedSms, signal_inbound
from .outbox import SendRequest
from .outbox.message import Clock
from .providers.base import short_digest
from .providers.text import analyze

if TYPE_CHECKING:
    from .runtime import SmsGatewayConfigEntry

# The rate limit's window (seconds).
RATE_WINDOW = 3600.0
# What ends a shortened answer (GSM-7, so it never makes the text UCS-2).
_ELLIPSIS = "..."

# Texts machines send: delivery receipts (the SMPP format, and words) and
# auto-replies. Matched case-insensitively anywhere in the text.
_AUTOMATIC = re.compile(
    r"\bid:\S+\s+sub:\d+\s+dlvrd:"  # SMPP delivery receipt
    r"|\bdelivery (?:report|receipt|notification)\b"
    r"|\bmessage (?:was )?(?:delivered|not delivered|undeliverable)\b"
    r"|\bauto[- ]?(?:matic )?(?:reply|response|responder)\b"
    r"|\bautomated (?:reply|response|message)\b"
    r"|\bout of (?:the )?office\b"
    r"|\bdo not reply\b|\bno[- ]?reply\b"
    r"|αυτόματη απάντηση",
    re.IGNORECASE,
)


def looks_automatic(sms: ReceivedSms, own_numbers: Iterable[str | None]) -> bool:
    """Return whether a message looks sent by a machine (never answer it)."""
    if not sms.sender.startswith("+"):  # E.164 only when it is a phone number
        return True
    own = {str(number).removeprefix("+") for number in own_numbers if number}
    if sms.sender.removeprefix("+") in own:  # written with or without the "+"
        return True
    return _AUTOMATIC.search(sms.text) is not None


def cap_text(text: str, max_segments: int) -> str:
    """Return the text, shortened to fit max_segments SMS segments."""
    text = text.strip()
    if analyze(text).segments <= max_segments:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        middle = (low + high + 1) // 2
        if analyze(text[:middle].rstrip() + _ELLIPSIS).segments <= max_segments:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + _ELLIPSIS


def reply_request(sms: ReceivedSms, text: str) -> SendRequest:
    """Return the request that answers a received message."""
    return SendRequest(targets=(sms.sender,), message=text, sender=sms.recipient)


def find_received(
    hass: HomeAssistant, message_id: str
) -> tuple[SmsGatewayConfigEntry, ReceivedSms]:
    """Return the loaded account and the received message with this id, or raise."""
    entries: list[SmsGatewayConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    for entry in entries:
        if (sms := entry.runtime_data.inbound.received.get(message_id)) is not None:
            return entry, sms
    raise SmsValidationError("received_message_not_found")


class SmsAssistant:
    """Answers an account's trusted SMS with a conversation agent (Assist over SMS)."""

    def __init__(self, hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> None:
        """Read the options; call async_start to follow the account's messages."""
        self.hass = hass
        self.entry = entry
        options = entry.options
        self.agent_id = str(options.get(CONF_ASSIST_AGENT) or DEFAULT_ASSIST_AGENT)
        self.max_segments = int(options.get(CONF_ASSIST_MAX_SEGMENTS, DEFAULT_ASSIST_MAX_SEGMENTS))
        self.rate = int(options.get(CONF_ASSIST_RATE, DEFAULT_ASSIST_RATE))
        self._answered: dict[str, deque[float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._limited: set[str] = set()  # senders told about in the log this window

    @staticmethod
    def enabled(entry: SmsGatewayConfigEntry) -> bool:
        """Return whether the account answers SMS with Assist."""
        return bool(entry.options.get(CONF_ASSIST, False))

    async def async_start(self) -> None:
        """Load the conversation integration and follow the account's messages."""
        if not await async_setup_component(self.hass, conversation.DOMAIN, {}):
            LOGGER.warning(
                "%s: Assist over SMS needs the conversation integration", self.entry.title
            )
            return
        self.entry.async_on_unload(
            async_dispatcher_connect(
                self.hass, signal_inbound(self.entry.entry_id), self._async_received
            )
        )

    @callback
    def _async_received(self, sms: ReceivedSms) -> None:
        if not sms.trusted:
            return  # strangers never reach the agent, and get no answer
        own = (sms.recipient, self.entry.options.get(CONF_SENDER))
        if looks_automatic(sms, own):
            LOGGER.debug(
                "%s: SMS %s looks automatic; not answered", self.entry.title, sms.message_id
            )
            return
        if not sms.text.strip():
            return
        if not self._take_turn(sms.sender):
            return
        self.entry.async_create_task(
            self.hass, self._async_answer(sms), f"{DOMAIN} Assist over SMS"
        )

    def _take_turn(self, sender: str) -> bool:
        """Count a message against the sender's hourly limit; False when over it."""
        now = Clock.mono()
        times = self._answered.setdefault(sender, deque())
        while times and now - times[0] >= RATE_WINDOW:
            times.popleft()
        if len(times) >= self.rate:
            if sender not in self._limited:
                self._limited.add(sender)
                LOGGER.warning(
                    "%s: a sender reached Assist over SMS's limit of %d messages an hour;"
                    " their messages are not answered until the hour has passed",
                    self.entry.title,
                    self.rate,
                )
            return False
        self._limited.discard(sender)
        times.append(now)
        return True

    def conversation_id(self, sender: str) -> str:
        """Return the sender's conversation id (a digest: no number in it)."""
        return f"{DOMAIN}-{short_digest(self.entry.entry_id + sender)}"

    async def _async_answer(self, sms: ReceivedSms) -> None:
        async with self._locks.setdefault(sms.sender, asyncio.Lock()):
            try:
                result = await conversation.async_converse(
                    self.hass,
                    sms.text,
                    self.conversation_id(sms.sender),
                    Context(),
                    agent_id=self.agent_id,
                )
            except (HomeAssistantError, ValueError) as err:
                LOGGER.warning("%s: the conversation agent failed: %s", self.entry.title, err)
                return
            speech = result.response.speech.get("plain", {}).get("speech", "")
            if not (answer := cap_text(str(speech), self.max_segments)):
                return
            try:
                await self.entry.runtime_data.outbox.async_send(reply_request(sms, answer))
            except HomeAssistantError as err:
                LOGGER.warning("%s: the Assist answer was not sent: %s", self.entry.title, err)
