"""The SMS Gateway integration: SMS, flash SMS and Viber through web SMS APIs."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import ConfigType
from homeassistant.util.hass_dict import HassKey

from .assist import SmsAssistant
from .const import CONF_PROVIDER, DOMAIN, LOGGER
from .coordinator import (
    SmsGatewayConfigEntry,
    SmsGatewayCoordinator,
    SmsGatewayData,
    low_balance_issue_id,
)
from .entity import device_info
from .errors import auth_failed
from .inbound import InboundDispatcher
from .legacy_notify import async_load_legacy_services, async_unload_legacy_services
from .migration import async_migrate, credential_issue_id
from .outbox import Outbox
from .outbox.notices import issue_ids as outbox_issue_ids
from .providers import (
    AuthenticationError,
    ProviderClient,
    ProviderError,
    create_client,
)
from .reports import DeliveryTracker
from .services import async_setup_services
from .usage import WINDOWS, AccountUsage, limit_issue_id
from .webhook import async_register_webhook, async_unregister_webhook

PLATFORMS: list[Platform] = [Platform.EVENT, Platform.NOTIFY, Platform.SENSOR]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
HASS_CONFIG: HassKey[ConfigType] = HassKey(f"{DOMAIN}_hass_config")


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's actions."""
    hass.data[HASS_CONFIG] = config
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> bool:
    """Set up a provider account.

    The account loads even while the provider cannot be reached (after a power
    cut Home Assistant often starts before the router): messages sent meanwhile
    wait in the outbox, pushes are received, and the balance is unavailable
    until the provider answers. Only refused credentials stop the setup. A
    setup that fails stops everything it had started.
    """
    client = create_client(entry.data[CONF_PROVIDER], async_get_clientsession(hass), entry.data)
    coordinator: SmsGatewayCoordinator | None = None
    if client.capabilities.balance:
        coordinator = SmsGatewayCoordinator(hass, entry, client)
    tracker = DeliveryTracker(hass, entry, client)
    inbound = InboundDispatcher(hass, entry, client)
    # The ids of the SMS already received are known before anything can be
    # pushed: a message is never dispatched twice.
    await inbound.async_load()
    # What was sent and spent before; the spending limits count from there.
    usage = AccountUsage(hass, entry.entry_id, entry.title, entry.options)
    await usage.async_load()
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
        usage=usage,
        device_id=device.id,
    )
    # Before the provider is asked anything and before anything is started:
    # from now on what it pushes (delivery reports, received SMS) is handled,
    # not lost, even while it cannot be reached from here.
    async_register_webhook(hass, entry)
    stops: list[Callable[[], Coroutine[Any, Any, None] | None]] = [
        lambda: async_unregister_webhook(hass, entry),
        tracker.async_shutdown,
        inbound.async_shutdown,
        outbox.async_shutdown,
        usage.async_shutdown,
    ]
    platforms_forwarded = False
    try:
        await _async_check_account(entry, client, coordinator)
        # Messages left waiting before the last stop go out now (or wait for
        # the provider, like the ones sent while it is unreachable).
        await outbox.async_load()
        platforms_forwarded = True
        await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
        stops.append(entry.add_update_listener(_async_update_listener))
        inbound.async_start_polling()
    except BaseException:
        await _async_undo_setup(hass, entry, stops, unload_platforms=platforms_forwarded)
        raise
    for stop in stops:
        entry.async_on_unload(stop)
    if SmsAssistant.enabled(entry) and client.capabilities.inbound:
        await SmsAssistant(hass, entry).async_start()
    # Last: nothing may fail once the legacy notify services are being loaded.
    async_load_legacy_services(hass, entry, hass.data[HASS_CONFIG])
    return True


async def _async_check_account(
    entry: SmsGatewayConfigEntry,
    client: ProviderClient,
    coordinator: SmsGatewayCoordinator | None,
) -> None:
    """Ask the provider about the account; raise only when it refuses the credentials."""
    if coordinator is not None:
        await coordinator.async_setup_refresh()
        return
    # No balance API (voip-communications): check the credentials alone.
    try:
        await client.validate_credentials()
    except AuthenticationError as err:
        raise auth_failed(entry.title) from err
    except ProviderError as err:
        LOGGER.warning(
            "%s: cannot reach the provider to check the credentials (%s); loading the"
            " account anyway, messages wait until the provider answers",
            entry.title,
            err.message,
        )


async def _async_undo_setup(
    hass: HomeAssistant,
    entry: SmsGatewayConfigEntry,
    stops: list[Callable[[], Coroutine[Any, Any, None] | None]],
    *,
    unload_platforms: bool,
) -> None:
    """Stop what a failed setup had started: platforms, pollers, timers, the webhook."""
    if unload_platforms:
        try:
            await async_unload_entry(hass, entry)
        except Exception:  # noqa: BLE001 - the setup's own error is the one to report
            LOGGER.debug("%s: unloading after a failed setup failed", entry.title, exc_info=True)
    for stop in reversed(stops):
        if (job := stop()) is not None:
            await job
    if (coordinator := entry.runtime_data.coordinator) is not None:
        await coordinator.async_shutdown()


async def _async_update_listener(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> None:
    """Reload the account when its options, credentials or recipients change."""
    await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> bool:
    """Unload a config entry and remove its legacy notify services."""
    unloaded = await hass.config_entries.async_unload_platforms(entry, PLATFORMS)
    if unloaded:
        await async_unload_legacy_services(hass, entry)
    return unloaded


async def async_remove_entry(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> None:
    """Forget everything the account left: its repair issues and its stored files."""
    for issue_id in (
        low_balance_issue_id(entry),
        *outbox_issue_ids(entry.entry_id),
        credential_issue_id(entry.entry_id),
        *(limit_issue_id(entry.entry_id, window) for window in WINDOWS),
    ):
        ir.async_delete_issue(hass, DOMAIN, issue_id)
    # The outbox (outbox/store.py), the inbound seen ids (inbound_seen.py), usage.py.
    for kind in ("outbox", "inbound", "usage"):
        store: Store[Any] = Store(hass, 1, f"{DOMAIN}.{entry.entry_id}.{kind}")
        await store.async_remove()


async def async_migrate_entry(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> bool:
    """Bring a config entry of an older release up to date (see migration.py)."""
    return await async_migrate(hass, entry)
