"""What every part of the integration asks of an account's config entry, answered once.

A leaf module: it imports only Home Assistant and the constants, so the
outbox, the inbound dispatcher, the flows and the platforms can all use it.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry
from homeassistant.core import HomeAssistant

from .const import CONF_DEFAULT_COUNTRY, CONF_NUMBER, EVENT_DELIVERY_REPORT, SUBENTRY_RECIPIENT


def recipient_subentries(entry: ConfigEntry[Any]) -> list[ConfigSubentry]:
    """Return the account's saved recipients (subentries), in their order."""
    return [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_RECIPIENT]


def saved_recipients(entry: ConfigEntry[Any]) -> dict[str, str]:
    """Return the saved recipients: name -> E.164 number."""
    return {s.title: s.data[CONF_NUMBER] for s in recipient_subentries(entry)}


def default_region(hass: HomeAssistant, entry: ConfigEntry[Any]) -> str | None:
    """Return the country of numbers written without a country code.

    The account's option, else the country of Home Assistant's configuration.
    """
    region: str | None = entry.options.get(CONF_DEFAULT_COUNTRY) or hass.config.country
    return region


def fire_delivery_report(
    hass: HomeAssistant,
    config_entry_id: str,
    *,
    message_id: str | None,
    to: str | None,
    status: str,
    error: str | None,
    permanent: bool,
) -> None:
    """Fire ``sms_gateway_delivery_report``: a report came in, or a send was settled."""
    hass.bus.async_fire(
        EVENT_DELIVERY_REPORT,
        {
            "config_entry_id": config_entry_id,
            "message_id": message_id,
            "to": to,
            "status": status,
            "error": error,
            "permanent": permanent,
        },
    )
