"""Handing messages to the account's fallback account.

Only what is provably unsent moves: a message whose answer was lost
(``maybe_sent``) stays with its account, whose idempotency key (Infobip) makes
its retry safe, and a message handed over once never moves again, so two
accounts naming each other cannot loop.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant

from ..const import CONF_FALLBACK_ACCOUNT, DOMAIN
from ..providers import Channel
from ..runtime import SmsGatewayConfigEntry
from .message import QueuedMessage, SendRequest


def fallback_entry(
    hass: HomeAssistant, entry: SmsGatewayConfigEntry
) -> SmsGatewayConfigEntry | None:
    """Return the account's fallback account, if one is set and loaded."""
    entry_id = entry.options.get(CONF_FALLBACK_ACCOUNT)
    if not entry_id or entry_id == entry.entry_id:
        return None
    other: SmsGatewayConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if other is None or other.domain != DOMAIN or other.state is not ConfigEntryState.LOADED:
        return None
    return other


def movable(batch: list[QueuedMessage]) -> list[QueuedMessage]:
    """Return the messages of a batch that may go through another account."""
    return [q for q in batch if q.failover and not q.maybe_sent]


def request_of(batch: list[QueuedMessage]) -> SendRequest:
    """Rebuild the request of stored messages (one group), for another account."""
    first = batch[0]
    viber = first.viber or {}
    return SendRequest(
        targets=tuple(q.recipient for q in batch),
        message=first.text,
        channel=Channel(first.channel),
        image_url=viber.get("image_url"),
        button_text=viber.get("button_text"),
        button_url=viber.get("button_url"),
        validity=viber.get("validity"),
        sms_fallback=bool(viber.get("sms_fallback", True)),
    )
