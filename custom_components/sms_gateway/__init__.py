"""The SMS Gateway integration: SMS, flash SMS and Viber through web SMS APIs."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant

from .const import CONF_PROVIDER

PLATFORMS: list[Platform] = []


@dataclass
class SmsGatewayData:
    """What a loaded config entry holds at runtime."""

    provider: str


type SmsGatewayConfigEntry = ConfigEntry[SmsGatewayData]


async def async_setup_entry(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> bool:
    """Set up an SMS provider account from a config entry."""
    entry.runtime_data = SmsGatewayData(provider=entry.data[CONF_PROVIDER])
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
