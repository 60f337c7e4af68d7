"""Config flow for SMS Gateway.

* ``user``: pick a provider; then that provider's own credentials step
  (``infobip``, ``sms365``, ``voip_communications``). The credentials are
  checked live (``validate_credentials`` never sends a message); the account
  the provider reports is the entry's unique id. The title is the optional
  name the user gives, else the provider's proposal: never a credential, as
  the title is in logs, repairs, entity ids and notify service names.
* ``reauth_confirm``: ask only the secret again.
* ``reconfigure``: change the API address and credentials of the same account.
* Options and recipient subentries: options_flow.py; what the flows share:
  flow_helpers.py.

sms365 has a single credential, the API key, and its API tells nothing about
the account behind it: the account id is a digest of the key. Resetting the
key on sms365.gr therefore changes the id, and reauth/reconfigure could never
succeed if they required the same id. For sms365 they accept any working key
(the account cannot be compared) and move the entry to the new id, unless
another entry already has it (``already_configured``). Infobip-compatible and
voip-communications accounts have a stable identity (host + username, API
key): for them, credentials of another account abort with ``wrong_account``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
)
from homeassistant.const import (
    CONF_NAME,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import probatio

from .const import (
    CONF_PROVIDER,
    CONF_SENDER,
    DOMAIN,
    LOGGER,
    PROVIDER_INFOBIP,
    PROVIDER_SMS365,
    PROVIDER_VOIP,
    PROVIDERS,
    SUBENTRY_RECIPIENT,
)
from .errors import form_error
from .flow_helpers import (
    SECRET,
    SECRET_FIELDS,
    TEXT,
    check_sender,
    clean_input,
    credentials_fields,
    unique_title,
)
from .options_flow import RecipientSubentryFlow, SmsGatewayOptionsFlow
from .providers import (
    CLIENTS,
    AccountInfo,
    create_client,
)

# Providers whose account identity cannot survive a credential change (see above).
_KEY_IS_ACCOUNT = frozenset({PROVIDER_SMS365})


class SmsGatewayConfigFlow(ConfigFlow, domain=DOMAIN):
    """Handle a config flow for SMS Gateway."""

    VERSION = 1
    # 1.2: unique ids and device identifiers from the entry's id (async_migrate_entry).
    MINOR_VERSION = 2

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: ConfigEntry) -> SmsGatewayOptionsFlow:
        """Return the options flow."""
        return SmsGatewayOptionsFlow()

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """Return the subentry types: recipients."""
        return {SUBENTRY_RECIPIENT: RecipientSubentryFlow}

    # -- new entry ------------------------------------------------------------

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Let the user pick a provider."""
        if user_input is not None:
            return await self._async_step_credentials(user_input[CONF_PROVIDER], None)
        return self.async_show_form(
            step_id="user",
            data_schema=probatio.Schema(
                {
                    probatio.Required(CONF_PROVIDER): SelectSelector(
                        SelectSelectorConfig(
                            options=list(PROVIDERS),
                            mode=SelectSelectorMode.LIST,
                            translation_key=CONF_PROVIDER,
                        )
                    )
                }
            ),
        )

    async def async_step_infobip(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the credentials of an Infobip-compatible API."""
        return await self._async_step_credentials(PROVIDER_INFOBIP, user_input)

    async def async_step_sms365(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the sms365.gr API key."""
        return await self._async_step_credentials(PROVIDER_SMS365, user_input)

    async def async_step_voip_communications(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the voip-communications.net API key and password."""
        return await self._async_step_credentials(PROVIDER_VOIP, user_input)

    async def _async_step_credentials(
        self, provider: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Check a provider's credentials live, then create the entry."""
        errors: dict[str, str] = {}
        if user_input is not None:
            config = clean_input(user_input)
            sender = config.pop(CONF_SENDER, None)
            name = str(config.pop(CONF_NAME, "") or "").strip()
            check_sender(sender, CLIENTS[provider].capabilities, errors)
            if not errors:
                info = await self._async_validate(provider, config, errors)
                if info is not None:
                    await self.async_set_unique_id(info.account_id)
                    self._abort_if_unique_id_configured()
                    return self.async_create_entry(
                        title=name or self._unique_title(info.title),
                        data={
                            CONF_PROVIDER: provider,
                            **config,
                            CONF_WEBHOOK_ID: webhook.async_generate_id(),
                        },
                        options={CONF_SENDER: sender} if sender else {},
                    )
        schema = probatio.Schema(
            {
                **credentials_fields(provider),
                probatio.Optional(CONF_SENDER): TEXT,
                probatio.Optional(CONF_NAME): TEXT,
            }
        )
        return self.async_show_form(
            step_id=provider,
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
        )

    # -- reauth ---------------------------------------------------------------

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start reauthentication after the provider refused the credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the secret again and check it."""
        entry = self._get_reauth_entry()
        provider: str = entry.data[CONF_PROVIDER]
        secret = SECRET_FIELDS[provider]
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, secret: user_input[secret]}
            info = await self._async_validate(provider, data, errors)
            if info is not None:
                return await self._async_update_account(entry, info, data, "reauth_successful")
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=probatio.Schema({probatio.Required(secret): SECRET}),
            errors=errors,
            description_placeholders={"account": entry.title},
        )

    # -- reconfigure ----------------------------------------------------------

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the API address and credentials of the same account."""
        entry = self._get_reconfigure_entry()
        provider: str = entry.data[CONF_PROVIDER]
        errors: dict[str, str] = {}
        if user_input is not None:
            config = clean_input(user_input)
            info = await self._async_validate(provider, config, errors)
            if info is not None:
                data = {
                    CONF_PROVIDER: provider,
                    **config,
                    CONF_WEBHOOK_ID: entry.data[CONF_WEBHOOK_ID],
                }
                return await self._async_update_account(entry, info, data, "reconfigure_successful")
        else:
            # Offer what is known, never the secret.
            user_input = {k: v for k, v in entry.data.items() if k != SECRET_FIELDS[provider]}
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                probatio.Schema(credentials_fields(provider)), user_input
            ),
            errors=errors,
            description_placeholders={"account": entry.title},
        )

    # -- helpers --------------------------------------------------------------

    def _unique_title(self, proposal: str) -> str:
        """Return the provider's proposed title, numbered if another account has it.

        A name the user typed is kept as typed even when another account has it
        (Home Assistant allows that): it was chosen on purpose, and renaming what
        they just typed would surprise more than the "_2" it leads to.
        """
        return unique_title(proposal, (entry.title for entry in self._async_current_entries()))

    async def _async_validate(
        self, provider: str, config: Mapping[str, Any], errors: dict[str, str]
    ) -> AccountInfo | None:
        """Check credentials live; fill errors and return None when they fail."""
        client = create_client(provider, async_get_clientsession(self.hass), config)
        try:
            return await client.validate_credentials()
        except Exception as err:  # noqa: BLE001 - every failure is told on the form
            errors["base"] = form_error(err)
            if errors["base"] == "unknown":
                LOGGER.exception("Unexpected error checking the %s credentials", provider)
        return None

    async def _async_update_account(
        self, entry: ConfigEntry, info: AccountInfo, data: dict[str, Any], reason: str
    ) -> ConfigFlowResult:
        """Store new credentials of the entry's account; the update listener reloads."""
        provider: str = entry.data[CONF_PROVIDER]
        existing = await self.async_set_unique_id(info.account_id, raise_on_progress=False)
        if provider in _KEY_IS_ACCOUNT:
            # A new key is a new id: accept it unless it is another entry's account.
            if existing is not None and existing.entry_id != entry.entry_id:
                return self.async_abort(reason="already_configured")
        else:
            self._abort_if_unique_id_mismatch(reason="wrong_account")
        self.hass.config_entries.async_update_entry(entry, data=data, unique_id=info.account_id)
        return self.async_abort(reason=reason)
