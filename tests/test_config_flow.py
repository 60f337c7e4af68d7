"""The config flow: provider choice, credentials, duplicate accounts."""

from typing import Any

from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import (
    CONF_API_KEY,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest

from custom_components.sms_gateway.const import (
    CONF_API_PASSWORD,
    CONF_PROVIDER,
    CONF_SENDER,
    DOMAIN,
)

CREDENTIALS: dict[str, tuple[dict[str, Any], str]] = {
    "infobip": (
        {CONF_URL: "https://api.shortlink.pro", CONF_USERNAME: "demo", CONF_PASSWORD: "pw"},
        "Infobip (demo)",
    ),
    "sms365": ({CONF_API_KEY: "key-123", CONF_SENDER: "Home"}, "sms365.gr"),
    "voip_communications": (
        {CONF_API_KEY: "vkey", CONF_API_PASSWORD: "secret"},
        "voip-communications.net (vkey)",
    ),
}


@pytest.mark.parametrize("provider", list(CREDENTIALS))
async def test_user_flow_creates_entry(hass: HomeAssistant, provider: str) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PROVIDER: provider}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"

    credentials, title = CREDENTIALS[provider]
    result = await hass.config_entries.flow.async_configure(result["flow_id"], credentials)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == title
    data = result["data"]
    assert data[CONF_PROVIDER] == provider
    assert {k: data[k] for k in credentials} == credentials
    assert len(data[CONF_WEBHOOK_ID]) >= 32
    entry = result["result"]
    assert entry.unique_id is not None
    # The sms365 API key is a secret: never used as the unique id.
    assert "key-123" not in entry.unique_id


async def test_same_account_aborts(hass: HomeAssistant) -> None:
    for expected in (FlowResultType.CREATE_ENTRY, FlowResultType.ABORT):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_PROVIDER: "sms365"}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_API_KEY: "same-key"}
        )
        assert result["type"] is expected
    assert result["reason"] == "already_configured"
