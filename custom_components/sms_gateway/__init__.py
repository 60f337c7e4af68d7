"""The SMS Gateway integration: SMS, flash SMS and Viber through web SMS APIs."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
import re
from typing import Any

from homeassistant.components.notify.legacy import NOTIFY_SERVICES
from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_USERNAME, Platform
from homeassistant.core import HomeAssistant, callback, split_entity_id
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    discovery,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.storage import Store
from homeassistant.helpers.typing import ConfigType
from homeassistant.util import slugify
from homeassistant.util.hass_dict import HassKey
from yarl import URL

from .config_flow import unique_title
from .const import CONF_PROVIDER, DOMAIN, LOGGER, PROVIDER_INFOBIP, PROVIDER_VOIP
from .coordinator import (
    SmsGatewayConfigEntry,
    SmsGatewayCoordinator,
    SmsGatewayData,
    low_balance_issue_id,
)
from .entity import device_info, unique_id_base
from .inbound import InboundDispatcher
from .outbox import Outbox
from .outbox.notices import issue_ids as outbox_issue_ids
from .providers import (
    AuthenticationError,
    Channel,
    ProviderClient,
    ProviderError,
    create_client,
)
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
    # Before the provider is asked anything and before anything is started:
    # from now on what it pushes (delivery reports, received SMS) is handled,
    # not lost, even while it cannot be reached from here.
    async_register_webhook(hass, entry)
    stops: list[Callable[[], Coroutine[Any, Any, None] | None]] = [
        lambda: async_unregister_webhook(hass, entry),
        tracker.async_shutdown,
        inbound.async_shutdown,
        outbox.async_shutdown,
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
    # Last: nothing may fail once the legacy notify services are being loaded.
    _load_legacy_notify_services(hass, entry)
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
        raise ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="auth_failed",
            translation_placeholders={"account": entry.title},
        ) from err
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
    """Forget everything the account left: its repair issues and its stored files."""
    for issue_id in (
        low_balance_issue_id(entry),
        *outbox_issue_ids(entry.entry_id),
        credential_issue_id(entry.entry_id),
    ):
        ir.async_delete_issue(hass, DOMAIN, issue_id)
    # The outbox (outbox/store.py) and the inbound seen ids (inbound.py).
    for kind in ("outbox", "inbound"):
        store: Store[Any] = Store(hass, 1, f"{DOMAIN}.{entry.entry_id}.{kind}")
        await store.async_remove()


async def async_migrate_entry(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> bool:
    """Bring a config entry of an older release up to date; asks the provider nothing.

    1.1 to 1.2: unique ids and device identifiers began with the entry's unique
    id, which held the voip-communications API key (Infobip: the username) and
    changed with every new sms365 key. They now begin with the entry's id
    (``entity.unique_id_base``), keeping entity ids and device ids, so that
    automations, dashboards and device triggers keep working; the unique id
    becomes the account id computed from the stored credentials (a digest).
    Titles (and the names made of them) holding a credential are renamed
    (``_async_remove_credential_from_names``).
    """
    if entry.version > 1:
        return False  # written by a newer release: no downgrade
    if entry.minor_version < 2:
        client = create_client(entry.data[CONF_PROVIDER], async_get_clientsession(hass), entry.data)
        account_id = client.account_id()
        if (old := entry.unique_id or entry.entry_id) != (new := unique_id_base(entry)):
            _async_rebase_registries(hass, entry.entry_id, old, new, via=account_id)
        _async_remove_credential_from_names(hass, entry, client)
        other = hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, account_id)
        if other is not None and other.entry_id != entry.entry_id:
            # No title: those of older releases could hold a credential.
            LOGGER.warning(
                "Config entry %s is the same %s account as config entry %s: it keeps its"
                " former unique id; remove one of the two",
                entry.entry_id,
                entry.data[CONF_PROVIDER],
                other.entry_id,
            )
            hass.config_entries.async_update_entry(entry, minor_version=2)
        else:
            hass.config_entries.async_update_entry(entry, unique_id=account_id, minor_version=2)
    return True


@callback
def _async_rebase_registries(
    hass: HomeAssistant, entry_id: str, old: str, new: str, *, via: str
) -> None:
    """Replace the prefix ``old`` of the entry's unique ids and device identifiers with ``new``.

    The entity registry keeps an entity's former unique id (``previous_unique_id``,
    for HomeKit): an old id holding a credential first becomes the ``via`` form
    (the account id), so that no credential stays behind there. Removed entities
    with an old id are forgotten, as no entity gets that id again; removed
    devices are the device registry's own (it drops those of a removed recipient
    after 30 days). An id already taken in the new form is left alone.
    """

    def rebase(value: str, base: str = new) -> str:
        if value == old or value.startswith(f"{old}_"):
            return base + value.removeprefix(old)
        return value

    ent_reg = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(ent_reg, entry_id):
        unique_id = rebase(entity.unique_id)
        if unique_id == entity.unique_id or ent_reg.async_get_entity_id(
            entity.domain, entity.platform, unique_id
        ):
            continue
        if via != old:
            ent_reg.async_update_entity(
                entity.entity_id, new_unique_id=rebase(entity.unique_id, via)
            )
        ent_reg.async_update_entity(entity.entity_id, new_unique_id=unique_id)
    for key in [k for k in ent_reg.deleted_entities if k[1] == DOMAIN and rebase(k[2]) != k[2]]:
        del ent_reg.deleted_entities[key]
        ent_reg.async_schedule_save()
    dev_reg = dr.async_get(hass)
    for device in dr.async_entries_for_config_entry(dev_reg, entry_id):
        identifiers = {(d, rebase(v) if d == DOMAIN else v) for d, v in device.identifiers}
        if identifiers != device.identifiers and not any(
            dev_reg.async_get_device_by_identifier(i, entry_id)
            for i in identifiers - device.identifiers
        ):
            dev_reg.async_update_device(device.id, new_identifiers=identifiers)


def credential_issue_id(entry_id: str) -> str:
    """Return the id of the notice that an account's names lost its credential."""
    return f"credential_removed_from_names_{entry_id}"


@callback
def _async_remove_credential_from_names(
    hass: HomeAssistant, entry: SmsGatewayConfigEntry, client: ProviderClient
) -> None:
    """Take the credential out of the account's title, device name and entity ids.

    Releases up to 0.2.0 titled an account "voip-communications.net (<API key>)"
    or "Infobip (<username> @ <host>)"; its device name, entity ids and legacy
    notify services were made of that title. The API key is a random string: it
    is taken out wherever it appears (ignoring case, or as a slug). A username
    is a name people also use for other things ("demo", the company's name): it
    is taken out where those releases put it, "<username> @" in the title and
    the slug of their title in entity ids, and a title the user gave that
    merely holds the same word stays.

    A title holding the credential becomes the one a new install gets, numbered
    like the config flow's when another account has it; the account device's
    name follows unless the user named the device. Entity ids lose the
    credential (the old title's slug becomes the new title's, or the provider's
    name when the user's title stays); a taken id gets a number. The legacy
    notify services follow the title by themselves. A repair notice says what
    changed; neither it nor the log names the credential, old title or old ids.
    """
    provider = entry.data[CONF_PROVIDER]
    fresh = _new_install_title(client)
    if provider == PROVIDER_VOIP:
        secret = telltale = str(entry.data.get(CONF_API_KEY) or "")
        made = f"{fresh} ({secret})"
    elif provider == PROVIDER_INFOBIP:
        username = str(entry.data.get(CONF_USERNAME) or "")
        secret, telltale = "", f"{username} @"
        made = f"Infobip ({username} @ {_infobip_host(client)})"
    else:
        return  # sms365's titles held a fragment of a digest, no credential
    if not slugify(telltale):
        return
    old_title = title = entry.title
    old_names = [slugify(made)]
    if (
        telltale.casefold() in old_title.casefold()
        or _has_part(slugify(old_title), slugify(made))
        or _has_part(slugify(old_title), slugify(secret))
    ):
        title = unique_title(
            fresh,
            (
                e.title
                for e in hass.config_entries.async_entries(DOMAIN)
                if e.entry_id != entry.entry_id
            ),
        )
        hass.config_entries.async_update_entry(entry, title=title)
        old_names.append(slugify(old_title))
        dev_reg = dr.async_get(hass)
        for device in dr.async_entries_for_config_entry(dev_reg, entry.entry_id):
            if (
                device.config_subentry_id is None
                and device.name == old_title
                and device.name_by_user is None
            ):
                dev_reg.async_update_device(device.id, name=title)
    base = slugify(title if title != old_title else fresh)
    renamed = _async_rename_entity_ids(hass, entry.entry_id, old_names, base, slugify(secret))
    if title == old_title and not renamed:
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        credential_issue_id(entry.entry_id),
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key="credential_removed_from_names",
        translation_placeholders={
            "title": title,
            "count": str(renamed),
            "service": slugify(title),
        },
    )
    LOGGER.info(
        "Config entry %s: the account's names held its credential; the account is now"
        " named %s and %d entity id(s) changed (see the repair notice)",
        entry.entry_id,
        title,
        renamed,
    )


def _new_install_title(client: ProviderClient) -> str:
    """Return the title ``validate_credentials`` gives a new install, without a request."""
    if client.provider == PROVIDER_INFOBIP:
        return f"Infobip ({_infobip_host(client)})"
    return "voip-communications.net"


def _infobip_host(client: ProviderClient) -> str:
    """Return the API host as Infobip titles name it (``InfobipClient._host``)."""
    return (URL(client.base_url).host or client.base_url).lower()


def _has_part(slug: str, part: str) -> bool:
    """Return whether ``part`` is one or more whole ``_``-separated parts of ``slug``."""
    return bool(part) and f"_{part}_" in f"_{slug}_"


def _replace_part(slug: str, part: str, by: str) -> str:
    """Replace ``part`` wherever it is whole ``_``-separated parts of ``slug``."""
    if not _has_part(slug, part):
        return slug
    replaced = re.sub(rf"(?<![^_]){re.escape(part)}(?![^_])", by, slug)
    return re.sub("_+", "_", replaced).strip("_")


@callback
def _async_rename_entity_ids(
    hass: HomeAssistant, entry_id: str, old_names: list[str], base: str, secret: str
) -> int:
    """Rename the entry's entity ids holding an old name or the secret; return how many.

    An old name (a slug) becomes ``base``; the secret's parts are dropped.
    """
    ent_reg = er.async_get(hass)
    renamed = 0
    for entity in er.async_entries_for_config_entry(ent_reg, entry_id):
        domain, object_id = split_entity_id(entity.entity_id)
        wanted = object_id
        for name in old_names:
            wanted = _replace_part(wanted, name, base)
        wanted = _replace_part(wanted, secret, "") or base
        if wanted == object_id:
            continue
        new_entity_id = ent_reg.async_get_available_entity_id(
            domain, wanted, current_entity_id=entity.entity_id
        )
        ent_reg.async_update_entity(entity.entity_id, new_entity_id=new_entity_id)
        renamed += 1
    return renamed
