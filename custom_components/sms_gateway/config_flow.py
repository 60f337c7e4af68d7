"""Config flow for SMS Gateway.

* ``user``: pick a provider; then that provider's own credentials step
  (``infobip``, ``sms365``, ``voip_communications``). The credentials are
  checked live (``validate_credentials`` never sends a message); the account
  the provider reports is the entry's unique id. The title is the optional
  name the user gives, else the provider's proposal: never a credential, as
  the title is in logs, repairs, entity ids and notify service names.
* ``reauth_confirm``: ask only the secret again.
* ``reconfigure``: change the API address and credentials of the same account.
* Options: default sender, default country, balance polling, delivery reports.
* Subentries of type ``recipient``: named phone numbers, stored in E.164.

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

from collections.abc import Iterable, Mapping
from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import (
    CONF_API_KEY,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.selector import (
    BooleanSelector,
    CountrySelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import slugify
import probatio

from .const import (
    CONF_ACCEPT_ANY_SENDER,
    CONF_API_PASSWORD,
    CONF_BALANCE_INTERVAL,
    CONF_DEFAULT_COUNTRY,
    CONF_FALLBACK_ACCOUNT,
    CONF_INBOUND_INTERVAL,
    CONF_LOW_BALANCE_THRESHOLD,
    CONF_MAX_AGE,
    CONF_NUMBER,
    CONF_PASSPHRASE,
    CONF_PROVIDER,
    CONF_REPORT_MODE,
    CONF_SENDER,
    CONF_TRUSTED_SENDERS,
    DEFAULT_BALANCE_INTERVAL,
    DEFAULT_INBOUND_INTERVAL,
    DEFAULT_LOW_BALANCE_THRESHOLD,
    DEFAULT_MAX_AGE_HOURS,
    DEFAULT_URLS,
    DOMAIN,
    LOGGER,
    MAX_BALANCE_INTERVAL,
    MIN_BALANCE_INTERVAL,
    MIN_PASSPHRASE_LENGTH,
    PROVIDER_INFOBIP,
    PROVIDER_SMS365,
    PROVIDER_VOIP,
    PROVIDERS,
    REPORT_MODE_AUTO,
    REPORT_MODE_POLL,
    REPORT_MODE_PUSH,
    SUBENTRY_RECIPIENT,
)
from .providers import (
    CLIENTS,
    AccountInfo,
    AuthenticationError,
    Capabilities,
    InvalidRecipientError,
    InvalidRequestError,
    ProtocolError,
    TransientError,
    create_client,
)
from .providers.phone import normalize_number
from .providers.sender import validate_sender

_TEXT = TextSelector()
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_SECRET = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_PHONE = TextSelector(TextSelectorConfig(type=TextSelectorType.TEL))

# The field reauth asks for: the one a provider makes you change.
SECRET_FIELDS: dict[str, str] = {
    PROVIDER_INFOBIP: CONF_PASSWORD,
    PROVIDER_SMS365: CONF_API_KEY,
    PROVIDER_VOIP: CONF_API_PASSWORD,
}

# Providers whose account identity cannot survive a credential change (see above).
_KEY_IS_ACCOUNT = frozenset({PROVIDER_SMS365})


def credentials_fields(provider: str) -> dict[probatio.Marker, Any]:
    """Return the API address and credential fields of a provider."""
    if provider == PROVIDER_INFOBIP:
        return {
            probatio.Required(CONF_URL, default=DEFAULT_URLS[PROVIDER_INFOBIP]): _URL,
            probatio.Required(CONF_USERNAME): _TEXT,
            probatio.Required(CONF_PASSWORD): _SECRET,
        }
    if provider == PROVIDER_SMS365:
        return {
            probatio.Required(CONF_API_KEY): _SECRET,
            probatio.Optional(CONF_URL): _URL,
        }
    return {
        probatio.Required(CONF_API_KEY): _TEXT,
        probatio.Required(CONF_API_PASSWORD): _SECRET,
        probatio.Optional(CONF_URL): _URL,
    }


def report_modes(capabilities: Capabilities) -> list[str]:
    """Return the delivery report modes a provider supports (first = default)."""
    modes: list[str] = []
    if capabilities.delivery_reports_push and capabilities.delivery_reports_pull:
        modes.append(REPORT_MODE_AUTO)
    if capabilities.delivery_reports_push:
        modes.append(REPORT_MODE_PUSH)
    if capabilities.delivery_reports_pull:
        modes.append(REPORT_MODE_POLL)
    return modes


def _clean(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the input with the URL and sender trimmed; empty optional values dropped."""
    data = dict(user_input)
    for key in (CONF_URL, CONF_SENDER, CONF_PASSPHRASE):
        value = str(data.pop(key, "") or "").strip()
        if value:
            data[key] = value
    return data


def _check_trusted_senders(
    options: dict[str, Any], region: str | None, errors: dict[str, str]
) -> None:
    """Normalise the trusted senders to E.164; unset when empty (= saved recipients)."""
    raw = [str(n).strip() for n in options.pop(CONF_TRUSTED_SENDERS, None) or [] if str(n).strip()]
    if not raw:
        return
    numbers: list[str] = []
    for number in raw:
        try:
            numbers.append(normalize_number(number, region))
        except InvalidRecipientError:
            errors[CONF_TRUSTED_SENDERS] = "invalid_number"
            return
    options[CONF_TRUSTED_SENDERS] = sorted(set(numbers))


def _webhook_url(hass: HomeAssistant, entry: ConfigEntry[Any]) -> str:
    """Return the account's webhook URL, preferring the external one."""
    try:
        return webhook.async_generate_url(hass, entry.data[CONF_WEBHOOK_ID])
    except NoURLAvailableError:
        return webhook.async_generate_path(entry.data[CONF_WEBHOOK_ID])


def _check_sender(sender: str | None, capabilities: Capabilities, errors: dict[str, str]) -> None:
    """Add ``invalid_sender`` to errors if the provider would refuse the sender."""
    if not sender:
        return
    try:
        validate_sender(sender, capabilities.sender_rules)
    except InvalidRequestError:
        errors[CONF_SENDER] = "invalid_sender"


def unique_title(proposal: str, titles: Iterable[str]) -> str:
    """Return ``proposal``, numbered ("sms365.gr 2") if one of ``titles`` names it already.

    Entity ids and the ``notify.<title>`` services follow the title: a second
    sms365 account becomes "sms365.gr 2", not a "_2" suffix on each entity id
    and no notify services. Titles compare as slugs, as those names do. Used by
    the config flow and by the migration that takes credentials out of titles.
    """
    taken = {slugify(title) for title in titles}
    title, number = proposal, 1
    while slugify(title) in taken:
        number += 1
        title = f"{proposal} {number}"
    return title


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
            config = _clean(user_input)
            sender = config.pop(CONF_SENDER, None)
            name = str(config.pop(CONF_NAME, "") or "").strip()
            _check_sender(sender, CLIENTS[provider].capabilities, errors)
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
                probatio.Optional(CONF_SENDER): _TEXT,
                probatio.Optional(CONF_NAME): _TEXT,
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
            data_schema=probatio.Schema({probatio.Required(secret): _SECRET}),
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
            config = _clean(user_input)
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
        except AuthenticationError:
            errors["base"] = "invalid_auth"
        except (TransientError, ProtocolError):
            errors["base"] = "cannot_connect"
        except Exception:  # noqa: BLE001
            LOGGER.exception("Unexpected error checking the %s credentials", provider)
            errors["base"] = "unknown"
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


class SmsGatewayOptionsFlow(OptionsFlow):
    """Options: default sender and country, balance polling, delivery reports."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the options."""
        provider: str = self.config_entry.data[CONF_PROVIDER]
        capabilities = CLIENTS[provider].capabilities
        modes = report_modes(capabilities)
        errors: dict[str, str] = {}
        region = self.config_entry.options.get(CONF_DEFAULT_COUNTRY) or self.hass.config.country
        if user_input is not None:
            options = _clean(user_input)
            _check_sender(options.get(CONF_SENDER), capabilities, errors)
            _check_trusted_senders(options, region, errors)
            if len(options.get(CONF_PASSPHRASE, "")) in range(1, MIN_PASSPHRASE_LENGTH):
                errors[CONF_PASSPHRASE] = "passphrase_too_short"
            if not errors:
                options[CONF_MAX_AGE] = int(options.get(CONF_MAX_AGE, DEFAULT_MAX_AGE_HOURS))
                if CONF_INBOUND_INTERVAL in options:
                    options[CONF_INBOUND_INTERVAL] = int(options[CONF_INBOUND_INTERVAL])
                if CONF_BALANCE_INTERVAL in options:
                    options[CONF_BALANCE_INTERVAL] = int(options[CONF_BALANCE_INTERVAL])
                    options[CONF_LOW_BALANCE_THRESHOLD] = float(options[CONF_LOW_BALANCE_THRESHOLD])
                return self.async_create_entry(data=options)
        else:
            user_input = dict(self.config_entry.options)
            if CONF_DEFAULT_COUNTRY not in user_input and self.hass.config.country:
                user_input[CONF_DEFAULT_COUNTRY] = self.hass.config.country

        fields: dict[probatio.Marker, Any] = {
            probatio.Optional(CONF_SENDER): _TEXT,
            probatio.Optional(CONF_DEFAULT_COUNTRY): CountrySelector(),
        }
        if capabilities.balance:
            fields[probatio.Required(CONF_BALANCE_INTERVAL, default=DEFAULT_BALANCE_INTERVAL)] = (
                NumberSelector(
                    NumberSelectorConfig(
                        min=MIN_BALANCE_INTERVAL,
                        max=MAX_BALANCE_INTERVAL,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="min",
                    )
                )
            )
            fields[
                probatio.Required(CONF_LOW_BALANCE_THRESHOLD, default=DEFAULT_LOW_BALANCE_THRESHOLD)
            ] = NumberSelector(NumberSelectorConfig(min=0, step="any", mode=NumberSelectorMode.BOX))
        if modes:
            fields[probatio.Required(CONF_REPORT_MODE, default=modes[0])] = SelectSelector(
                SelectSelectorConfig(
                    options=modes,
                    mode=SelectSelectorMode.LIST,
                    translation_key=CONF_REPORT_MODE,
                )
            )
        fields[probatio.Required(CONF_MAX_AGE, default=DEFAULT_MAX_AGE_HOURS)] = NumberSelector(
            NumberSelectorConfig(
                min=1, max=72, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement="h"
            )
        )
        others = [
            SelectOptionDict(value=other.entry_id, label=other.title)
            for other in self.hass.config_entries.async_entries(DOMAIN)
            if other.entry_id != self.config_entry.entry_id
        ]
        if others:
            fields[probatio.Optional(CONF_FALLBACK_ACCOUNT)] = SelectSelector(
                SelectSelectorConfig(options=others, mode=SelectSelectorMode.DROPDOWN)
            )
        if capabilities.inbound_push or capabilities.inbound_pull:
            fields[probatio.Optional(CONF_TRUSTED_SENDERS)] = TextSelector(
                TextSelectorConfig(type=TextSelectorType.TEL, multiple=True)
            )
            fields[probatio.Required(CONF_ACCEPT_ANY_SENDER, default=False)] = BooleanSelector()
            fields[probatio.Optional(CONF_PASSPHRASE)] = _SECRET
        if capabilities.inbound_pull:
            fields[probatio.Required(CONF_INBOUND_INTERVAL, default=DEFAULT_INBOUND_INTERVAL)] = (
                NumberSelector(
                    NumberSelectorConfig(
                        min=0,
                        max=3600,
                        step=1,
                        mode=NumberSelectorMode.BOX,
                        unit_of_measurement="s",
                    )
                )
            )
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(probatio.Schema(fields), user_input),
            errors=errors,
            description_placeholders={"webhook_url": _webhook_url(self.hass, self.config_entry)},
        )


class RecipientSubentryFlow(ConfigSubentryFlow):
    """Add or edit a named recipient (a phone number)."""

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add a recipient."""
        return await self._async_step_recipient("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a recipient's name or number."""
        return await self._async_step_recipient("reconfigure", user_input)

    async def _async_step_recipient(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> SubentryFlowResult:
        entry = self._get_entry()
        subentry = self._get_reconfigure_subentry() if step_id == "reconfigure" else None
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            region = entry.options.get(CONF_DEFAULT_COUNTRY) or self.hass.config.country
            try:
                number = normalize_number(user_input[CONF_NUMBER], region)
            except InvalidRecipientError as err:
                errors[CONF_NUMBER] = "invalid_number"
                placeholders["reason"] = str(err.provider_code)
            else:
                if any(
                    other.unique_id == number
                    and (subentry is None or other.subentry_id != subentry.subentry_id)
                    for other in entry.subentries.values()
                ):
                    return self.async_abort(reason="already_configured")
                name = str(user_input[CONF_NAME]).strip() or number
                data = {CONF_NAME: name, CONF_NUMBER: number}
                if subentry is None:
                    return self.async_create_entry(title=name, data=data, unique_id=number)
                return self.async_update_and_abort(
                    entry, subentry, title=name, data=data, unique_id=number
                )
        elif subentry is not None:
            user_input = dict(subentry.data)
        schema = probatio.Schema(
            {probatio.Required(CONF_NAME): _TEXT, probatio.Required(CONF_NUMBER): _PHONE}
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders=placeholders or None,
        )
