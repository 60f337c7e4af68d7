"""Device trigger "SMS received", with optional sender, keyword and text filters.

It fires only for trusted senders (the account's trusted senders, by default
its saved recipients), unless the account's options accept any sender.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_PLATFORM, CONF_TYPE
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType
import probatio

from .account import saved_recipients
from .const import CONF_PROVIDER, DOMAIN
from .coordinator import SmsGatewayConfigEntry
from .inbound import ReceivedSms, normalize_sender, signal_inbound
from .providers import CLIENTS

TRIGGER_SMS_RECEIVED = "sms_received"
CONF_SENDER = "sender"
CONF_KEYWORD = "keyword"
CONF_TEXT_CONTAINS = "text_contains"

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {
        probatio.Required(CONF_TYPE): probatio.In([TRIGGER_SMS_RECEIVED]),
        probatio.Optional(CONF_SENDER): cv.string,
        probatio.Optional(CONF_KEYWORD): cv.string,
        probatio.Optional(CONF_TEXT_CONTAINS): cv.string,
    }
)


def _entry_for_device(hass: HomeAssistant, device_id: str) -> SmsGatewayConfigEntry | None:
    """Return the account whose own device this is (not a recipient's device)."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None or device.config_subentry_id is not None:
        return None
    entry = hass.config_entries.async_get_entry(device.config_entry_id)
    if entry is None or entry.domain != DOMAIN:
        return None
    return entry


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """Offer "SMS received" on accounts that can receive SMS."""
    entry = _entry_for_device(hass, device_id)
    client = CLIENTS.get(entry.data.get(CONF_PROVIDER, "")) if entry is not None else None
    if client is None or not client.capabilities.inbound:
        return []
    return [
        {
            CONF_PLATFORM: "device",
            CONF_DOMAIN: DOMAIN,
            CONF_DEVICE_ID: device_id,
            CONF_TYPE: TRIGGER_SMS_RECEIVED,
        }
    ]


async def async_get_trigger_capabilities(
    hass: HomeAssistant, config: ConfigType
) -> dict[str, probatio.Schema]:
    """Return the optional filters, offering the saved recipients as senders."""
    entry = _entry_for_device(hass, config[CONF_DEVICE_ID])
    options: list[SelectOptionDict] = []
    if entry is not None:
        options = [
            SelectOptionDict(value=number, label=f"{name} ({number})")
            for name, number in saved_recipients(entry).items()
        ]
    return {
        "extra_fields": probatio.Schema(
            {
                probatio.Optional(CONF_SENDER): SelectSelector(
                    SelectSelectorConfig(
                        options=options, custom_value=True, mode=SelectSelectorMode.DROPDOWN
                    )
                ),
                probatio.Optional(CONF_KEYWORD): TextSelector(),
                probatio.Optional(CONF_TEXT_CONTAINS): TextSelector(),
            }
        )
    }


def matches(sms: ReceivedSms, config: ConfigType, region: str | None) -> bool:
    """Return whether a received SMS passes a trigger's filters."""
    if not sms.may_trigger:
        return False
    sender = config.get(CONF_SENDER)
    if sender and normalize_sender(str(sender), region) != sms.sender:
        return False
    keyword = config.get(CONF_KEYWORD)
    if keyword and (sms.keyword or "").casefold() != str(keyword).strip().casefold():
        return False
    contains = config.get(CONF_TEXT_CONTAINS)
    return not (contains and str(contains).casefold() not in sms.text.casefold())


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Listen for inbound SMS of the device's account."""
    config = TRIGGER_SCHEMA(config)
    device_id = config[CONF_DEVICE_ID]
    entry = _entry_for_device(hass, device_id)
    if entry is None:
        return lambda: None
    job = HassJob(action, f"{DOMAIN} SMS received trigger")
    trigger_data = trigger_info["trigger_data"]

    @callback
    def received(sms: ReceivedSms) -> None:
        region = entry.runtime_data.inbound.region
        if not matches(sms, config, region):
            return
        hass.async_run_hass_job(
            job,
            {
                "trigger": {
                    **trigger_data,
                    CONF_PLATFORM: "device",
                    CONF_DOMAIN: DOMAIN,
                    CONF_DEVICE_ID: device_id,
                    CONF_TYPE: TRIGGER_SMS_RECEIVED,
                    "sender": sms.sender,
                    "text": sms.text,
                    "keyword": sms.keyword,
                    "clean_text": sms.clean_text,
                    "message_id": sms.message_id,
                    "trusted": sms.trusted,
                    "description": f"SMS from {sms.sender}",
                }
            },
        )

    return async_dispatcher_connect(hass, signal_inbound(entry.entry_id), received)
