"""Legacy notify services: ``notify.<account>``, ``notify.<account>_flash``, ``notify.<account>_viber``.

Why they exist beside the notify entities: ``alert:``, notify groups and
older automations call ``notify.<name>`` services with ``target`` and
``data``; notify entities cannot be named there. They are legacy platform
services, loaded by discovery for each account (``async_load_legacy_services``)
and found by Home Assistant through ``notify.async_get_service``.

Home Assistant offers no way to unload one discovered legacy service, so
unloading an account unregisters its services itself and removes them from
``notify.legacy.NOTIFY_SERVICES`` (else a reload would register them twice).
The YAML configuration ``discovery.async_load_platform`` needs is the one
``async_setup`` received, kept in ``hass.data``.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.notify.const import ATTR_DATA, ATTR_TARGET, ATTR_TITLE
from homeassistant.components.notify.legacy import NOTIFY_SERVICES, BaseNotificationService
from homeassistant.const import CONF_NAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import discovery
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType
from homeassistant.util import slugify

from .account import saved_recipients
from .const import DOMAIN, LOGGER
from .outbox import raise_for_failures
from .providers import Channel
from .runtime import SmsGatewayConfigEntry
from .services import request_from_data, validate_notify_data

# Per account: (channel, service name suffix).
LEGACY_SERVICES = ((Channel.SMS, ""), (Channel.FLASH, "_flash"), (Channel.VIBER, "_viber"))


def async_load_legacy_services(
    hass: HomeAssistant, entry: SmsGatewayConfigEntry, hass_config: ConfigType
) -> None:
    """Offer notify.<account>[_flash|_viber] for alert:, notify groups and old automations."""
    caps = entry.runtime_data.client.capabilities
    account = slugify(entry.title)
    for channel, suffix in LEGACY_SERVICES:
        if (channel is Channel.FLASH and not caps.flash) or (
            channel is Channel.VIBER and not caps.viber
        ):
            continue
        if hass.services.has_service(Platform.NOTIFY, f"{account}{suffix}"):
            LOGGER.warning(
                "notify.%s%s exists already (another account with the same name?);"
                " rename the account %s to get its own notify services",
                account,
                suffix,
                entry.title,
            )
            continue
        hass.async_create_task(
            discovery.async_load_platform(
                hass,
                Platform.NOTIFY,
                DOMAIN,
                {CONF_NAME: f"{account}{suffix}", "entry_id": entry.entry_id, "channel": channel},
                hass_config,
            ),
            eager_start=True,
        )


async def async_unload_legacy_services(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> None:
    """Unregister the account's legacy notify services."""
    registered = hass.data.get(NOTIFY_SERVICES, {}).get(DOMAIN, [])
    for service in entry.runtime_data.legacy_services:
        await service.async_unregister_services()
        if service in registered:
            registered.remove(service)
    entry.runtime_data.legacy_services.clear()


async def async_get_service(
    hass: HomeAssistant,
    config: ConfigType,
    discovery_info: DiscoveryInfoType | None = None,
) -> BaseNotificationService | None:
    """Create a legacy notify service for an account and a channel."""
    if discovery_info is None:
        return None
    entry: SmsGatewayConfigEntry | None = hass.config_entries.async_get_entry(
        discovery_info["entry_id"]
    )
    if entry is None or entry.domain != DOMAIN or not hasattr(entry, "runtime_data"):
        return None
    service = SmsGatewayNotificationService(entry, Channel(discovery_info["channel"]))
    entry.runtime_data.legacy_services.append(service)
    return service


class SmsGatewayNotificationService(BaseNotificationService):
    """``notify.<account>``, ``notify.<account>_flash``, ``notify.<account>_viber``.

    ``target`` takes numbers or saved recipient names; without a target the
    message goes to every saved recipient. ``data`` takes ``sender``,
    ``send_at`` and, for Viber, ``image_url``, ``button_text``,
    ``button_url``, ``validity`` and ``sms_fallback``.
    """

    def __init__(self, entry: SmsGatewayConfigEntry, channel: Channel) -> None:
        """Create the service."""
        self._entry = entry
        self._channel = channel

    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """Send a message through the account's pipeline."""
        outbox = self._entry.runtime_data.outbox
        targets: list[str] = list(kwargs.get(ATTR_TARGET) or [])
        if not targets:
            targets = list(saved_recipients(self._entry).values())
        data = validate_notify_data(kwargs.get(ATTR_DATA))
        data.update(message=message, title=kwargs.get(ATTR_TITLE), channel=self._channel.value)
        request = request_from_data(data, targets)
        results = await outbox.async_send(request)
        raise_for_failures(results, partial_ok=False, account=self._entry.title)
