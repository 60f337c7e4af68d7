"""Base entities: one device per provider account."""

from __future__ import annotations

from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import CONF_PROVIDER, DOMAIN
from .coordinator import SmsGatewayConfigEntry, SmsGatewayCoordinator

PROVIDER_NAMES = {
    "infobip": "Infobip-compatible SMS API",
    "sms365": "sms365.gr",
    "voip_communications": "voip-communications.net",
}


def device_info(entry: SmsGatewayConfigEntry) -> DeviceInfo:
    """Return the device of a provider account."""
    provider = entry.data[CONF_PROVIDER]
    return DeviceInfo(
        identifiers={(DOMAIN, entry.unique_id or entry.entry_id)},
        name=entry.title,
        manufacturer=PROVIDER_NAMES.get(provider, provider),
        model="SMS API account",
        entry_type=DeviceEntryType.SERVICE,
    )


def unique_id_base(entry: SmsGatewayConfigEntry) -> str:
    """Return the prefix of every unique id of the entry's entities."""
    return entry.unique_id or entry.entry_id


class SmsGatewayEntity(Entity):
    """An entity of a provider account."""

    _attr_has_entity_name = True

    def __init__(self, entry: SmsGatewayConfigEntry, key: str) -> None:
        """Attach the entity to the account's device."""
        self._entry = entry
        self._attr_unique_id = f"{unique_id_base(entry)}_{key}"
        self._attr_device_info = device_info(entry)


class SmsGatewayCoordinatorEntity(CoordinatorEntity[SmsGatewayCoordinator]):
    """An entity fed by the account's polling coordinator."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: SmsGatewayCoordinator, key: str) -> None:
        """Attach the entity to the account's device."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        self._attr_unique_id = f"{unique_id_base(entry)}_{key}"
        self._attr_device_info = device_info(entry)
