"""The logbook's lines for SMS sent, delivered or failed, and received.

Each line is made from the event alone (nothing is looked up, nothing more is
shown than the event carries): "SMS to Alice sent", "SMS to Alice delivered",
"SMS from Alice: HOME". A number that is not a saved recipient is shown
shortened (+3069•••67); a received text is cut at TEXT_LENGTH characters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from homeassistant.core import Event, HomeAssistant, callback

from .const import DOMAIN, EVENT_DELIVERY_REPORT, EVENT_MESSAGE_RECEIVED, EVENT_MESSAGE_SENT

# The logbook's keys (homeassistant.components.logbook.LOGBOOK_ENTRY_*).
NAME = "name"
MESSAGE = "message"
TEXT_LENGTH = 60

# What each delivery status reads like after "SMS to Alice".
STATUS_WORDS = {
    "accepted": "accepted by the provider",
    "scheduled": "scheduled",
    "pending": "on its way",
    "delivered": "delivered",
    "undeliverable": "could not be delivered",
    "expired": "expired before delivery",
    "rejected": "refused by the provider",
    "failed": "failed",
    "unknown": "may or may not have been sent",
}


def who(number: object, name: object) -> str:
    """Return a saved recipient's name, else the number shortened."""
    if name:
        return str(name)
    text = str(number or "unknown number")
    if text.startswith("+") and len(text) > 8:
        return f"{text[:5]}•••{text[-2:]}"
    return text


def shorten(text: str) -> str:
    """Return a text on one line, cut at TEXT_LENGTH characters."""
    line = " ".join(text.split())
    return line if len(line) <= TEXT_LENGTH else line[: TEXT_LENGTH - 1].rstrip() + "…"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, Any]]], None],
) -> None:
    """Describe the integration's events in the logbook."""

    @callback
    def describe_sent(event: Event) -> dict[str, Any]:
        data = event.data
        status = "scheduled" if data.get("status") == "scheduled" else "sent"
        return {NAME: f"SMS to {who(data.get('to'), data.get('name'))}", MESSAGE: status}

    @callback
    def describe_report(event: Event) -> dict[str, Any]:
        data = event.data
        status = str(data.get("status"))
        return {
            NAME: f"SMS to {who(data.get('to'), data.get('name'))}",
            MESSAGE: STATUS_WORDS.get(status, status),
        }

    @callback
    def describe_received(event: Event) -> dict[str, Any]:
        data = event.data
        text = shorten(str(data.get("text") or ""))
        untrusted = "" if data.get("trusted") else " (untrusted sender)"
        return {
            NAME: f"SMS from {who(data.get('sender'), data.get('sender_name'))}:",
            MESSAGE: f"{text}{untrusted}",
        }

    async_describe_event(DOMAIN, EVENT_MESSAGE_SENT, describe_sent)
    async_describe_event(DOMAIN, EVENT_DELIVERY_REPORT, describe_report)
    async_describe_event(DOMAIN, EVENT_MESSAGE_RECEIVED, describe_received)
