"""The actions sms_gateway.lookup_number and sms_gateway.cancel_message.

``lookup_number`` asks the provider about a number (response only). What each
provider charges for it:

* Infobip-compatible: Number Context (``POST number/1/query``), one charged
  lookup per call; there is no free check, so ``network_check: false`` is
  refused rather than charged behind the caller's back.
* sms365: ``mobile/check`` is free (it needs no key) and tells validity,
  country and MCC/MNC; ``hlr/lookup`` asks the network (current network,
  ported, reachable) and costs 1/10 of an SMS. With ``network_check`` (the
  default) the free check runs first and the charged HLR lookup only for a
  number the free check found valid: nothing is paid for a number that
  cannot be one. Without it, only the free check runs.
* voip-communications: no lookup API; the action raises.

A number that is no valid phone number at all is answered ``valid: false``
without any request (nothing charged).

``cancel_message`` cancels a message: one still waiting in the account's
outbox (by the id its ``send_message`` result gave) is dropped there and never
sent; one the provider already took (a scheduled message, by the provider's
id) is canceled at the provider where it can do so (sms365 ``sms/cancel``),
and its delivery report is no longer waited for.

These handlers are registered by ``services.async_setup_services``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol, runtime_checkable

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import config_validation as cv
import probatio

from .account import default_region, loaded_entry, saved_recipients
from .const import ATTR_CONFIG_ENTRY_ID, DOMAIN
from .errors import SmsValidationError, number_error, provider_error, send_error
from .providers import (
    AuthenticationError,
    DeliveryStatus,
    InsufficientBalanceError,
    InvalidRecipientError,
    InvalidRequestError,
    NumberInfo,
    ProviderError,
    Reason,
    TransientError,
)
from .providers.phone import normalize_number, region_of
from .runtime import SmsGatewayConfigEntry

SERVICE_LOOKUP_NUMBER = "lookup_number"
SERVICE_CANCEL_MESSAGE = "cancel_message"
ATTR_NUMBER = "number"
ATTR_NETWORK_CHECK = "network_check"
ATTR_MESSAGE_ID = "message_id"
STATUS_CANCELED = "canceled"
WHERE_OUTBOX = "outbox"
WHERE_PROVIDER = "provider"


LOOKUP_NUMBER_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_NUMBER): cv.string,
        probatio.Optional(ATTR_NETWORK_CHECK, default=True): cv.boolean,
    }
)

CANCEL_MESSAGE_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_MESSAGE_ID): probatio.All(cv.string, probatio.Length(min=1)),
    }
)


@runtime_checkable
class FreeNumberCheck(Protocol):
    """A client with a free number check besides its charged lookup (sms365 ``mobile/check``)."""

    async def check_mobile(self, number: str) -> NumberInfo:
        """Check a number without charge."""


# -- lookup_number ------------------------------------------------------------------


def _reachable(info: NumberInfo) -> bool | None:
    """Read whether the handset is reachable now from the HLR / Number Context status."""
    if info.status is None:
        return None
    status = info.status.status
    if status is DeliveryStatus.DELIVERED:
        return True
    if status in (DeliveryStatus.UNDELIVERABLE, DeliveryStatus.EXPIRED):
        return False
    # sms365 reads "Absent subscriber" as pending: known, and not reachable now.
    if status is DeliveryStatus.PENDING and "absent" in (info.status.description or "").lower():
        return False
    return None


def _answer(info: NumberInfo, *, charged: bool) -> dict[str, Any]:
    """Return the action's response for a lookup."""
    number = info.number
    return {
        "number": number,
        "valid": info.valid,
        "country": region_of(number) if number.startswith("+") else None,
        "country_prefix": info.country_prefix,
        "network": info.network,
        "mcc": info.mcc,
        "mnc": info.mnc,
        "ported": info.ported,
        "roaming": info.roaming,
        "reachable": _reachable(info),
        "cost": info.cost,
        "charged": charged,
    }


def _merge(network: NumberInfo, free: NumberInfo) -> NumberInfo:
    """Complete the network lookup's answer with what the free check told."""
    return replace(
        network,
        number=free.number,
        country_prefix=network.country_prefix or free.country_prefix,
        mcc=network.mcc or free.mcc,
        mnc=network.mnc or free.mnc,
        cost=network.cost if network.cost is not None else free.cost,
    )


def _resolve_number(hass: HomeAssistant, entry: SmsGatewayConfigEntry, text: str) -> str | None:
    """Return the E.164 form of a number or saved recipient; None if it is no valid number."""
    by_name = {name.casefold(): number for name, number in saved_recipients(entry).items()}
    saved = by_name.get(text.strip().casefold())
    if saved is not None:
        return saved
    try:
        return normalize_number(text, default_region(hass, entry))
    except InvalidRecipientError as err:
        if err.provider_code == Reason.NO_COUNTRY:
            raise number_error(err, text) from err
        return None


def _provider_failure(
    hass: HomeAssistant, entry: SmsGatewayConfigEntry, err: ProviderError
) -> HomeAssistantError:
    """Return the error of a lookup or cancel request the provider did not answer as asked."""
    if isinstance(err, TransientError):
        return provider_error("provider_unavailable", account=entry.title, error=err.message)
    if isinstance(err, AuthenticationError):
        entry.async_start_reauth(hass)
    return send_error(err, entry.title)


async def _async_lookup_number(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    entry = loaded_entry(hass, call.data[ATTR_CONFIG_ENTRY_ID])
    client = entry.runtime_data.client
    if not client.capabilities.number_lookup:
        raise SmsValidationError("lookup_not_supported", account=entry.title)
    network_check: bool = call.data[ATTR_NETWORK_CHECK]
    free = client if isinstance(client, FreeNumberCheck) else None
    if free is None and not network_check:
        raise SmsValidationError("free_lookup_not_supported", account=entry.title)
    text: str = call.data[ATTR_NUMBER]
    number = _resolve_number(hass, entry, text)
    if number is None:
        return _answer(NumberInfo(number=text.strip(), valid=False), charged=False)
    try:
        if free is None:
            return _answer(await client.lookup_number(number), charged=True)
        info = await free.check_mobile(number)
        if not network_check or not info.valid:
            return _answer(info, charged=False)
        return _answer(_merge(await client.lookup_number(number), info), charged=True)
    except InsufficientBalanceError as err:
        raise provider_error("lookup_insufficient_balance", account=entry.title) from err
    except ProviderError as err:
        raise _provider_failure(hass, entry, err) from err


# -- cancel_message -------------------------------------------------------------------


async def _async_cancel_message(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    entry = loaded_entry(hass, call.data[ATTR_CONFIG_ENTRY_ID])
    message_id: str = call.data[ATTR_MESSAGE_ID]
    runtime = entry.runtime_data
    outbox = runtime.outbox
    if message_id in outbox.queue:
        if not outbox.cancel_queued(message_id):
            raise SmsValidationError("cancel_in_flight", account=entry.title, message_id=message_id)
        await outbox.async_flush()
        return {"message_id": message_id, "status": STATUS_CANCELED, "where": WHERE_OUTBOX}
    if not runtime.client.capabilities.cancel:
        raise SmsValidationError("cancel_not_supported", account=entry.title)
    try:
        await runtime.client.cancel(message_id)
    except InvalidRequestError as err:
        raise SmsValidationError(
            "cancel_not_found", account=entry.title, message_id=message_id, error=err.message
        ) from err
    except ProviderError as err:
        raise _provider_failure(hass, entry, err) from err
    runtime.tracker.forget(message_id)
    return {"message_id": message_id, "status": STATUS_CANCELED, "where": WHERE_PROVIDER}


@callback
def async_setup_number_actions(hass: HomeAssistant) -> None:
    """Register lookup_number and cancel_message (from services.async_setup_services)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_LOOKUP_NUMBER,
        _async_lookup_number,
        schema=LOOKUP_NUMBER_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_CANCEL_MESSAGE,
        _async_cancel_message,
        schema=CANCEL_MESSAGE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
