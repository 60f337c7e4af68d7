"""Config flow for SMS Gateway: pick a provider, then enter its credentials."""

from __future__ import annotations

import hashlib
from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import ConfigFlow, ConfigFlowResult
from homeassistant.const import (
    CONF_API_KEY,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
)
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
import voluptuous as vol

from .const import (
    CONF_API_PASSWORD,
    CONF_PROVIDER,
    CONF_SENDER,
    DEFAULT_URLS,
    DOMAIN,
    PROVIDER_INFOBIP,
    PROVIDER_SMS365,
    PROVIDER_VOIP,
    PROVIDERS,
)

_TEXT = TextSelector()
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))


def credentials_schema(provider: str) -> vol.Schema:
    """Return the credential fields of a provider."""
    if provider == PROVIDER_INFOBIP:
        fields: dict[vol.Marker, Any] = {
            vol.Required(CONF_URL, default=DEFAULT_URLS[PROVIDER_INFOBIP]): _URL,
            vol.Required(CONF_USERNAME): _TEXT,
            vol.Required(CONF_PASSWORD): _PASSWORD,
        }
    elif provider == PROVIDER_SMS365:
        fields = {
            vol.Required(CONF_API_KEY): _PASSWORD,
            vol.Optional(CONF_URL): _URL,
        }
    else:
        fields = {
            vol.Required(CONF_API_KEY): _TEXT,
            vol.Required(CONF_API_PASSWORD): _PASSWORD,
            vol.Optional(CONF_URL): _URL,
        }
    fields[vol.Optional(CONF_SENDER)] = _TEXT
    return vol.Schema(fields)


def account_id(provider: str, data: dict[str, Any]) -> str:
    """Return a stable id of the provider account the credentials belong to."""
    if provider == PROVIDER_INFOBIP:
        url = str(data.get(CONF_URL) or DEFAULT_URLS[provider]).rstrip("/").lower()
        return f"{provider}:{url}:{data[CONF_USERNAME]}"
    # sms365 has only a key: identify the account by a digest, never the key itself.
    digest = hashlib.sha256(str(data[CONF_API_KEY]).encode()).hexdigest()[:16]
    return f"{provider}:{digest}"


class SmsGatewayConfigFlow(ConfigFlow, domain=DOMAIN):
    """Handle a config flow for SMS Gateway."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with no provider chosen."""
        self._provider: str | None = None

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user pick a provider."""
        if user_input is not None:
            self._provider = user_input[CONF_PROVIDER]
            return await self.async_step_credentials()
        return self.async_show_form(
            step_id="user",
            data_schema=vol.Schema(
                {
                    vol.Required(CONF_PROVIDER): SelectSelector(
                        SelectSelectorConfig(
                            options=list(PROVIDERS),
                            mode=SelectSelectorMode.LIST,
                            translation_key=CONF_PROVIDER,
                        )
                    )
                }
            ),
        )

    async def async_step_credentials(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the chosen provider's credentials."""
        assert self._provider is not None
        if user_input is not None:
            await self.async_set_unique_id(account_id(self._provider, user_input))
            self._abort_if_unique_id_configured()
            return self.async_create_entry(
                title=self._title(user_input),
                data={
                    CONF_PROVIDER: self._provider,
                    **user_input,
                    CONF_WEBHOOK_ID: webhook.async_generate_id(),
                },
            )
        return self.async_show_form(
            step_id="credentials",
            data_schema=credentials_schema(self._provider),
            description_placeholders={"provider": self._provider},
        )

    def _title(self, data: dict[str, Any]) -> str:
        if self._provider == PROVIDER_INFOBIP:
            return f"Infobip ({data[CONF_USERNAME]})"
        if self._provider == PROVIDER_SMS365:
            return "sms365.gr"
        assert self._provider == PROVIDER_VOIP
        return f"voip-communications.net ({data[CONF_API_KEY]})"
