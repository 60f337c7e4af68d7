"""The actions: sms_gateway.send_message and sms_gateway.reply."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
import probatio

from .account import loaded_entry
from .assist import find_received, reply_request
from .const import (
    ATTR_BUTTON_TEXT,
    ATTR_BUTTON_URL,
    ATTR_CHANNEL,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_IMAGE_URL,
    ATTR_SEND_AT,
    ATTR_SENDER,
    ATTR_SMS_FALLBACK,
    ATTR_VALIDITY,
    DOMAIN,
    SERVICE_REPLY,
    SERVICE_SEND_MESSAGE,
)
from .errors import SmsValidationError
from .number_actions import async_setup_number_actions
from .outbox import RecipientResult, SendRequest, raise_for_failures
from .providers import Channel

ATTR_TARGET = "target"
ATTR_MESSAGE = "message"
ATTR_TITLE = "title"
ATTR_MESSAGE_ID = "message_id"

# The fields the send_message service and the legacy notify ``data`` share.
_SCHEDULE_AND_VIBER: dict[Any, Any] = {
    probatio.Optional(ATTR_SEND_AT): cv.datetime,
    probatio.Optional(ATTR_IMAGE_URL): cv.url,
    probatio.Optional(ATTR_BUTTON_TEXT): cv.string,
    probatio.Optional(ATTR_BUTTON_URL): cv.url,
    probatio.Optional(ATTR_VALIDITY): probatio.All(
        probatio.Coerce(int), probatio.Range(min=1, max=86400)
    ),
}

SEND_MESSAGE_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_TARGET): probatio.All(
            cv.ensure_list, [cv.string], probatio.Length(min=1)
        ),
        probatio.Required(ATTR_MESSAGE): cv.string,
        probatio.Optional(ATTR_TITLE): cv.string,
        probatio.Optional(ATTR_CHANNEL, default=Channel.SMS.value): probatio.In(
            [c.value for c in Channel]
        ),
        probatio.Optional(ATTR_SENDER): cv.string,
        probatio.Optional(ATTR_SMS_FALLBACK, default=True): cv.boolean,
        **_SCHEDULE_AND_VIBER,
    }
)

REPLY_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_MESSAGE_ID): cv.string,
        probatio.Required(ATTR_MESSAGE): cv.string,
    }
)


# The ``data`` of the legacy notify services.
NOTIFY_DATA_SCHEMA = probatio.Schema(
    {
        probatio.Optional(ATTR_SENDER): cv.string,
        probatio.Optional(ATTR_SMS_FALLBACK): cv.boolean,
        **_SCHEDULE_AND_VIBER,
    }
)


def validate_notify_data(data: object) -> dict[str, object]:
    """Validate a legacy notify call's ``data``, raising a translated error."""
    try:
        return dict(NOTIFY_DATA_SCHEMA(data or {}))
    except probatio.Invalid as err:
        raise SmsValidationError("invalid_notify_data", error=str(err)) from err


def _as_aware(value: datetime | None) -> datetime | None:
    """Read a naive date and time as Home Assistant's local time."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt_util.get_default_time_zone())


def request_from_data(data: dict[str, object], targets: list[str]) -> SendRequest:
    """Build a SendRequest from action (or notify ``data``) fields."""
    validity = data.get(ATTR_VALIDITY)
    return SendRequest(
        targets=tuple(targets),
        message=str(data.get(ATTR_MESSAGE, "")),
        title=str(data[ATTR_TITLE]) if data.get(ATTR_TITLE) else None,
        channel=Channel(str(data.get(ATTR_CHANNEL, Channel.SMS.value))),
        sender=str(data[ATTR_SENDER]) if data.get(ATTR_SENDER) else None,
        sms_fallback=bool(data.get(ATTR_SMS_FALLBACK, True)),
        send_at=_as_aware(data.get(ATTR_SEND_AT)),  # type: ignore[arg-type]
        image_url=str(data[ATTR_IMAGE_URL]) if data.get(ATTR_IMAGE_URL) else None,
        button_text=str(data[ATTR_BUTTON_TEXT]) if data.get(ATTR_BUTTON_TEXT) else None,
        button_url=str(data[ATTR_BUTTON_URL]) if data.get(ATTR_BUTTON_URL) else None,
        validity=int(validity) if isinstance(validity, int) else None,
    )


def _respond(call: ServiceCall, results: list[RecipientResult], account: str) -> ServiceResponse:
    """Raise for failures (all of them, or any when no response is wanted); else answer."""
    raise_for_failures(results, partial_ok=call.return_response, account=account)
    if not call.return_response:
        return None
    return {"results": [result.as_dict() for result in results]}


async def _async_send_message(call: ServiceCall) -> ServiceResponse:
    entry = loaded_entry(call.hass, call.data[ATTR_CONFIG_ENTRY_ID])
    request = request_from_data(dict(call.data), call.data[ATTR_TARGET])
    results = await entry.runtime_data.outbox.async_send(request)
    return _respond(call, results, entry.title)


async def _async_reply(call: ServiceCall) -> ServiceResponse:
    entry, sms = find_received(call.hass, call.data[ATTR_MESSAGE_ID])
    results = await entry.runtime_data.outbox.async_send(
        reply_request(sms, call.data[ATTR_MESSAGE])
    )
    return _respond(call, results, entry.title)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, in async_setup)."""
    hass.services.async_register(
        DOMAIN,
        SERVICE_SEND_MESSAGE,
        _async_send_message,
        schema=SEND_MESSAGE_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_REPLY,
        _async_reply,
        schema=REPLY_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    async_setup_number_actions(hass)
