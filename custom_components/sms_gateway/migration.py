"""Config entry migrations: older releases' entries brought up to date, offline.

1.1 to 1.2 (release 0.2.x to 0.3): entity and device ids move from the
entry's unique id to its entry id, the unique id becomes the credentials'
digest, and names that held a credential lose it. Nothing here asks the
provider anything: a migration runs before the network may be up.
"""

from __future__ import annotations

import re

from homeassistant.const import CONF_API_KEY, CONF_USERNAME
from homeassistant.core import HomeAssistant, callback, split_entity_id
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import slugify
from yarl import URL

from .const import CONF_PROVIDER, DOMAIN, LOGGER, PROVIDER_INFOBIP, PROVIDER_VOIP
from .entity import unique_id_base
from .flow_helpers import unique_title
from .providers import ProviderClient, create_client
from .runtime import SmsGatewayConfigEntry


async def async_migrate(hass: HomeAssistant, entry: SmsGatewayConfigEntry) -> bool:
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
