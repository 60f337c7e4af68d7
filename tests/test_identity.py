"""Identity that survives a key change, migration of older entries, titles a person reads.

Entity unique ids and device identifiers start with the config entry's id: a
new sms365 API key (a new unique id) keeps every entity, device and automation.
Entries of version 1.1 (ids from the unique id, which held the voip API key or
the Infobip username) are migrated without a request. Two accounts of one
provider get titles, entity ids and notify services of their own.
"""

from collections.abc import Callable
import hashlib
import json
import logging
from typing import Any

from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_URL
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_get_device_automations,
    async_mock_service,
    flush_store,
)

from custom_components.sms_gateway import async_migrate_entry
from custom_components.sms_gateway.const import DOMAIN
from simulator.demo import INFOBIP_USERNAME, SMS365_API_KEY, VOIP_API_KEY
from tests.conftest import ALICE, RunningSimulator, provider_data, recipient_subentry
from tests.wire import add_automation, receive, sms, state_of


def account_digest(value: str) -> str:
    """Return the digest account ids are made of (providers/base.py)."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


# What each provider's entry holds, per entity platform: the keys after the base.
ACCOUNT_KEYS: dict[str, dict[str, list[str]]] = {
    "infobip": {"sensor": ["balance", "last_delivery_status"], "event": ["sms_received"]},
    "sms365": {"sensor": ["balance", "last_delivery_status"]},
    "voip_communications": {"sensor": ["last_delivery_status"], "event": ["sms_received"]},
}
# Accounts of an older install, with credentials no other test uses: the
# registries are searched for them.
LEGACY_SECRET = {
    "infobip": "legacy-operator-4711",  # the username
    "sms365": "legacy-sms365-key-4711",
    "voip_communications": "legacy-voip-key-4711",
}


# Entities a release after 1.2 added (new, not migrated): the usage sensors.
ADDED_LATER = (
    *(f"_{what}_{when}" for what in ("messages", "segments") for when in ("today", "this_month")),
    "_cost_this_month",
)


def registry_entities(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, er.RegistryEntry]:
    """Return the entry's entities by entity id (those of 1.2 and before)."""
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    return {
        entity.entity_id: entity
        for entity in entities
        if not entity.unique_id.endswith(ADDED_LATER)
    }


def account_device(hass: HomeAssistant, entry: MockConfigEntry) -> dr.DeviceEntry:
    """Return the one device of the account itself (not a recipient's)."""
    devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    [device] = [d for d in devices if d.config_subentry_id is None]
    return device


async def stored_registries(hass: HomeAssistant, hass_storage: dict[str, Any]) -> str:
    """Write the entity and device registries now; return what is stored, as JSON."""
    await flush_store(er.async_get(hass)._store)
    await flush_store(dr.async_get(hass)._store)
    return json.dumps([hass_storage["core.entity_registry"], hass_storage["core.device_registry"]])


# -- sms365: a new API key is a new unique id, not new entities -----------------------


async def add_value_automation(
    hass: HomeAssistant, device_id: str, entity_registry_id: str
) -> list[ServiceCall]:
    """Add an automation on the device trigger "balance below 50" of a sensor."""
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, device_id)
    [trigger] = [t for t in triggers if t.get("entity_id") == entity_registry_id]
    calls = async_mock_service(hass, "test", "automation")
    trigger = {k: v for k, v in trigger.items() if k != "metadata"}
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "triggers": [{**trigger, "below": 50}],
                "actions": [{"action": "test.automation"}],
            }
        },
    )
    await hass.async_block_till_done()
    return calls


@pytest.mark.parametrize("source", ["reauth", "reconfigure"])
async def test_sms365_new_key_keeps_entities_devices_and_automations(
    hass: HomeAssistant, simulator: RunningSimulator, source: str
) -> None:
    """After a key reset, the same entities on the same devices; a device trigger fires."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        minor_version=2,
        title="sms365.gr",
        unique_id=f"sms365:{account_digest(SMS365_API_KEY)}",
        data={**provider_data("sms365", simulator.url), "webhook_id": "hook-sms365"},
        options={"default_country": "GR"},
        subentries_data=[recipient_subentry("Alice", ALICE)],
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    before = registry_entities(hass, entry)
    assert "sensor.sms365_gr_balance" in before
    devices = {d.id for d in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)}
    assert len(devices) == 2  # the account's and Alice's
    device = account_device(hass, entry)
    calls = await add_value_automation(hass, device.id, before["sensor.sms365_gr_balance"].id)

    simulator.state.accounts["sms365-demo"].api_key = "reset-key"
    if source == "reauth":
        result = await entry.start_reauth_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: "reset-key"}
        )
    else:
        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: "reset-key", CONF_URL: f"{simulator.url}/api"}
        )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == f"{source}_successful"
    await hass.async_block_till_done()  # the update listener reloads the entry

    assert entry.state is ConfigEntryState.LOADED
    assert entry.unique_id == f"sms365:{account_digest('reset-key')}"
    after = registry_entities(hass, entry)
    assert after.keys() == before.keys()  # no "_2", no orphan
    assert {e.unique_id for e in after.values()} == {e.unique_id for e in before.values()}
    assert all(e.unique_id.startswith(f"{entry.entry_id}_") for e in after.values())
    assert {
        d.id for d in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    } == devices
    assert account_device(hass, entry).id == device.id
    assert {e.device_id for e in after.values() if e.config_subentry_id is None} == {device.id}

    # The balance falls under 50: the automation made before the new key fires.
    simulator.state.accounts["sms365-demo"].balance = 40.0
    coordinator = entry.runtime_data.coordinator
    assert coordinator is not None
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    state = state_of(hass, "sensor.sms365_gr_balance")
    assert float(state.state) == 40.0
    assert len(calls) == 1


# -- migration of entries of version 1.1 ------------------------------------------------


def legacy_entry(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str
) -> tuple[MockConfigEntry, str]:
    """Add a 1.1 entry of an account the simulator knows; return it and its old unique id."""
    secret = LEGACY_SECRET[provider]
    data = provider_data(provider, simulator.url)
    if provider == "infobip":
        simulator.state.add_account("infobip", id="legacy", username=secret, password="pw-4711")
        data |= {"username": secret, "password": "pw-4711"}
        old_unique_id = f"infobip:127.0.0.1:{secret}"
    elif provider == "sms365":
        simulator.state.add_account("sms365", id="legacy", api_key=secret)
        data |= {"api_key": secret}
        old_unique_id = f"sms365:{account_digest(secret)}"
    else:
        simulator.state.add_account("voip", id="legacy", api_key=secret, api_password="pw-4711")
        data |= {"api_key": secret, "api_password": "pw-4711"}
        old_unique_id = f"voip_communications:{secret}"
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        minor_version=1,
        title=f"Legacy {provider}",
        unique_id=old_unique_id,
        data={**data, "webhook_id": f"hook-legacy-{provider}"},
        options={"default_country": "GR"},
        subentries_data=[recipient_subentry("Alice", ALICE)],
    )
    entry.add_to_hass(hass)
    return entry, old_unique_id


def add_legacy_devices(
    hass: HomeAssistant, entry: MockConfigEntry, old: str, name: str
) -> tuple[dr.DeviceEntry, dr.DeviceEntry]:
    """Add the account's device and Alice's, identified as before 1.2; return both."""
    device_registry = dr.async_get(hass)
    account = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={(DOMAIN, old)},
        name=name,
        entry_type=dr.DeviceEntryType.SERVICE,
    )
    [alice] = entry.subentries.values()
    recipient = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        config_subentry_id=alice.subentry_id,
        identifiers={(DOMAIN, f"{old}_{alice.subentry_id}")},
        name="Alice",
        entry_type=dr.DeviceEntryType.SERVICE,
        via_device_id=account.id,
    )
    return account, recipient


def add_legacy_entities(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    provider: str,
    old: str,
    name: str,
    object_id: Callable[[str], str],
) -> dict[str, str]:
    """Add the devices and entities as before 1.2; return {entity id: key}.

    ``object_id(key)`` names each entity; Alice's notify entity is ``"alice"``.
    """
    entity_registry = er.async_get(hass)
    account, recipient = add_legacy_devices(hass, entry, old, name)
    [alice] = entry.subentries.values()
    keys: dict[str, str] = {}
    for domain, platform_keys in ACCOUNT_KEYS[provider].items():
        for key in platform_keys:
            entity = entity_registry.async_get_or_create(
                domain,
                DOMAIN,
                f"{old}_{key}",
                config_entry=entry,
                device_id=account.id,
                suggested_object_id=object_id(key),
            )
            keys[entity.entity_id] = key
    key = f"recipient_{alice.subentry_id}"
    entity = entity_registry.async_get_or_create(
        "notify",
        DOMAIN,
        f"{old}_{key}",
        config_entry=entry,
        config_subentry_id=alice.subentry_id,
        device_id=recipient.id,
        suggested_object_id=object_id("alice"),
    )
    keys[entity.entity_id] = key
    return keys


def add_legacy_registry(
    hass: HomeAssistant, entry: MockConfigEntry, provider: str, old: str
) -> dict[str, str]:
    """Fill the registries as the release before 1.2 did; return {entity id: key}.

    The entity ids are not those a new setup would pick: a migration that
    missed one would leave it and add another entity.
    """
    keys = add_legacy_entities(hass, entry, provider, old, entry.title, lambda key: f"kept_{key}")
    # The entity of a recipient removed long ago: a record of the registry's own.
    entity_registry = er.async_get(hass)
    gone = entity_registry.async_get_or_create(
        "notify", DOMAIN, f"{old}_recipient_gone", config_entry=entry
    )
    entity_registry.async_remove(gone.entity_id)
    assert any(old in unique_id for _, _, unique_id in entity_registry.deleted_entities)
    return keys


@pytest.mark.parametrize("provider", list(ACCOUNT_KEYS))
async def test_migration_from_1_1(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    hass_storage: dict[str, Any],
    provider: str,
) -> None:
    """Unique ids and identifiers move to the entry's id; entity ids, devices, triggers stay."""
    entry, old = legacy_entry(hass, simulator, provider)
    keys = add_legacy_registry(hass, entry, provider, old)
    registry_ids = {entity_id: e.id for entity_id, e in registry_entities(hass, entry).items()}
    devices = {
        d.id: d.config_subentry_id
        for d in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    }
    secret = LEGACY_SECRET[provider]
    if provider != "sms365":  # sms365's unique id was a digest already
        assert secret in await stored_registries(hass, hass_storage)
    inbound = "event" in ACCOUNT_KEYS[provider]
    calls = await add_automation(hass, account_device(hass, entry).id) if inbound else []

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.version, entry.minor_version) == (1, 2)
    assert entry.unique_id == entry.runtime_data.client.account_id()
    assert secret not in entry.unique_id
    entities = registry_entities(hass, entry)
    assert {entity_id: e.id for entity_id, e in entities.items()} == registry_ids
    assert {e.entity_id: e.unique_id for e in entities.values()} == {
        entity_id: f"{entry.entry_id}_{key}" for entity_id, key in keys.items()
    }
    for entity_id in keys:  # the integration provides them again
        assert hass.states.get(entity_id) is not None, entity_id
    device_registry = dr.async_get(hass)
    migrated = dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    assert {d.id: d.config_subentry_id for d in migrated} == devices
    for device in migrated:
        suffix = f"_{device.config_subentry_id}" if device.config_subentry_id else ""
        assert device.identifiers == {(DOMAIN, f"{entry.entry_id}{suffix}")}
    # The registry keeps each former unique id: the account id's form, no credential.
    assert {e.entity_id: e.previous_unique_id for e in entities.values()} == {
        entity_id: f"{entry.unique_id}_{key}" for entity_id, key in keys.items()
    }
    assert secret not in await stored_registries(hass, hass_storage)
    if inbound:
        await receive(hass, entry, sms("m-1"))
        assert [c.data["trigger"]["message_id"] for c in calls] == ["m-1"]


async def test_migration_keeps_a_unique_id_another_entry_has(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same account twice: the older entry keeps its unique id, and says so."""
    entry, old = legacy_entry(hass, simulator, "voip_communications")
    add_legacy_registry(hass, entry, "voip_communications", old)
    account_id = f"voip_communications:{account_digest(LEGACY_SECRET['voip_communications'])}"
    twin = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        minor_version=2,
        title="Twin",
        unique_id=account_id,
        data={**entry.data, "webhook_id": "hook-twin"},
    )
    twin.add_to_hass(hass)
    caplog.set_level(logging.WARNING)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert (entry.minor_version, entry.unique_id, twin.unique_id) == (2, old, account_id)
    assert f"Config entry {entry.entry_id} is the same voip_communications account" in caplog.text
    assert LEGACY_SECRET["voip_communications"] not in caplog.text
    # The registries move all the same.
    assert LEGACY_SECRET["voip_communications"] not in await stored_registries(hass, hass_storage)


async def test_migration_leaves_what_it_need_not_or_cannot_move(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Ids in the new form already stay; an old id whose new form is taken is left alone."""
    entry, old = legacy_entry(hass, simulator, "voip_communications")
    [alice] = entry.subentries.values()
    entity_registry = er.async_get(hass)
    device_registry = dr.async_get(hass)
    device_registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        config_subentry_id=alice.subentry_id,
        identifiers={(DOMAIN, f"{entry.entry_id}_{alice.subentry_id}")},
    )
    leftover = entity_registry.async_get_or_create(
        "sensor", DOMAIN, f"{old}_last_delivery_status", config_entry=entry
    )
    for key in ("last_delivery_status", "sms_received"):
        domain = "sensor" if key == "last_delivery_status" else "event"
        entity_registry.async_get_or_create(
            domain, DOMAIN, f"{entry.entry_id}_{key}", config_entry=entry
        )
    # An entry without unique id: its ids began with its entry id already.
    no_id = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        minor_version=1,
        title="No id",
        data={**provider_data("sms365", simulator.url), "webhook_id": "hook-no-id"},
    )
    no_id.add_to_hass(hass)
    balance = entity_registry.async_get_or_create(
        "sensor", DOMAIN, f"{no_id.entry_id}_balance", config_entry=no_id
    )

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is no_id.state is ConfigEntryState.LOADED
    assert entry.minor_version == no_id.minor_version == 2
    assert no_id.unique_id == f"sms365:{account_digest(SMS365_API_KEY)}"
    # Not provided any more, so kept as it was, but for its entity id: made of the
    # old unique id, it held the API key.
    kept = entity_registry.async_get(leftover.id)
    assert kept is not None
    assert kept.unique_id == leftover.unique_id
    assert leftover.entity_id == f"sensor.{DOMAIN}_{slugify(old)}_last_delivery_status"
    assert kept.entity_id == f"sensor.{DOMAIN}_voip_communications_last_delivery_status"
    provided = entity_registry.async_get(balance.entity_id)
    assert provided is not None
    assert (provided.id, provided.unique_id) == (balance.id, balance.unique_id)
    assert entity_registry.async_get_entity_id(
        "sensor", DOMAIN, f"{entry.entry_id}_last_delivery_status"
    )
    assert entity_registry.async_get_entity_id("event", DOMAIN, f"{entry.entry_id}_sms_received")
    assert account_device(hass, entry).identifiers == {(DOMAIN, entry.entry_id)}


async def test_migration_of_other_versions(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """A newer major version is a downgrade: refused. A newer minor one is left alone."""
    data = {**provider_data("voip_communications", simulator.url), "webhook_id": "hook-v"}
    newer = MockConfigEntry(domain=DOMAIN, version=2, minor_version=1, unique_id="x", data=data)
    newer.add_to_hass(hass)
    assert await async_migrate_entry(hass, newer) is False
    assert (newer.version, newer.minor_version, newer.unique_id) == (2, 1, "x")

    minor = MockConfigEntry(domain=DOMAIN, version=1, minor_version=3, unique_id="y", data=data)
    minor.add_to_hass(hass)
    assert await async_migrate_entry(hass, minor) is True
    assert (minor.version, minor.minor_version, minor.unique_id) == (1, 3, "y")

    # Through Home Assistant: the newer major version does not load.
    await hass.config_entries.async_setup(newer.entry_id)
    await hass.async_block_till_done()
    assert newer.state is ConfigEntryState.MIGRATION_ERROR


# -- titles ------------------------------------------------------------------------------


async def add_sms365_account(
    hass: HomeAssistant, simulator: RunningSimulator, key: str, **extra: str
) -> MockConfigEntry:
    """Add an sms365 account through the config flow; the entry is set up."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"provider": "sms365"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: key, CONF_URL: f"{simulator.url}/api", **extra}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    return entry


async def test_two_accounts_of_a_provider_get_their_own_names(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """The second account's title is numbered; its entity ids and notify services follow."""
    for n in (2, 3, 4):
        simulator.state.add_account("sms365", id=f"sms365-{n}", api_key=f"key-{n}")
    first = await add_sms365_account(hass, simulator, SMS365_API_KEY)
    second = await add_sms365_account(hass, simulator, "key-2")
    assert (first.title, second.title) == ("sms365.gr", "sms365.gr 2")
    assert account_device(hass, second).name == "sms365.gr 2"
    assert "sensor.sms365_gr_balance" in registry_entities(hass, first)
    assert set(registry_entities(hass, second)) == {
        "sensor.sms365_gr_2_balance",
        "sensor.sms365_gr_2_last_delivery_status",
    }
    for name in ("sms365_gr", "sms365_gr_flash", "sms365_gr_2", "sms365_gr_2_viber"):
        assert hass.services.has_service("notify", name), name

    # Titles compare as the names made of them do; a user's own name is kept as typed.
    third = await add_sms365_account(hass, simulator, "key-3", **{CONF_NAME: " SMS365.GR "})
    assert third.title == "SMS365.GR"
    fourth = await add_sms365_account(hass, simulator, "key-4")
    assert fourth.title == "sms365.gr 3"


# -- credentials in the titles of releases up to 0.2.0 -----------------------------------

# The credential those titles held, per provider: the demo account's and another.
OLD_TITLE_SECRETS = {
    "voip_communications": (VOIP_API_KEY, LEGACY_SECRET["voip_communications"]),
    "infobip": (INFOBIP_USERNAME, LEGACY_SECRET["infobip"]),
}
NEW_TITLE = {"voip_communications": "voip-communications.net", "infobip": "Infobip (127.0.0.1)"}


def old_title(provider: str, secret: str) -> str:
    """Return the title releases up to 0.2.0 gave the account."""
    if provider == "infobip":
        return f"Infobip ({secret} @ 127.0.0.1)"
    return f"voip-communications.net ({secret})"


def old_titled_entry(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    provider: str,
    secret: str,
    title: str | None = None,
    *,
    renamed: dict[str, str] | None = None,
) -> tuple[MockConfigEntry, list[str]]:
    """Add a 1.1 entry and its registries as 0.2.0 left them; return it and its entity ids.

    The entity ids are the ones 0.2.0 made of the title ``old_title``; ``renamed``
    maps keys to entity ids the user chose instead.
    """
    data = provider_data(provider, simulator.url)
    if provider == "infobip":
        if secret != INFOBIP_USERNAME:
            simulator.state.add_account("infobip", id=secret, username=secret, password="pw")
            data |= {"username": secret, "password": "pw"}
        old = f"infobip:127.0.0.1:{secret}"
    else:
        if secret != VOIP_API_KEY:
            simulator.state.add_account("voip", id=secret, api_key=secret, api_password="pw")
            data |= {"api_key": secret, "api_password": "pw"}
        old = f"voip_communications:{secret}"
    title = title or old_title(provider, secret)
    entry = MockConfigEntry(
        domain=DOMAIN,
        version=1,
        minor_version=1,
        title=title,
        unique_id=old,
        data={**data, "webhook_id": f"hook-{account_digest(secret)}"},
        options={"default_country": "GR"},
        subentries_data=[recipient_subentry("Alice", ALICE)],
    )
    entry.add_to_hass(hass)
    base = slugify(old_title(provider, secret))
    renamed = renamed or {}

    def object_id(key: str) -> str:
        return f"{base}_sms_to_alice" if key == "alice" else renamed.get(key, f"{base}_{key}")

    entity_ids = list(add_legacy_entities(hass, entry, provider, old, title, object_id))
    return entry, entity_ids


def credential_issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    """Return the notice that the account's names lost its credential."""
    return ir.async_get(hass).async_get_issue(
        DOMAIN, f"credential_removed_from_names_{entry.entry_id}"
    )


def holds(text: str, secret: str) -> bool:
    """Return whether text holds the credential, as typed or as a slug."""
    return secret.casefold() in text.casefold() or slugify(secret) in text


def logged_by_us(caplog: pytest.LogCaptureFixture, secret: str) -> list[str]:
    """Return the integration's log lines holding the credential, as typed or as a slug.

    Left out, and allowed to name the old entity ids: Home Assistant's own
    loggers (the registries' "Registered new ... entity" lines when a test fills
    the registries as 0.2.0 did, the event bus at DEBUG) and asyncio's
    slow-callback warnings on a busy machine (they print whatever task ran).
    """
    leaking = [r for r in caplog.records if holds(r.getMessage(), secret)]
    # Home Assistant's own DEBUG lines (registries, the event bus) print the
    # ids it is handed; what it logs is not ours to shape.
    excluded = {r.name for r in leaking if not r.name.startswith("custom_components.")}
    assert all(name.startswith("homeassistant.") or name == "asyncio" for name in excluded), (
        excluded
    )
    return [r.getMessage() for r in leaking if r.name.startswith("custom_components.")]


@pytest.mark.parametrize("provider", list(OLD_TITLE_SECRETS))
async def test_migration_takes_the_credential_out_of_names(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    caplog: pytest.LogCaptureFixture,
    provider: str,
) -> None:
    """Title, device name, entity ids, notify services and logs lose the credential."""
    caplog.set_level(logging.DEBUG)
    secret = OLD_TITLE_SECRETS[provider][0]
    entry, old_ids = old_titled_entry(hass, simulator, provider, secret)
    assert all(slugify(secret) in entity_id for entity_id in old_ids)
    registry_ids = {entity_id: e.id for entity_id, e in registry_entities(hass, entry).items()}
    caplog.clear()

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.state is ConfigEntryState.LOADED
    assert entry.title == NEW_TITLE[provider]
    assert account_device(hass, entry).name == entry.title
    base, old_base = slugify(entry.title), slugify(old_title(provider, secret))
    entities = registry_entities(hass, entry)
    # The same registry entries, with the new title's slug in place of the old one's.
    assert {e.id: entity_id for entity_id, e in entities.items()} == {
        registry_ids[old_id]: old_id.replace(old_base, base) for old_id in old_ids
    }
    assert f"event.{base}_sms_received" in entities
    for entity_id in entities:
        assert not holds(entity_id, secret)
        assert hass.states.get(entity_id) is not None, entity_id
    notify = hass.services.async_services_for_domain("notify")
    assert base in notify
    assert not [name for name in notify if holds(name, secret)]

    issue = credential_issue(hass, entry)
    assert issue is not None
    assert (issue.severity, issue.is_fixable, issue.is_persistent) == (
        ir.IssueSeverity.WARNING,
        False,
        False,
    )
    assert issue.translation_key == "credential_removed_from_names"
    assert issue.translation_placeholders == {
        "title": entry.title,
        "count": str(len(old_ids)),
        "service": base,
    }
    # Everything logged from the migration to the loaded account, at every level.
    assert logged_by_us(caplog, secret) == []
    assert [r.getMessage() for r in caplog.records if r.name == "custom_components.sms_gateway"]

    # The user can dismiss the notice; removing the account removes it.
    ir.async_ignore_issue(hass, DOMAIN, issue.issue_id, True)
    issue = credential_issue(hass, entry)
    assert issue is not None
    assert issue.dismissed_version is not None
    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert credential_issue(hass, entry) is None


@pytest.mark.parametrize("provider", list(OLD_TITLE_SECRETS))
async def test_migration_keeps_names_the_user_chose(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str
) -> None:
    """A title and an entity id without the credential stay; ids made by 0.2.0 lose it."""
    entry, old_ids = old_titled_entry(
        hass,
        simulator,
        provider,
        OLD_TITLE_SECRETS[provider][0],
        title="Office SMS",
        renamed={"last_delivery_status": "office_delivery"},
    )
    assert "sensor.office_delivery" in old_ids

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert entry.title == "Office SMS"
    # Renamed by the user after the install, the entity ids kept 0.2.0's title:
    # they get the provider's name without the credential.
    base = slugify(NEW_TITLE[provider])
    expected = {
        "sensor.office_delivery",
        f"event.{base}_sms_received",
        f"notify.{base}_sms_to_alice",
    }
    if provider == "infobip":
        expected.add(f"sensor.{base}_balance")
    assert set(registry_entities(hass, entry)) == expected
    assert hass.services.has_service("notify", "office_sms")
    issue = credential_issue(hass, entry)
    assert issue is not None
    assert issue.translation_placeholders == {
        "title": "Office SMS",
        "count": str(len(expected) - 1),
        "service": "office_sms",
    }


async def test_migration_keeps_a_title_and_ids_without_the_credential(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Names the user gave stay, even holding the username as a word; 0.2.0's are renamed."""
    entry, _ = old_titled_entry(
        hass,
        simulator,
        "infobip",
        INFOBIP_USERNAME,  # "demo"
        title="Demo SMS",
        renamed={"balance": "demo_sms_balance", "last_delivery_status": "demo_sms_delivery"},
    )
    entity_registry = er.async_get(hass)
    for entity in list(registry_entities(hass, entry).values()):
        if entity.domain in ("event", "notify"):
            entity_registry.async_update_entity(
                entity.entity_id, new_entity_id=f"{entity.domain}.demo_sms_{entity.domain}"
            )
    before = set(registry_entities(hass, entry))
    assert before == {
        "sensor.demo_sms_balance",
        "sensor.demo_sms_delivery",
        "event.demo_sms_event",
        "notify.demo_sms_notify",
    }
    # An account named by 0.2.0 next to it.
    old, _ = old_titled_entry(hass, simulator, "infobip", LEGACY_SECRET["infobip"])

    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert entry.state is old.state is ConfigEntryState.LOADED
    assert entry.title == "Demo SMS"
    assert set(registry_entities(hass, entry)) == before
    assert hass.services.has_service("notify", "demo_sms")
    assert credential_issue(hass, entry) is None
    assert old.title == "Infobip (127.0.0.1)"
    assert credential_issue(hass, old) is not None
    assert "event.infobip_127_0_0_1_sms_received" in registry_entities(hass, old)


@pytest.mark.parametrize("provider", list(OLD_TITLE_SECRETS))
async def test_migration_numbers_the_titles_of_two_accounts(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str
) -> None:
    """Two accounts of a provider: the second title is numbered, its ids follow it."""
    entries = [
        old_titled_entry(hass, simulator, provider, s)[0] for s in OLD_TITLE_SECRETS[provider]
    ]
    # The user named the first account's device: that name stays.
    device = account_device(hass, entries[0])
    dr.async_get(hass).async_update_device(device.id, name_by_user="My SMS")

    assert await async_setup_component(hass, DOMAIN, {})
    await hass.async_block_till_done()

    assert all(entry.state is ConfigEntryState.LOADED for entry in entries)
    assert sorted(entry.title for entry in entries) == [
        NEW_TITLE[provider],
        f"{NEW_TITLE[provider]} 2",
    ]
    for entry, secret in zip(entries, OLD_TITLE_SECRETS[provider], strict=True):
        base = slugify(entry.title)
        device = account_device(hass, entry)
        assert device.name == entry.title
        assert device.name_by_user == ("My SMS" if entry is entries[0] else None)
        entity_ids = set(registry_entities(hass, entry))
        assert f"event.{base}_sms_received" in entity_ids
        assert all(e.split(".")[1].startswith(f"{base}_") for e in entity_ids), entity_ids
        assert not [e for e in entity_ids if holds(e, secret)]
        assert hass.services.has_service("notify", base)
        issue = credential_issue(hass, entry)
        assert issue is not None
        assert issue.translation_placeholders is not None
        assert issue.translation_placeholders["title"] == entry.title
    assert not [
        name
        for name in hass.services.async_services_for_domain("notify")
        if any(holds(name, s) for s in OLD_TITLE_SECRETS[provider])
    ]
