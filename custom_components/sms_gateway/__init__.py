"""The SMS Gateway integration: SMS, flash SMS and Viber through web SMS APIs."""

from __future__ import annotations

from homeassistant.components.notify.legacy import NOTIFY_SERVICES
from homeassistant.const import CONF_NAME, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    discovery,
    issue_registry as ir,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import slugify
from homeassistant.util.hass_dict import HassKey

from .const import CONF_PROVIDER, DOMAIN, LOGGER
from .coordinator import (
    SmsGatewayConfigEntry,
    SmsGatewayCoordinator,
    SmsGatewayData,
    low_balance_issue_id,
)
from .entity import device_info
from .inbound import InboundDispatcher
from .outbox import Outbox
from .providers import AuthenticationError, Channel, ProviderError, create_client
from .reports import DeliveryTracker
from .services import async_setup_services
from .webhook import async_register_webhook, async_unregister_webhook

PLATFORMS: list[Platform] = [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
HASS_CONFIG: HassKey[ConfigType] = HassKey(f"{DOMAIN}_hass_config")

# Legacy notify services per account: (channel, service name suffix).
LEGACY_SERVICES = ((Channel.SMS, ""), (Channel.FLASH, "_flash"), (Channel.VIBER, "_viber"))


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions."""
    hass.data[HASS_CONFIG] = config
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> bool:
    """Set up a provider account."""
    client = create_client(entry.data[CONF_PROVIDER], async_get_clientsession(hass), entry.data)
    coordinator: SmsGatewayCoordinator | None = None
    if client.capabilities.balance:
        coordinator = SmsGatewayCoordinator(hass, entry, client)
        await coordinator.async_config_entry_first_refresh()
    else:
        try:
            await client.validate_credentials()
        except AuthenticationError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"account": entry.title},
            ) from err
        except ProviderError as err:
            raise ConfigEntryNotReady(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": err.message},
            ) from err
    tracker = DeliveryTracker(hass, entry, client)
    inbound = InboundDispatcher(hass, entry, client)
    await inbound.async_load()
    outbox = Outbox(hass, entry, client, tracker, coordinator)
    # The account's device exists before the platforms, whose recipient devices
    # link to it by id.
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **device_info(entry)
    )
    entry.runtime_data = SmsGatewayData(
        client=client,
        coordinator=coordinator,
        tracker=tracker,
        outbox=outbox,
        inbound=inbound,
        device_id=device.id,
    )
    entry.async_on_unload(tracker.async_shutdown)
    entry.async_on_unload(inbound.async_shutdown)
    entry.async_on_unload(outbox.async_shutdown)
    async_register_webhook(hass, entry)
    entry.async_on_unload(lambda: async_unregister_webhook(hass, entry))
    entry.async_on_unload(entry.add_update_listener(_async_update_listener))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    _load_legacy_notify_services(hass, entry)
    inbound.async_start_polling()
    # Messages left waiting before the last stop go out now.
    await outbox.async_load()
    return True


def _load_legacy_notify_services(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> None:
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
                hass.data[HASS_CONFIG],
            ),
            eager_start=True,
        )


async def _async_update_listener(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> None:
    """Reload the account when its options, credentials or recipients change."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> bool:
    """Unload a config entry and remove its legacy notify services."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        registered = hass.data.get(NOTIFY_SERVICES, {}).get(DOMAIN, [])
        for service in entry.runtime_data.legacy_services:
            await service.async_unregister_services()
            if service in registered:
                registered.remove(service)
        entry.runtime_data.legacy_services.clear()
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> None:
    """Forget the account's low-balance repair issue along with the account."""
    ir.async_delete_issue(hass, DOMAIN, low_balance_issue_id(entry))
