"""What every part of the integration asks of an account's config entry, answered once.

A leaf module: it imports only Home Assistant, the constants and the provider
clients, so the outbox, the inbound dispatcher, the flows and the platforms can
all use it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState, ConfigSubentry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant
from homeassistant.helpers.event import async_track_time_interval

from .const import (
    CONF_DEFAULT_COUNTRY,
    CONF_NUMBER,
    DOMAIN,
    EVENT_DELIVERY_REPORT,
    SUBENTRY_RECIPIENT,
)
from .errors import SmsValidationError
from .providers import ProviderClient
from .runtime import SmsGatewayConfigEntry


def recipient_subentries(entry: ConfigEntry[Any]) -> list[ConfigSubentry]:
    """Return the account's saved recipients (subentries), in their order."""
    return [s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_RECIPIENT]


def saved_recipients(entry: ConfigEntry[Any]) -> dict[str, str]:
    """Return the saved recipients: name -> E.164 number."""
    return {s.title: s.data[CONF_NUMBER] for s in recipient_subentries(entry)}


def recipient_names(entry: ConfigEntry[Any] | None) -> dict[str, str]:
    """Return the saved recipients' names by E.164 number (for events and the logbook)."""
    if entry is None:
        return {}
    return {number: name for name, number in saved_recipients(entry).items()}


def loaded_entry(hass: HomeAssistant, entry_id: str) -> SmsGatewayConfigEntry:
    """Return a loaded sms_gateway config entry, or raise a translated error."""
    entry: SmsGatewayConfigEntry | None = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise SmsValidationError("entry_not_found", entry_id=entry_id)
    if entry.state is not ConfigEntryState.LOADED:
        raise SmsValidationError("entry_not_loaded", account=entry.title)
    return entry


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
    """Fire ``sms_gateway_delivery_report``: a report came in, or a send was settled.

    ``name`` is the saved recipient's name, when ``to`` is one (the logbook
    shows it instead of the number).
    """
    names = recipient_names(hass.config_entries.async_get_entry(config_entry_id))
    hass.bus.async_fire(
        EVENT_DELIVERY_REPORT,
        {
            "config_entry_id": config_entry_id,
            "message_id": message_id,
            "to": to,
            "name": names.get(to) if to else None,
            "status": status,
            "error": error,
            "permanent": permanent,
        },
    )


class AccountPoller(ABC):
    """One account's part that may pull from the provider now and then.

    What the inbound dispatcher and the delivery tracker share: Home Assistant,
    the config entry, the provider client and the timer of the pull.
    """

    def __init__(
        self, hass: HomeAssistant, entry: ConfigEntry[Any], client: ProviderClient
    ) -> None:
        """Keep Home Assistant, the entry and the client; no timer yet."""
        self.hass = hass
        self.entry = entry
        self.client = client
        self._unsub_poll: CALLBACK_TYPE | None = None

    @abstractmethod
    async def async_poll(self) -> None:
        """Pull from the provider once."""

    async def _async_poll(self, _now: datetime | None = None) -> None:
        await self.async_poll()

    def _start_polling(self, seconds: float, what: str) -> None:
        """Pull every ``seconds`` until stopped (or Home Assistant stops)."""
        self._unsub_poll = async_track_time_interval(
            self.hass,
            self._async_poll,
            timedelta(seconds=seconds),
            name=f"{DOMAIN} {what}",
            cancel_on_shutdown=True,
        )

    def _stop_polling(self) -> None:
        """Stop the pull's timer, if it runs."""
        if self._unsub_poll is not None:
            self._unsub_poll()
            self._unsub_poll = None
