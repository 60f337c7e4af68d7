"""Base entities: one device per provider account, one per saved recipient.

The account's device holds its sensors and its event entity. Each recipient
subentry has a device of its own (as core's ntfy gives each topic one), linked
to the account's device with ``via_device_id``: since Home Assistant 2026.8 a
device belongs to one config entry and at most one subentry, so a recipient's
entity must not sit on the account's device.

Unique ids and device identifiers start with the config entry's id, which no
reauth or reconfigure changes: the entry's unique id is the provider account's
id, and for sms365 that is a digest of the API key, new with every new key.
Config entries older than version 1.2 used the entry's unique id instead;
``async_migrate_entry`` moves their registry entries to the entry's id.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigSubentry
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import CONF_PROVIDER, DOMAIN
from .coordinator import SmsGatewayConfigEntry, SmsGatewayCoordinator
from .providers import display_name


def device_info(entry: SmsGatewayConfigEntry) -> DeviceInfo:
    """Return the device of a provider account."""
    provider = entry.data[CONF_PROVIDER]
    return DeviceInfo(
        identifiers={(DOMAIN, unique_id_base(entry))},
        name=entry.title,
        manufacturer=display_name(provider),
        model="SMS API account",
        entry_type=DeviceEntryType.SERVICE,
    )


def recipient_device_info(
    entry: SmsGatewayConfigEntry, subentry: ConfigSubentry, account_device_id: str
) -> DeviceInfo:
    """Return the device of a saved recipient, reached through the account."""
    provider = entry.data[CONF_PROVIDER]
    return DeviceInfo(
        identifiers={(DOMAIN, f"{unique_id_base(entry)}_{subentry.subentry_id}")},
        name=subentry.title,
        manufacturer=display_name(provider),
        model="SMS recipient",
        entry_type=DeviceEntryType.SERVICE,
        via_device_id=account_device_id,
    )


def unique_id_base(entry: SmsGatewayConfigEntry) -> str:
    """Return the prefix of the unique ids and device identifiers of the entry.

    The config entry's id: stable for the life of the entry, whatever happens
    to the account's credentials, and never a credential itself.
    """
    return entry.entry_id


class SmsGatewayEntity(Entity):
    """An entity of a provider account; pushed to, never polled."""

    _attr_has_entity_name = True
    _attr_should_poll = False

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
