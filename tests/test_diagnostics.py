"""Diagnostics: useful for a bug report, without credentials or phone numbers."""

import json

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from simulator import demo
from tests.conftest import ALICE, BOB, PROVIDERS, MakeEntry, RunningSimulator
from tests.wire import send

SECRETS = (
    demo.INFOBIP_USERNAME,
    demo.INFOBIP_PASSWORD,
    demo.SMS365_API_KEY,
    demo.VOIP_API_KEY,
    demo.VOIP_API_PASSWORD,
)


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    snapshot: SnapshotAssertion,
    provider: str,
) -> None:
    options: dict[str, object] = {"low_balance_threshold": 5}
    if provider != "voip_communications":  # voip: the sender is one of the account's numbers
        options["sender"] = "Home"
    entry = await make_entry(provider, options=options)
    await send(hass, entry, "Alice")
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    text = json.dumps(diagnostics)
    for secret in (*SECRETS, ALICE, BOB, ALICE.lstrip("+"), BOB.lstrip("+"), "hook-"):
        assert secret not in text, secret

    assert diagnostics["entry"]["data"]["provider"] == provider
    last = diagnostics["delivery_reports"]["last"]
    assert last["recipient"] == "**REDACTED**"
    assert last["message_id"] in simulator.state.messages
    assert diagnostics == snapshot(
        exclude=props("message_id", "sent_at", "done_at", "url", "base_url", "key")
    )


async def test_diagnostics_before_first_send(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
) -> None:
    entry = await make_entry("sms365")
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["delivery_reports"] == {
        "mode": "poll",
        "pending": 0,
        "unknown_statuses": {},
        "last": None,
    }
    assert diagnostics["account"]["balance"] == {
        "amount": 100.0,
        "currency": None,
        "unit": "credits",
    }
    assert diagnostics["account"]["last_update_success"] is True
    assert diagnostics["provider"]["base_url"] == f"{simulator.url}/api"
