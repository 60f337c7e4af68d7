"""sms_gateway.lookup_number, end to end against the provider simulator.

What each provider is asked, what it charges, and what the action answers:
Infobip Number Context (one charged call), sms365 ``mobile/check`` (free) and
``hlr/lookup`` (1/10 SMS, only for a number the free check found valid), and
a clear error on voip-communications, which has no lookup.
"""

from __future__ import annotations

import json
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from simulator.sms365 import HLR_BALANCE_KEY
from tests.conftest import ALICE, MakeEntry, RunningSimulator
from tests.wire import SIM_ACCOUNT, reauth_flows, refuse_credentials

DOMAIN = "sms_gateway"
SERVICE = "lookup_number"
NC_QUERY = "/restapi/number/1/query"
MOBILE_CHECK = "/api/mobile/check"
HLR_LOOKUP = "/api/hlr/lookup"
LOOKUP_PATHS = {NC_QUERY, MOBILE_CHECK, HLR_LOOKUP}
PORTED = "+306971234568"  # the simulator's HLR: ending 8 is ported
UNKNOWN = "+306971234560"  # ending 0: unknown subscriber / undeliverable
ABSENT = "+306971234569"  # ending 9: absent subscriber


async def lookup(
    hass: HomeAssistant, entry: MockConfigEntry, number: str, **extra: Any
) -> dict[str, Any]:
    """Call the action and return its response."""
    response = await hass.services.async_call(
        DOMAIN,
        SERVICE,
        {"config_entry_id": entry.entry_id, "number": number, **extra},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    return dict(response)


def lookups(simulator: RunningSimulator) -> list[str]:
    """Return the paths of the lookup requests the simulator got, in order."""
    return [r.path for r in simulator.state.requests if r.path in LOOKUP_PATHS]


def balance(simulator: RunningSimulator, provider: str) -> float:
    """Return the demo account's balance at the simulator."""
    return float(simulator.state.accounts[SIM_ACCOUNT[provider]].balance)


# -- Infobip: Number Context ---------------------------------------------------------


async def test_infobip_number_context(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """One charged Number Context query; the answer read into the response."""
    entry = await make_entry("infobip")
    response = await lookup(hass, entry, ALICE)
    assert response == {
        "number": ALICE,
        "valid": True,
        "country": "GR",
        "country_prefix": "30",
        "network": None,
        "mcc": "202",
        "mnc": response["mnc"],
        "ported": False,
        "roaming": False,
        "reachable": True,
        "cost": None,
        "charged": True,
    }
    assert response["mnc"]
    assert lookups(simulator) == [NC_QUERY]
    (request,) = [r for r in simulator.state.requests if r.path == NC_QUERY]
    assert request.json == {"to": [ALICE.lstrip("+")]}


async def test_infobip_has_no_free_check(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """network_check false asks for a free check Infobip does not have: refused, no charge."""
    entry = await make_entry("infobip")
    with pytest.raises(ServiceValidationError) as caught:
        await lookup(hass, entry, ALICE, network_check=False)
    assert caught.value.translation_key == "free_lookup_not_supported"
    assert caught.value.translation_placeholders == {"account": "Demo infobip"}
    assert lookups(simulator) == []


# -- sms365: mobile/check (free) and hlr/lookup (1/10 SMS) --------------------------


async def test_sms365_free_check_then_hlr(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """By default: the free check, then the HLR, charged 1/10 SMS (1 SMS buys 10)."""
    entry = await make_entry("sms365")
    before = balance(simulator, "sms365")
    response = await lookup(hass, entry, ALICE)
    assert response == {
        "number": ALICE,
        "valid": True,
        "country": "GR",
        "country_prefix": "30",
        "network": response["network"],
        "mcc": "202",
        "mnc": response["mnc"],
        "ported": False,
        "roaming": None,
        "reachable": True,
        "cost": 1.0,
        "charged": True,
    }
    assert response["network"]
    assert response["mnc"]
    assert lookups(simulator) == [MOBILE_CHECK, HLR_LOOKUP]
    check, hlr = [r for r in simulator.state.requests if r.path in LOOKUP_PATHS]
    assert check.form is not None
    assert "key" not in check.form  # the free check is sent without the key
    assert hlr.form is not None
    assert hlr.form["mobile"] == [ALICE.lstrip("+")]
    # The first HLR lookup turns 1 SMS into 10 lookups and uses one of them.
    assert balance(simulator, "sms365") == pytest.approx(before - 1)
    assert simulator.app[HLR_BALANCE_KEY]["sms365-demo"] == 9


async def test_sms365_ported_number(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """The HLR tells a ported number and the network it moved to."""
    entry = await make_entry("sms365")
    ported = await lookup(hass, entry, PORTED)
    original = await lookup(hass, entry, ALICE)
    assert ported["ported"] is True
    assert original["ported"] is False
    assert (ported["mnc"], ported["network"]) != (original["mnc"], original["network"])


@pytest.mark.parametrize("provider", ["infobip", "sms365"])
@pytest.mark.parametrize(("number", "valid"), [(UNKNOWN, False), (ABSENT, True)])
async def test_unreachable_numbers(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    make_entry: MakeEntry,
    provider: str,
    number: str,
    valid: bool,
) -> None:
    """Unknown subscriber (permanent): not valid; absent (temporary): valid, not reachable now."""
    entry = await make_entry(provider)
    response = await lookup(hass, entry, number)
    assert response["valid"] is valid
    assert response["reachable"] is False
    assert response["charged"] is True


async def test_sms365_free_check_only(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """network_check false: mobile/check only, nothing charged, network facts unknown."""
    entry = await make_entry("sms365")
    before = balance(simulator, "sms365")
    response = await lookup(hass, entry, "Alice", network_check=False)
    assert response == {
        "number": ALICE,
        "valid": True,
        "country": "GR",
        "country_prefix": "30",
        "network": None,
        "mcc": "202",
        "mnc": response["mnc"],
        "ported": None,
        "roaming": None,
        "reachable": None,
        "cost": 1.0,
        "charged": False,
    }
    assert lookups(simulator) == [MOBILE_CHECK]
    assert balance(simulator, "sms365") == before
    assert "sms365-demo" not in simulator.app[HLR_BALANCE_KEY]


async def test_sms365_no_hlr_for_a_number_the_free_check_refuses(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """A number mobile/check cannot parse (error 201) is never paid an HLR lookup for."""
    entry = await make_entry("sms365")
    simulator.state.add_fault(
        kind="body",
        provider="sms365",
        path=MOBILE_CHECK,
        body=json.dumps({"status": 0, "error": 201, "remarks": "Failed to parse mobile"}),
    )
    response = await lookup(hass, entry, ALICE)
    assert response["valid"] is False
    assert response["charged"] is False
    assert lookups(simulator) == [MOBILE_CHECK]


async def test_sms365_hlr_without_an_answer(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """An HLR query that did not succeed (result not OK): reachability is unknown."""
    entry = await make_entry("sms365")
    simulator.state.add_fault(
        kind="body",
        provider="sms365",
        path=HLR_LOOKUP,
        body=json.dumps(
            {
                "result": "FAILED",
                "description": "Timeout",
                "status": 1,
                "error": 0,
                "remarks": "Success",
            }
        ),
    )
    response = await lookup(hass, entry, ALICE)
    assert response["valid"] is False
    assert response["reachable"] is None
    assert response["mcc"] == "202"  # from the free check
    assert response["charged"] is True


# -- every provider ------------------------------------------------------------------


async def test_voip_has_no_lookup(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """voip-communications has no lookup API: a clear error, no request."""
    entry = await make_entry("voip_communications")
    requests = len(simulator.state.requests)
    with pytest.raises(ServiceValidationError) as caught:
        await lookup(hass, entry, ALICE)
    assert caught.value.translation_key == "lookup_not_supported"
    assert caught.value.translation_placeholders == {"account": "Demo voip_communications"}
    assert len(simulator.state.requests) == requests


@pytest.mark.parametrize("provider", ["infobip", "sms365"])
async def test_not_a_number_costs_nothing(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """What is no valid phone number is answered invalid without any request."""
    entry = await make_entry(provider)
    response = await lookup(hass, entry, " 12345 ")
    assert response["number"] == "12345"
    assert response["valid"] is False
    assert response["charged"] is False
    assert response["country"] is None
    assert lookups(simulator) == []


async def test_national_number_and_missing_country(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """A national number reads with the default country; without one it is refused."""
    entry = await make_entry("sms365")
    response = await lookup(hass, entry, "697 123 4561", network_check=False)
    assert response["number"] == ALICE
    hass.config.country = None
    other = await make_entry("infobip", options={"default_country": None})
    with pytest.raises(ServiceValidationError) as caught:
        await lookup(hass, other, "6971234561")
    assert caught.value.translation_key == "number_needs_country"
    assert lookups(simulator) == [MOBILE_CHECK]


async def test_response_only(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """A lookup is only useful for its answer: a call without one is refused."""
    entry = await make_entry("infobip")
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            DOMAIN,
            SERVICE,
            {"config_entry_id": entry.entry_id, "number": ALICE},
            blocking=True,
        )
    assert lookups(simulator) == []


# -- provider failures ------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["infobip", "sms365"])
async def test_provider_unavailable(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry, provider: str
) -> None:
    """The provider is down: a provider error (not the caller's), saying so."""
    entry = await make_entry(provider)
    sim = "infobip" if provider == "infobip" else "sms365"
    simulator.state.add_fault(kind="status", provider=sim, status=503, count=5)
    with pytest.raises(HomeAssistantError) as caught:
        await lookup(hass, entry, ALICE)
    assert not isinstance(caught.value, ServiceValidationError)
    assert caught.value.translation_key == "provider_unavailable"
    assert caught.value.translation_placeholders is not None
    assert caught.value.translation_placeholders["account"] == f"Demo {provider}"


async def test_refused_credentials_start_reauthentication(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """A 401 on the lookup: the credentials error, and reauthentication starts."""
    entry = await make_entry("infobip")
    refuse_credentials(simulator, "infobip")
    with pytest.raises(HomeAssistantError) as caught:
        await lookup(hass, entry, ALICE)
    assert caught.value.translation_key == "auth_failed"
    await hass.async_block_till_done()
    assert reauth_flows(hass) == [entry.entry_id]


async def test_sms365_hlr_out_of_balance(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """No SMS left to buy HLR lookups with: the balance error of a lookup."""
    entry = await make_entry("sms365")
    simulator.state.accounts[SIM_ACCOUNT["sms365"]].balance = 0.0
    with pytest.raises(HomeAssistantError) as caught:
        await lookup(hass, entry, ALICE)
    assert caught.value.translation_key == "lookup_insufficient_balance"
    assert caught.value.translation_placeholders == {"account": "Demo sms365"}
    # The free check still works.
    assert (await lookup(hass, entry, ALICE, network_check=False))["valid"] is True


async def test_unreadable_answer(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """An answer of the wrong shape is the provider's error."""
    entry = await make_entry("infobip")
    simulator.state.add_fault(kind="body", provider="infobip", path=NC_QUERY, body="[]")
    with pytest.raises(HomeAssistantError) as caught:
        await lookup(hass, entry, ALICE)
    assert not isinstance(caught.value, ServiceValidationError)
    assert caught.value.translation_key == "provider_error"
