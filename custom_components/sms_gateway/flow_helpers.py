"""What the config, options and recipient flows share: fields, input cleaning, checks."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from homeassistant.components import webhook
from homeassistant.config_entries import (
    ConfigEntry,
)
from homeassistant.const import (
    CONF_API_KEY,
    CONF_PASSWORD,
    CONF_URL,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.network import NoURLAvailableError
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import slugify
import probatio

from .const import (
    CONF_API_PASSWORD,
    CONF_PASSPHRASE,
    CONF_SENDER,
    CONF_TRUSTED_SENDERS,
    DEFAULT_URLS,
    PROVIDER_INFOBIP,
    PROVIDER_SMS365,
    PROVIDER_VOIP,
    REPORT_MODE_AUTO,
    REPORT_MODE_POLL,
    REPORT_MODE_PUSH,
)
from .providers import (
    Capabilities,
    InvalidRecipientError,
    InvalidRequestError,
)
from .providers.phone import normalize_number
from .providers.sender import validate_sender

TEXT = TextSelector()
URL_TEXT = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
SECRET = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
PHONE = TextSelector(TextSelectorConfig(type=TextSelectorType.TEL))

# The field reauth asks for: the one a provider makes you change.
SECRET_FIELDS: dict[str, str] = {
    PROVIDER_INFOBIP: CONF_PASSWORD,
    PROVIDER_SMS365: CONF_API_KEY,
    PROVIDER_VOIP: CONF_API_PASSWORD,
}


def credentials_fields(provider: str) -> dict[probatio.Marker, Any]:
    """Return the API address and credential fields of a provider."""
    if provider == PROVIDER_INFOBIP:
        return {
            probatio.Required(CONF_URL, default=DEFAULT_URLS[PROVIDER_INFOBIP]): URL_TEXT,
            probatio.Required(CONF_USERNAME): TEXT,
            probatio.Required(CONF_PASSWORD): SECRET,
        }
    if provider == PROVIDER_SMS365:
        return {
            probatio.Required(CONF_API_KEY): SECRET,
            probatio.Optional(CONF_URL): URL_TEXT,
        }
    return {
        probatio.Required(CONF_API_KEY): TEXT,
        probatio.Required(CONF_API_PASSWORD): SECRET,
        probatio.Optional(CONF_URL): URL_TEXT,
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


def clean_input(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Return the input with the URL and sender trimmed; empty optional values dropped."""
    data = dict(user_input)
    for key in (CONF_URL, CONF_SENDER, CONF_PASSPHRASE):
        value = str(data.pop(key, "") or "").strip()
        if value:
            data[key] = value
    return data


def check_trusted_senders(
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


def webhook_url(hass: HomeAssistant, entry: ConfigEntry[Any]) -> str:
    """Return the account's webhook URL, preferring the external one."""
    try:
        return webhook.async_generate_url(hass, entry.data[CONF_WEBHOOK_ID])
    except NoURLAvailableError:
        return webhook.async_generate_path(entry.data[CONF_WEBHOOK_ID])


def check_sender(sender: str | None, capabilities: Capabilities, errors: dict[str, str]) -> None:
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
