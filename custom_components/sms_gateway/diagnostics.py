"""Diagnostics: what a bug report needs, with credentials and phone numbers redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_PASSWORD, CONF_USERNAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from .const import CONF_API_PASSWORD, CONF_NUMBER
from .coordinator import SmsGatewayConfigEntry

TO_REDACT = {
    CONF_API_KEY,
    CONF_API_PASSWORD,
    CONF_PASSWORD,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
    CONF_NUMBER,
    "recipient",
    "unique_id",
    "title",
}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: SmsGatewayConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    data = entry.runtime_data
    account: dict[str, Any] | None = None
    if data.coordinator is not None and data.coordinator.data is not None:
        state = data.coordinator.data
        account = {
            "balance": asdict(state.balance),
            "viber_senders": {
                str(index): asdict(sender)
                for index, sender in enumerate(state.viber_senders.values())
            },
            "last_update_success": data.coordinator.last_update_success,
        }
    last = data.tracker.last
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
            "subentries": [
                {
                    "type": subentry.subentry_type,
                    "data": async_redact_data(dict(subentry.data), TO_REDACT),
                }
                for subentry in entry.subentries.values()
            ],
        },
        "provider": {
            "name": data.client.provider,
            "base_url": data.client.base_url,
            "capabilities": asdict(data.client.capabilities),
        },
        "account": account,
        "outbox": data.outbox.summary(),
        "delivery_reports": {
            "mode": data.tracker.mode,
            "pending": len(data.tracker.pending),
            "last": async_redact_data(last.as_dict(), TO_REDACT) if last else None,
        },
    }
