"""Options flow (defaults, polling, delivery reports, trust) and recipient subentries.

* Options: default sender, default country, balance polling, delivery
  reports, how long to retry, spending limits, trusted senders and the passphrase, Assist over SMS, received-SMS
  polling, the fallback account. Changing them reloads the account.
* Subentries of type ``recipient``: named phone numbers, stored in E.164,
  each with a device and a notify entity of its own.
"""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import (
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    SubentryFlowResult,
)
from homeassistant.const import (
    CONF_NAME,
)
from homeassistant.helpers.selector import (
    BooleanSelector,
    ConversationAgentSelector,
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
import probatio

from .account import default_region
from .const import (
    CONF_ACCEPT_ANY_SENDER,
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
    DEFAULT_ASSIST_MAX_SEGMENTS,
    DEFAULT_ASSIST_RATE,
    DEFAULT_BALANCE_INTERVAL,
    DEFAULT_INBOUND_INTERVAL,
    DEFAULT_LIMIT_DAY,
    DEFAULT_LIMIT_HOUR,
    DEFAULT_LOW_BALANCE_THRESHOLD,
    DEFAULT_MAX_AGE_HOURS,
    DOMAIN,
    MAX_ASSIST_RATE,
    MAX_ASSIST_SEGMENTS,
    MAX_BALANCE_INTERVAL,
    MAX_LIMIT,
    MIN_BALANCE_INTERVAL,
    MIN_PASSPHRASE_LENGTH,
)
from .flow_helpers import (
    PHONE,
    SECRET,
    TEXT,
    check_sender,
    check_trusted_senders,
    clean_input,
    report_modes,
    webhook_url,
)
from .providers import (
    CLIENTS,
    InvalidRecipientError,
)
from .providers.phone import normalize_number


class SmsGatewayOptionsFlow(OptionsFlow):
    """Options: default sender and country, balance polling, delivery reports."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the options."""
        provider: str = self.config_entry.data[CONF_PROVIDER]
        capabilities = CLIENTS[provider].capabilities
        modes = report_modes(capabilities)
        errors: dict[str, str] = {}
        region = default_region(self.hass, self.config_entry)
        if user_input is not None:
            options = clean_input(user_input)
            check_sender(options.get(CONF_SENDER), capabilities, errors)
            check_trusted_senders(options, region, errors)
            if len(options.get(CONF_PASSPHRASE, "")) in range(1, MIN_PASSPHRASE_LENGTH):
                errors[CONF_PASSPHRASE] = "passphrase_too_short"
            if not errors:
                options[CONF_MAX_AGE] = int(options.get(CONF_MAX_AGE, DEFAULT_MAX_AGE_HOURS))
                for key in (
                    CONF_ASSIST_MAX_SEGMENTS,
                    CONF_ASSIST_RATE,
                    CONF_LIMIT_HOUR,
                    CONF_LIMIT_DAY,
                ):
                    if key in options:
                        options[key] = int(options[key])
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
            probatio.Optional(CONF_SENDER): TEXT,
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
        for key, default in (
            (CONF_LIMIT_HOUR, DEFAULT_LIMIT_HOUR),
            (CONF_LIMIT_DAY, DEFAULT_LIMIT_DAY),
        ):
            fields[probatio.Required(key, default=default)] = NumberSelector(
                NumberSelectorConfig(
                    min=0,
                    max=MAX_LIMIT,
                    step=1,
                    mode=NumberSelectorMode.BOX,
                    unit_of_measurement="SMS",
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
        if capabilities.inbound:
            fields[probatio.Optional(CONF_TRUSTED_SENDERS)] = TextSelector(
                TextSelectorConfig(type=TextSelectorType.TEL, multiple=True)
            )
            fields[probatio.Required(CONF_ACCEPT_ANY_SENDER, default=False)] = BooleanSelector()
            fields[probatio.Optional(CONF_PASSPHRASE)] = SECRET
            fields.update(_assist_fields())
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
            description_placeholders={"webhook_url": webhook_url(self.hass, self.config_entry)},
        )


def _assist_fields() -> dict[probatio.Marker, Any]:
    """Return the options of Assist over SMS (assist.py)."""

    def count(maximum: int, unit: str) -> NumberSelector:
        return NumberSelector(
            NumberSelectorConfig(
                min=1, max=maximum, step=1, mode=NumberSelectorMode.BOX, unit_of_measurement=unit
            )
        )

    return {
        probatio.Required(CONF_ASSIST, default=False): BooleanSelector(),
        probatio.Optional(CONF_ASSIST_AGENT): ConversationAgentSelector(),
        probatio.Required(CONF_ASSIST_MAX_SEGMENTS, default=DEFAULT_ASSIST_MAX_SEGMENTS): count(
            MAX_ASSIST_SEGMENTS, "SMS"
        ),
        probatio.Required(CONF_ASSIST_RATE, default=DEFAULT_ASSIST_RATE): count(
            MAX_ASSIST_RATE, "/h"
        ),
    }


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
            region = default_region(self.hass, entry)
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
            {probatio.Required(CONF_NAME): TEXT, probatio.Required(CONF_NUMBER): PHONE}
        )
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, user_input),
            errors=errors,
            description_placeholders=placeholders or None,
        )
