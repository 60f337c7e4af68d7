"""The config flow: providers, live credential checks, reauth, reconfigure, options, recipients.

Credentials are checked over real HTTP against the provider simulator; only the
``unknown`` error path patches the client.
"""

from collections.abc import Callable, Iterator
import hashlib
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigSubentryData
from homeassistant.const import (
    CONF_API_KEY,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.helpers.network import NoURLAvailableError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_gateway.const import (
    CONF_ACCEPT_ANY_SENDER,
    CONF_API_PASSWORD,
    CONF_ASSIST,
    CONF_ASSIST_AGENT,
    CONF_ASSIST_MAX_SEGMENTS,
    CONF_ASSIST_RATE,
    CONF_BALANCE_INTERVAL,
    CONF_DEFAULT_COUNTRY,
    CONF_FALLBACK_ACCOUNT,
    CONF_INBOUND_INTERVAL,
    CONF_LIMIT_DAY,
    CONF_LIMIT_HOUR,
    CONF_LOW_BALANCE_THRESHOLD,
    CONF_MAX_AGE,
    CONF_NUMBER,
    CONF_PASSPHRASE,
    CONF_PROVIDER,
    CONF_REPORT_MODE,
    CONF_SENDER,
    CONF_TRUSTED_SENDERS,
    DOMAIN,
    SUBENTRY_RECIPIENT,
)
from custom_components.sms_gateway.flow_helpers import report_modes
from custom_components.sms_gateway.providers import CLIENTS, Capabilities
from simulator.demo import (
    INFOBIP_PASSWORD,
    INFOBIP_USERNAME,
    SMS365_API_KEY,
    VOIP_API_KEY,
    VOIP_API_PASSWORD,
    VOIP_NUMBER,
)
from tests.conftest import RunningSimulator
from tests.wire import SIM_PROVIDER

PROVIDERS = ["infobip", "sms365", "voip_communications"]
WEBHOOK_ID = "0123456789abcdef0123456789abcdef"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def credentials(provider: str, base: str) -> dict[str, Any]:
    """Return the demo account's credentials, as the user enters them."""
    if provider == "infobip":
        return {CONF_URL: base, CONF_USERNAME: INFOBIP_USERNAME, CONF_PASSWORD: INFOBIP_PASSWORD}
    if provider == "sms365":
        return {CONF_API_KEY: SMS365_API_KEY, CONF_URL: f"{base}/api"}
    return {
        CONF_API_KEY: VOIP_API_KEY,
        CONF_API_PASSWORD: VOIP_API_PASSWORD,
        CONF_URL: f"{base}/api-v2/index.php",
    }


def wrong_credentials(provider: str, base: str) -> dict[str, Any]:
    """Return the demo account's credentials with a wrong secret."""
    data = credentials(provider, base)
    secret = {"infobip": CONF_PASSWORD, "sms365": CONF_API_KEY}.get(provider, CONF_API_PASSWORD)
    data[secret] = "wrong-secret"
    return data


# provider -> (unique id, title) of the demo account.
ACCOUNTS: dict[str, tuple[str, str]] = {
    # Titles are read by people and end up in entity ids: no credential in them.
    "infobip": (f"infobip:127.0.0.1:{_digest('demo')}", "Infobip (127.0.0.1)"),
    "sms365": (f"sms365:{_digest(SMS365_API_KEY)}", "sms365.gr"),
    "voip_communications": (
        f"voip_communications:{_digest(VOIP_API_KEY)}",
        "voip-communications.net",
    ),
}
# A sender each provider accepts, and one it refuses.
SENDERS: dict[str, tuple[str, str]] = {
    "infobip": ("HomeAlert", "X"),
    "sms365": ("Home", "Home Alert"),
    "voip_communications": (VOIP_NUMBER, "Home"),
}
# The simulator's provider names.


@pytest.fixture(autouse=True)
def mock_setup() -> Iterator[None]:
    """Keep the integration's own setup out of the flow tests."""
    with (
        patch("custom_components.sms_gateway.async_setup", return_value=True),
        patch("custom_components.sms_gateway.async_setup_entry", return_value=True),
        patch("custom_components.sms_gateway.async_unload_entry", return_value=True),
    ):
        yield


def mock_entry(
    provider: str,
    base: str,
    *,
    data: dict[str, Any] | None = None,
    unique_id: str | None = None,
    options: dict[str, Any] | None = None,
    subentries: list[ConfigSubentryData] | None = None,
) -> MockConfigEntry:
    """Return a config entry of the demo account of a provider."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=ACCOUNTS[provider][1],
        unique_id=unique_id or ACCOUNTS[provider][0],
        data={
            CONF_PROVIDER: provider,
            **(data or credentials(provider, base)),
            CONF_WEBHOOK_ID: WEBHOOK_ID,
        },
        options=options or {},
        subentries_data=subentries,
    )


async def start_user_flow(hass: HomeAssistant, provider: str) -> FlowResult:
    """Pick a provider; return its credentials form."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] is None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: provider}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == provider
    assert result["errors"] == {}
    return result


def suggested(result: FlowResult) -> dict[str, Any]:
    """Return the values a form shows pre-filled."""
    values = {}
    for marker in result["data_schema"].schema:
        description = marker.description or {}
        if "suggested_value" in description:
            values[str(marker)] = description["suggested_value"]
    return values


def fields(result: FlowResult) -> list[str]:
    """Return the field names of a form."""
    return [str(marker) for marker in result["data_schema"].schema]


# -- user flow ---------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_user_flow_creates_entry(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str
) -> None:
    """A provider's credentials are checked live; the account names the entry."""
    result = await start_user_flow(hass, provider)
    sender = SENDERS[provider][0]
    user_input = {**credentials(provider, simulator.url), CONF_SENDER: f" {sender} "}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == ACCOUNTS[provider][1]
    data = dict(result["data"])
    webhook_id = data.pop(CONF_WEBHOOK_ID)
    assert isinstance(webhook_id, str)
    assert len(webhook_id) >= 32
    assert data == {CONF_PROVIDER: provider, **credentials(provider, simulator.url)}
    assert result["options"] == {CONF_SENDER: sender}
    entry = result["result"]
    assert entry.unique_id == ACCOUNTS[provider][0]
    assert (entry.version, entry.minor_version) == (1, 2)  # nothing to migrate
    assert entry.title == ACCOUNTS[provider][1]
    assert entry.options == {CONF_SENDER: sender}
    # The sms365 API key is a secret: never part of the unique id.
    assert SMS365_API_KEY not in entry.unique_id


async def test_user_flow_without_sender(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """An empty sender stores no sender option; the URL is trimmed."""
    result = await start_user_flow(hass, "infobip")
    user_input = {
        **credentials("infobip", simulator.url),
        CONF_URL: f"  {simulator.url}  ",
        CONF_SENDER: "  ",
    }
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_URL] == simulator.url
    assert result["options"] == {}


async def test_user_form_fields(hass: HomeAssistant) -> None:
    """Each provider asks for its own credentials; Infobip's URL has a default."""
    expected = {
        "infobip": [CONF_URL, CONF_USERNAME, CONF_PASSWORD, CONF_SENDER, CONF_NAME],
        "sms365": [CONF_API_KEY, CONF_URL, CONF_SENDER, CONF_NAME],
        "voip_communications": [
            CONF_API_KEY,
            CONF_API_PASSWORD,
            CONF_URL,
            CONF_SENDER,
            CONF_NAME,
        ],
    }
    for provider, names in expected.items():
        result = await start_user_flow(hass, provider)
        assert fields(result) == names
    result = await start_user_flow(hass, "infobip")
    url = next(m for m in result["data_schema"].schema if m == CONF_URL)
    assert url.default() == "https://api.shortlink.pro"


def _fault(kind: str) -> Callable[[RunningSimulator, str], dict[str, Any]]:
    """Return a setup that makes the next request of a provider fail with a fault."""

    def setup(simulator: RunningSimulator, provider: str) -> dict[str, Any]:
        # count=2: aiohttp retries an idempotent request once on a dropped connection.
        extra = {"status": 503} if kind == "status" else {}
        simulator.state.add_fault(kind=kind, provider=SIM_PROVIDER[provider], count=2, **extra)
        return credentials(provider, simulator.url)

    return setup


def _wrong_secret(simulator: RunningSimulator, provider: str) -> dict[str, Any]:
    return wrong_credentials(provider, simulator.url)


def _closed_port(simulator: RunningSimulator, provider: str) -> dict[str, Any]:
    data = credentials(provider, simulator.url)
    data[CONF_URL] = data[CONF_URL].replace(simulator.url, "http://127.0.0.1:9")
    return data


def _wrong_path(simulator: RunningSimulator, provider: str) -> dict[str, Any]:
    data = credentials(provider, simulator.url)
    data[CONF_URL] = f"{simulator.url}/nothing-here"
    return data


ERROR_CASES = [
    pytest.param(provider, setup, error, id=f"{provider}-{name}")
    for provider in PROVIDERS
    for name, setup, error in (
        ("wrong_secret", _wrong_secret, "invalid_auth"),
        ("http_503", _fault("status"), "cannot_connect"),
        ("dropped", _fault("drop"), "cannot_connect"),
        ("html", _fault("html"), "cannot_connect"),
        ("closed_port", _closed_port, "cannot_connect"),
    )
] + [
    pytest.param("infobip", _wrong_path, "cannot_connect", id="infobip-wrong_path"),
    pytest.param("sms365", _wrong_path, "cannot_connect", id="sms365-wrong_path"),
]


@pytest.mark.parametrize(("provider", "setup", "error"), ERROR_CASES)
async def test_user_flow_errors_then_recovers(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    provider: str,
    setup: Callable[[RunningSimulator, str], dict[str, Any]],
    error: str,
) -> None:
    """A failed check shows the form again with the input kept; then it works."""
    result = await start_user_flow(hass, provider)
    user_input = setup(simulator, provider)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == provider
    assert result["errors"] == {"base": error}
    assert suggested(result) == user_input

    simulator.state.faults.clear()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(provider, simulator.url)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == ACCOUNTS[provider][0]


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_user_flow_unknown_error_then_recovers(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    provider: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unexpected exception is logged and shown as unknown."""
    result = await start_user_flow(hass, provider)
    with patch.object(CLIENTS[provider], "validate_credentials", side_effect=RuntimeError("boom")):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], credentials(provider, simulator.url)
        )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error checking the" in caplog.text

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(provider, simulator.url)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_user_flow_invalid_sender_then_recovers(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str
) -> None:
    """A sender the provider refuses is a field error; nothing is sent to the provider."""
    result = await start_user_flow(hass, provider)
    good, bad = SENDERS[provider]
    user_input = {**credentials(provider, simulator.url), CONF_SENDER: bad}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_SENDER: "invalid_sender"}
    assert suggested(result) == user_input

    user_input[CONF_SENDER] = good
    result = await hass.config_entries.flow.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"] == {CONF_SENDER: good}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_same_account_aborts(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str
) -> None:
    """Adding an account twice aborts."""
    mock_entry(provider, simulator.url).add_to_hass(hass)
    result = await start_user_flow(hass, provider)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(provider, simulator.url)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def test_title_of_a_second_account(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """The provider's title is numbered when another account has it; a typed name is kept."""
    mock_entry("sms365", simulator.url, unique_id="sms365:first").add_to_hass(hass)
    MockConfigEntry(domain=DOMAIN, title="SMS365.GR 2", unique_id="sms365:second").add_to_hass(hass)
    result = await start_user_flow(hass, "sms365")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials("sms365", simulator.url)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "sms365.gr 3"  # titles compare as entity ids do

    simulator.state.add_account("sms365", id="other", api_key="other-key")
    result = await start_user_flow(hass, "sms365")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_API_KEY: "other-key", CONF_URL: f"{simulator.url}/api", CONF_NAME: " sms365.gr "},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "sms365.gr"


# -- reauth -------------------------------------------------------------------

SECRETS = {
    "infobip": CONF_PASSWORD,
    "sms365": CONF_API_KEY,
    "voip_communications": CONF_API_PASSWORD,
}


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_reauth(hass: HomeAssistant, simulator: RunningSimulator, provider: str) -> None:
    """Reauth asks only the secret; a wrong one is refused, the right one stored."""
    entry = mock_entry(provider, simulator.url, data=wrong_credentials(provider, simulator.url))
    entry.add_to_hass(hass)

    result = await entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert fields(result) == [SECRETS[provider]]
    assert result["description_placeholders"]["account"] == entry.title

    secret = SECRETS[provider]
    if provider != "sms365":  # for sms365 any working key is accepted (see below)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {secret: "still-wrong"}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "invalid_auth"}

    good = credentials(provider, simulator.url)[secret]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {secret: good})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert dict(entry.data) == {
        CONF_PROVIDER: provider,
        **credentials(provider, simulator.url),
        CONF_WEBHOOK_ID: WEBHOOK_ID,
    }
    assert entry.unique_id == ACCOUNTS[provider][0]


@pytest.mark.parametrize("kind", ["status", "drop", "html"])
async def test_reauth_errors_then_recovers(
    hass: HomeAssistant, simulator: RunningSimulator, kind: str
) -> None:
    """Failures during reauth show the form again; then the right key works."""
    entry = mock_entry("sms365", simulator.url)
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    _fault(kind)(simulator, "sms365")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: SMS365_API_KEY}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    simulator.state.faults.clear()
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "not-a-key"}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    with patch.object(CLIENTS["sms365"], "validate_credentials", side_effect=ValueError):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: SMS365_API_KEY}
        )
    assert result["errors"] == {"base": "unknown"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: SMS365_API_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"


async def test_reauth_wrong_account(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """Credentials that identify another account than the entry's abort."""
    entry = mock_entry("infobip", simulator.url, unique_id="infobip:127.0.0.1:someone-else")
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: INFOBIP_PASSWORD}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert entry.unique_id == "infobip:127.0.0.1:someone-else"


async def test_reauth_sms365_new_key(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """After a key reset on sms365.gr, reauth with the new key moves the entry to it."""
    entry = mock_entry("sms365", simulator.url)
    entry.add_to_hass(hass)
    simulator.state.accounts["sms365-demo"].api_key = "reset-key"

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: SMS365_API_KEY}
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "reset-key"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data[CONF_API_KEY] == "reset-key"
    assert entry.data[CONF_URL] == f"{simulator.url}/api"
    assert entry.data[CONF_WEBHOOK_ID] == WEBHOOK_ID
    assert entry.unique_id == f"sms365:{_digest('reset-key')}"


async def test_reauth_sms365_key_of_other_entry(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """The key of another configured sms365 account is refused."""
    simulator.state.add_account("sms365", id="second", api_key="second-key")
    other = mock_entry(
        "sms365",
        simulator.url,
        data={CONF_API_KEY: "second-key", CONF_URL: f"{simulator.url}/api"},
        unique_id=f"sms365:{_digest('second-key')}",
    )
    other.add_to_hass(hass)
    entry = mock_entry("sms365", simulator.url)
    entry.add_to_hass(hass)

    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "second-key"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_API_KEY] == SMS365_API_KEY
    assert entry.unique_id == ACCOUNTS["sms365"][0]


# -- reconfigure --------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_reconfigure(hass: HomeAssistant, simulator: RunningSimulator, provider: str) -> None:
    """A wrong API address is corrected; the secret is never pre-filled."""
    broken = _closed_port(simulator, provider)
    entry = mock_entry(provider, simulator.url, data=broken)
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"]["account"] == entry.title
    assert CONF_SENDER not in fields(result)
    expected = {k: v for k, v in broken.items() if k != SECRETS[provider]}
    assert suggested(result) == expected

    # Trying it as it is fails: the port is closed.
    result = await hass.config_entries.flow.async_configure(result["flow_id"], broken)
    assert result["errors"] == {"base": "cannot_connect"}
    assert suggested(result) == broken

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], wrong_credentials(provider, simulator.url)
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], credentials(provider, simulator.url)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert dict(entry.data) == {
        CONF_PROVIDER: provider,
        **credentials(provider, simulator.url),
        CONF_WEBHOOK_ID: WEBHOOK_ID,
    }
    assert entry.unique_id == ACCOUNTS[provider][0]


async def test_reconfigure_clears_url(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """An emptied optional URL is removed from the data (the default applies)."""
    entry = mock_entry("voip_communications", simulator.url)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    # Only the check goes to the simulator: the stored data has no URL.
    with patch.object(
        CLIENTS["voip_communications"],
        "default_url",
        f"{simulator.url}/api-v2/index.php",
    ):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {CONF_API_KEY: VOIP_API_KEY, CONF_API_PASSWORD: VOIP_API_PASSWORD, CONF_URL: ""},
        )
    assert result["reason"] == "reconfigure_successful"
    assert dict(entry.data) == {
        CONF_PROVIDER: "voip_communications",
        CONF_API_KEY: VOIP_API_KEY,
        CONF_API_PASSWORD: VOIP_API_PASSWORD,
        CONF_WEBHOOK_ID: WEBHOOK_ID,
    }


@pytest.mark.parametrize(
    ("provider", "other"),
    [
        ("infobip", {CONF_USERNAME: "other", CONF_PASSWORD: "other-password"}),
        ("voip_communications", {CONF_API_KEY: "other-key", CONF_API_PASSWORD: "other-secret"}),
    ],
)
async def test_reconfigure_wrong_account(
    hass: HomeAssistant, simulator: RunningSimulator, provider: str, other: dict[str, Any]
) -> None:
    """Working credentials of another account abort; the entry is unchanged."""
    if provider == "infobip":
        simulator.state.add_account(
            "infobip", id="other", username="other", password=other[CONF_PASSWORD]
        )
    else:
        simulator.state.add_account(
            "voip", id="other", api_key="other-key", api_password="other-secret"
        )
    entry = mock_entry(provider, simulator.url)
    entry.add_to_hass(hass)
    before = dict(entry.data)

    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**credentials(provider, simulator.url), **other}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"
    assert dict(entry.data) == before
    assert entry.unique_id == ACCOUNTS[provider][0]


async def test_reconfigure_sms365_new_key(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """sms365: a new key of the account is accepted; another entry's key is not."""
    simulator.state.add_account("sms365", id="second", api_key="second-key")
    MockConfigEntry(
        domain=DOMAIN,
        unique_id=f"sms365:{_digest('second-key')}",
        data={CONF_PROVIDER: "sms365", CONF_API_KEY: "second-key", CONF_WEBHOOK_ID: "x"},
    ).add_to_hass(hass)
    entry = mock_entry("sms365", simulator.url)
    entry.add_to_hass(hass)

    result = await entry.start_reconfigure_flow(hass)
    assert suggested(result) == {CONF_URL: f"{simulator.url}/api"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "second-key", CONF_URL: f"{simulator.url}/api"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    simulator.state.accounts["sms365-demo"].api_key = "reset-key"
    result = await entry.start_reconfigure_flow(hass)
    with patch.object(CLIENTS["sms365"], "validate_credentials", side_effect=KeyError):
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: "reset-key", CONF_URL: f"{simulator.url}/api"}
        )
    assert result["errors"] == {"base": "unknown"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_API_KEY: "reset-key", CONF_URL: f"{simulator.url}/api"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_API_KEY] == "reset-key"
    assert entry.unique_id == f"sms365:{_digest('reset-key')}"


# -- options ------------------------------------------------------------------


async def test_options_with_balance_and_reports(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """Infobip: every option; the country defaults to Home Assistant's."""
    hass.config.country = "GR"
    entry = mock_entry("infobip", simulator.url)
    entry.add_to_hass(hass)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert fields(result) == [
        CONF_SENDER,
        CONF_DEFAULT_COUNTRY,
        CONF_BALANCE_INTERVAL,
        CONF_LOW_BALANCE_THRESHOLD,
        CONF_REPORT_MODE,
        CONF_MAX_AGE,
        CONF_LIMIT_HOUR,
        CONF_LIMIT_DAY,
        CONF_TRUSTED_SENDERS,
        CONF_ACCEPT_ANY_SENDER,
        CONF_PASSPHRASE,
        CONF_ASSIST,
        CONF_ASSIST_AGENT,
        CONF_ASSIST_MAX_SEGMENTS,
        CONF_ASSIST_RATE,
        CONF_INBOUND_INTERVAL,
    ]
    assert suggested(result) == {CONF_DEFAULT_COUNTRY: "GR"}
    assert "/api/webhook/" in result["description_placeholders"]["webhook_url"]
    schema = {str(m): (m, s) for m, s in result["data_schema"].schema.items()}
    assert schema[CONF_BALANCE_INTERVAL][0].default() == 15
    assert schema[CONF_BALANCE_INTERVAL][1].config["min"] == 1
    assert schema[CONF_BALANCE_INTERVAL][1].config["max"] == 1440
    assert schema[CONF_LOW_BALANCE_THRESHOLD][0].default() == 0
    assert schema[CONF_REPORT_MODE][0].default() == "auto"
    assert schema[CONF_REPORT_MODE][1].config["options"] == ["auto", "push", "poll"]

    user_input = {
        CONF_SENDER: "X",
        CONF_DEFAULT_COUNTRY: "CY",
        CONF_BALANCE_INTERVAL: 30.0,
        CONF_LOW_BALANCE_THRESHOLD: 2.5,
        CONF_REPORT_MODE: "poll",
        CONF_MAX_AGE: 24.0,
        CONF_LIMIT_HOUR: 50.0,
        CONF_LIMIT_DAY: 0.0,
        CONF_ACCEPT_ANY_SENDER: False,
        CONF_ASSIST: True,
        CONF_ASSIST_AGENT: "conversation.home_assistant",
        CONF_ASSIST_MAX_SEGMENTS: 3.0,
        CONF_ASSIST_RATE: 5.0,
        CONF_INBOUND_INTERVAL: 30.0,
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_SENDER: "invalid_sender"}
    assert suggested(result) == user_input

    user_input[CONF_SENDER] = " HomeAlert "
    user_input[CONF_TRUSTED_SENDERS] = ["697 123 4567", "not a number"]
    result = await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_TRUSTED_SENDERS: "invalid_number"}

    user_input[CONF_TRUSTED_SENDERS] = ["+30 697 123 4567", "00306971234567", "", "+357 96 123456"]
    user_input[CONF_PASSPHRASE] = " abc "
    result = await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_PASSPHRASE: "passphrase_too_short"}

    user_input[CONF_PASSPHRASE] = " open sesame "
    result = await hass.config_entries.options.async_configure(result["flow_id"], user_input)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    expected = {
        CONF_SENDER: "HomeAlert",
        CONF_DEFAULT_COUNTRY: "CY",
        CONF_BALANCE_INTERVAL: 30,
        CONF_LOW_BALANCE_THRESHOLD: 2.5,
        CONF_REPORT_MODE: "poll",
        CONF_TRUSTED_SENDERS: ["+306971234567", "+35796123456"],
        CONF_ACCEPT_ANY_SENDER: False,
        CONF_PASSPHRASE: "open sesame",
        CONF_ASSIST: True,
        CONF_ASSIST_AGENT: "conversation.home_assistant",
        CONF_ASSIST_MAX_SEGMENTS: 3,
        CONF_ASSIST_RATE: 5,
        CONF_INBOUND_INTERVAL: 30,
        CONF_MAX_AGE: 24,
        CONF_LIMIT_HOUR: 50,
        CONF_LIMIT_DAY: 0,
    }
    assert entry.options == expected
    assert isinstance(entry.options[CONF_LIMIT_HOUR], int)
    assert isinstance(entry.options[CONF_ASSIST_RATE], int)
    assert isinstance(entry.options[CONF_INBOUND_INTERVAL], int)
    assert isinstance(entry.options[CONF_BALANCE_INTERVAL], int)

    # Shown again: the stored options, not the defaults.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert suggested(result) == expected


async def test_options_sms365_defaults(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """Submitting the defaults stores them; no sender when none is given."""
    hass.config.country = None
    entry = mock_entry("sms365", simulator.url, options={CONF_SENDER: "Home"})
    entry.add_to_hass(hass)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert suggested(result) == {CONF_SENDER: "Home"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_BALANCE_INTERVAL: 15,
        CONF_LOW_BALANCE_THRESHOLD: 0.0,
        CONF_REPORT_MODE: "auto",
        CONF_MAX_AGE: 24,
        CONF_LIMIT_HOUR: 100,
        CONF_LIMIT_DAY: 500,
    }


async def test_options_without_balance_or_reports(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """voip-communications: no balance API, no delivery reports: those fields are left out."""
    hass.config.country = "US"
    entry = mock_entry("voip_communications", simulator.url, options={CONF_DEFAULT_COUNTRY: "GR"})
    entry.add_to_hass(hass)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    # Replies arrive pushed to the number's Callback URL: trust options, no polling.
    assert fields(result) == [
        CONF_SENDER,
        CONF_DEFAULT_COUNTRY,
        CONF_MAX_AGE,
        CONF_LIMIT_HOUR,
        CONF_LIMIT_DAY,
        CONF_TRUSTED_SENDERS,
        CONF_ACCEPT_ANY_SENDER,
        CONF_PASSPHRASE,
        CONF_ASSIST,
        CONF_ASSIST_AGENT,
        CONF_ASSIST_MAX_SEGMENTS,
        CONF_ASSIST_RATE,
    ]
    assert suggested(result) == {CONF_DEFAULT_COUNTRY: "GR"}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_SENDER: "Home", CONF_DEFAULT_COUNTRY: "GR", CONF_ACCEPT_ANY_SENDER: True},
    )
    assert result["errors"] == {CONF_SENDER: "invalid_sender"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_SENDER: f"+{VOIP_NUMBER}",
            CONF_DEFAULT_COUNTRY: "GR",
            CONF_ACCEPT_ANY_SENDER: True,
            CONF_PASSPHRASE: "  ",  # blank: no passphrase
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_SENDER: f"+{VOIP_NUMBER}",
        CONF_DEFAULT_COUNTRY: "GR",
        CONF_ACCEPT_ANY_SENDER: True,
        CONF_ASSIST: False,
        CONF_ASSIST_MAX_SEGMENTS: 2,
        CONF_ASSIST_RATE: 10,
        CONF_MAX_AGE: 24,
        CONF_LIMIT_HOUR: 100,
        CONF_LIMIT_DAY: 500,
    }


@pytest.mark.parametrize(
    ("push", "pull", "expected"),
    [
        (True, True, ["auto", "push", "poll"]),
        (True, False, ["push"]),
        (False, True, ["poll"]),
        (False, False, []),
    ],
)
def test_report_modes(push: bool, pull: bool, expected: list[str]) -> None:
    """Only the delivery report modes a provider supports are offered."""
    capabilities = Capabilities(delivery_reports_push=push, delivery_reports_pull=pull)
    assert report_modes(capabilities) == expected


@pytest.mark.parametrize(
    ("provider", "expected"),
    [
        ("infobip", ["auto", "push", "poll"]),
        ("sms365", ["auto", "push", "poll"]),
        ("voip_communications", []),
    ],
)
def test_report_modes_per_provider(provider: str, expected: list[str]) -> None:
    """The modes each provider's client supports."""
    assert report_modes(CLIENTS[provider].capabilities) == expected


# -- recipients -----------------------------------------------------------------


def recipient(name: str, number: str) -> ConfigSubentryData:
    """Return the data of a recipient subentry."""
    return ConfigSubentryData(
        data={CONF_NAME: name, CONF_NUMBER: number},
        subentry_type=SUBENTRY_RECIPIENT,
        title=name,
        unique_id=number,
    )


async def start_recipient_flow(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str | None = None
) -> FlowResult:
    """Start adding (or, with a subentry id, editing) a recipient."""
    context: dict[str, Any] = {"source": SOURCE_USER}
    if subentry_id is not None:
        context = {"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id}
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_RECIPIENT), context=context
    )
    assert result["type"] is FlowResultType.FORM
    return result


async def test_recipient_types(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """Every account offers recipient subentries."""
    entry = mock_entry("infobip", simulator.url)
    entry.add_to_hass(hass)
    from custom_components.sms_gateway.config_flow import SmsGatewayConfigFlow
    from custom_components.sms_gateway.options_flow import RecipientSubentryFlow

    assert SmsGatewayConfigFlow.async_get_supported_subentry_types(entry) == {
        SUBENTRY_RECIPIENT: RecipientSubentryFlow
    }


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("hello", "not_a_number"),
        ("697 123 4567", "no_country"),
        ("+30 123", "invalid"),
    ],
)
async def test_add_recipient(
    hass: HomeAssistant, simulator: RunningSimulator, number: str, reason: str
) -> None:
    """An invalid number shows why; a valid one is stored in E.164."""
    hass.config.country = None
    entry = mock_entry("sms365", simulator.url)
    entry.add_to_hass(hass)

    result = await start_recipient_flow(hass, entry)
    assert result["step_id"] == "user"
    assert fields(result) == [CONF_NAME, CONF_NUMBER]
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Maria", CONF_NUMBER: number}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_NUMBER: "invalid_number"}
    assert result["description_placeholders"] == {"reason": reason}
    assert suggested(result) == {CONF_NAME: "Maria", CONF_NUMBER: number}

    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: " Maria ", CONF_NUMBER: "0030 697 123 4567"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Maria"
    assert result["data"] == {CONF_NAME: "Maria", CONF_NUMBER: "+306971234567"}
    (subentry,) = entry.subentries.values()
    assert subentry.subentry_type == SUBENTRY_RECIPIENT
    assert subentry.title == "Maria"
    assert subentry.unique_id == "+306971234567"
    assert dict(subentry.data) == {CONF_NAME: "Maria", CONF_NUMBER: "+306971234567"}


@pytest.mark.parametrize(
    ("options", "country"),
    [({CONF_DEFAULT_COUNTRY: "GR"}, "US"), ({}, "GR")],
)
async def test_add_recipient_default_country(
    hass: HomeAssistant,
    simulator: RunningSimulator,
    options: dict[str, Any],
    country: str,
) -> None:
    """A national number is read in the options' country, else Home Assistant's."""
    hass.config.country = country
    entry = mock_entry("infobip", simulator.url, options=options)
    entry.add_to_hass(hass)
    result = await start_recipient_flow(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "  ", CONF_NUMBER: "697 123 4567"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # No name: the number names the recipient.
    assert result["title"] == "+306971234567"
    assert result["data"] == {CONF_NAME: "+306971234567", CONF_NUMBER: "+306971234567"}


async def test_add_recipient_duplicate(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """The same number written another way is a duplicate."""
    entry = mock_entry("infobip", simulator.url, subentries=[recipient("Maria", "+306971234567")])
    entry.add_to_hass(hass)
    result = await start_recipient_flow(hass, entry)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Mum", CONF_NUMBER: "+30 697 123 4567"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(entry.subentries) == 1


async def test_reconfigure_recipient(hass: HomeAssistant, simulator: RunningSimulator) -> None:
    """A recipient's name and number can change; a taken number aborts."""
    hass.config.country = "GR"
    entry = mock_entry(
        "infobip",
        simulator.url,
        subentries=[recipient("Maria", "+306971234567"), recipient("Nikos", "+306981234567")],
    )
    entry.add_to_hass(hass)
    maria = next(s for s in entry.subentries.values() if s.title == "Maria")

    result = await start_recipient_flow(hass, entry, maria.subentry_id)
    assert result["step_id"] == "reconfigure"
    assert suggested(result) == {CONF_NAME: "Maria", CONF_NUMBER: "+306971234567"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Maria", CONF_NUMBER: "12"}
    )
    assert result["errors"] == {CONF_NUMBER: "invalid_number"}
    assert result["description_placeholders"] == {"reason": "invalid"}
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Maria", CONF_NUMBER: "6981234567"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"

    # Same number, new name: not a duplicate of itself.
    result = await start_recipient_flow(hass, entry, maria.subentry_id)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Maria P.", CONF_NUMBER: "6971234567"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.subentries[maria.subentry_id].title == "Maria P."

    result = await start_recipient_flow(hass, entry, maria.subentry_id)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {CONF_NAME: "Maria", CONF_NUMBER: "+357 96 123456"}
    )
    assert result["reason"] == "reconfigure_successful"
    updated = entry.subentries[maria.subentry_id]
    assert updated.title == "Maria"
    assert updated.unique_id == "+35796123456"
    assert dict(updated.data) == {CONF_NAME: "Maria", CONF_NUMBER: "+35796123456"}


async def test_options_show_webhook_path_without_any_url(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """With no URL configured at all, the options still show the webhook's path."""
    entry = mock_entry("voip_communications", simulator.url)
    entry.add_to_hass(hass)
    with patch(
        "custom_components.sms_gateway.flow_helpers.webhook.async_generate_url",
        side_effect=NoURLAvailableError,
    ):
        result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["description_placeholders"] == {
        "webhook_url": f"/api/webhook/{entry.data['webhook_id']}"
    }


async def test_options_offer_the_other_accounts_as_fallback(
    hass: HomeAssistant, simulator: RunningSimulator
) -> None:
    """The fallback account is one of the other SMS Gateway accounts."""
    entry = mock_entry("voip_communications", simulator.url)
    entry.add_to_hass(hass)
    other = mock_entry("infobip", simulator.url)
    other.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    schema = {str(m): s for m, s in result["data_schema"].schema.items()}
    assert schema[CONF_FALLBACK_ACCOUNT].config["options"] == [
        {"value": other.entry_id, "label": other.title}
    ]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_FALLBACK_ACCOUNT: other.entry_id, CONF_MAX_AGE: 6}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_FALLBACK_ACCOUNT] == other.entry_id
    assert entry.options[CONF_MAX_AGE] == 6
