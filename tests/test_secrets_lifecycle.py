"""Secrets stay secret (titles, diagnostics); a removed account leaves nothing behind."""

import hashlib
import json
from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import slugify
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_gateway.const import DOMAIN
from simulator import demo
from tests.conftest import ALICE, BOB, PROVIDERS, MakeEntry, RunningSimulator, provider_data
from tests.wire import send

SMS365_DIGEST = hashlib.sha256(demo.SMS365_API_KEY.encode()).hexdigest()[:16]
# Everything that identifies an account to its provider: never shown to people.
SECRETS = (
    demo.INFOBIP_USERNAME,
    demo.INFOBIP_PASSWORD,
    demo.SMS365_API_KEY,
    SMS365_DIGEST[:8],
    demo.VOIP_API_KEY,
    demo.VOIP_API_PASSWORD,
)
PROVIDER_SECRETS = {
    "infobip": (demo.INFOBIP_USERNAME, demo.INFOBIP_PASSWORD),
    "sms365": (demo.SMS365_API_KEY, SMS365_DIGEST[:8]),
    "voip_communications": (demo.VOIP_API_KEY, demo.VOIP_API_PASSWORD),
}
CAROL = "+306971234563"
DAVE = "+306971234564"
EXPECTED_TITLES = {
    "infobip": "Infobip (127.0.0.1)",
    "sms365": "sms365.gr",
    "voip_communications": "voip-communications.net",
}


def _credentials(provider: str, url: str) -> dict[str, Any]:
    data = provider_data(provider, url)
    data.pop("provider")
    return data


async def _add_through_flow(
    hass: HomeAssistant, provider: str, url: str, **extra: Any
) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"provider": provider}
    )
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**_credentials(provider, url), **extra}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return dict(result)


# -- A: titles ----------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_title_and_entity_ids_carry_no_secret(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str
) -> None:
    """The proposed title names the provider, never a credential; entity ids follow."""
    result = await _add_through_flow(hass, provider, simulator.url)
    entry = result["result"]
    assert entry.title == EXPECTED_TITLES[provider]

    entity_ids = [
        e.entity_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    ]
    assert entity_ids
    services = list(hass.services.async_services().get("notify", {}))
    for secret in SECRETS:
        assert secret not in entry.title, secret
    for secret in PROVIDER_SECRETS[provider]:
        for name in (*entity_ids, *services):
            assert slugify(secret) not in name, (secret, name)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_title_can_be_named(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str
) -> None:
    """The user may name the account; its entity ids follow the name."""
    result = await _add_through_flow(hass, provider, simulator.url, name="  Home SMS ")
    entry = result["result"]
    assert entry.title == "Home SMS"
    assert "name" not in entry.data
    entity_ids = [
        e.entity_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    ]
    assert entity_ids
    assert all(".home_sms" in entity_id for entity_id in entity_ids), entity_ids


# -- B: diagnostics -----------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_diagnostics_redact_options(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    make_entry: MakeEntry,
    provider: str,
) -> None:
    """Trusted senders, the sender number and every secret stay out of diagnostics."""
    other = "sms365" if provider == "infobip" else "infobip"
    fallback = await make_entry(other, title="Fallback", recipients=())
    sender = demo.VOIP_NUMBER if provider == "voip_communications" else "306971234565"
    entry = await make_entry(
        provider,
        options={
            "sender": sender,
            "trusted_senders": [CAROL, DAVE],
            "accept_any_sender": False,
            "fallback_account": fallback.entry_id,
        },
    )
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics)
    numbers = (ALICE, BOB, CAROL, DAVE, sender, f"+{sender}")
    for value in (
        *SECRETS,
        *numbers,
        *(n.lstrip("+") for n in numbers),
        entry.data["webhook_id"],
    ):
        assert value not in text, value
    # Still useful: what is configured, not its value.
    assert diagnostics["entry"]["options"]["trusted_senders"] == "**REDACTED**"
    assert diagnostics["entry"]["options"]["accept_any_sender"] is False


# -- C: removal ---------------------------------------------------------------


async def test_remove_entry_leaves_nothing_behind(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Every repair issue and every stored file of a removed account goes with it."""
    entry = await make_entry("infobip", setup=False)
    hass_storage[f"{DOMAIN}.{entry.entry_id}.inbound"] = {
        "version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.inbound",
        "data": {"seen": ["an-old-id"]},
    }
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    # An outage: the message waits in the outbox, which is stored.
    simulator.state.add_fault(kind="status", provider="infobip", status=503, count=100)
    await send(hass, entry, "Alice")
    await entry.runtime_data.outbox.async_flush()
    assert f"{DOMAIN}.{entry.entry_id}.outbox" in hass_storage

    for kind in (
        "insufficient_balance",
        "delivery_unknown",
        "messages_expired",
        "outbox_unreadable",
        "low_balance",
    ):
        ir.async_create_issue(
            hass,
            DOMAIN,
            f"{kind}_{entry.entry_id}",
            is_fixable=False,
            is_persistent=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=kind,
        )
    issues = ir.async_get(hass)

    assert await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()

    left = [
        issue_id
        for (domain, issue_id) in issues.issues
        if domain == DOMAIN
        if entry.entry_id in issue_id
    ]
    assert left == []
    assert [key for key in hass_storage if entry.entry_id in key] == []
