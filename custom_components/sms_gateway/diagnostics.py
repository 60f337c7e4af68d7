"""Diagnostics: what a bug report needs, with credentials and phone numbers redacted."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_PASSWORD, CONF_USERNAME, CONF_WEBHOOK_ID
from homeassistant.core import HomeAssistant

from .const import (
    CONF_API_PASSWORD,
    CONF_NUMBER,
    CONF_PASSPHRASE,
    CONF_SENDER,
    CONF_TRUSTED_SENDERS,
)
from .coordinator import SmsGatewayConfigEntry

REDACTED = "**REDACTED**"
# Credentials and phone numbers: in the entry data and options, subentries, reports.
_SECRETS = {
    CONF_API_KEY,
    CONF_API_PASSWORD,
    CONF_PASSWORD,
    CONF_USERNAME,
    CONF_WEBHOOK_ID,
    CONF_PASSPHRASE,
}
_NUMBERS = {CONF_NUMBER, CONF_SENDER, CONF_TRUSTED_SENDERS, "recipient"}
TO_REDACT = {*_SECRETS, *_NUMBERS, "unique_id", "title"}
# Shorter values are not searched for in free text (they would blot out everything).
_MIN_SCRUB_LENGTH = 3


def _sensitive_values(entry: SmsGatewayConfigEntry) -> set[str]:
    """Return every secret and phone number configured for the account."""
    values: set[str] = set()

    def add(value: Any) -> None:
        if isinstance(value, (list, tuple, set)):
            for item in value:
                add(item)
            return
        text = str(value or "").strip()
        for form in (text, text.lstrip("+")):
            if len(form) >= _MIN_SCRUB_LENGTH:
                values.add(form)

    for mapping in (entry.data, entry.options, *(s.data for s in entry.subentries.values())):
        for key, value in mapping.items():
            if key in TO_REDACT:
                add(value)
    return values


def _scrub(value: Any, sensitive: list[str]) -> Any:
    """Replace what a redacted key held wherever else it shows up (error texts ...)."""
    if isinstance(value, str):
        for secret in sensitive:
            value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, dict):
        return {key: _scrub(item, sensitive) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(item, sensitive) for item in value]
    return value


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
            "viber_balance_ok": state.viber_balance_ok,
            "last_update_success": data.coordinator.last_update_success,
        }
    last = data.tracker.last
    diagnostics = {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
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
        "usage": data.usage.summary(),
        "delivery_reports": {
            "mode": data.tracker.mode,
            "pending": len(data.tracker.pending),
            # Status values the provider's document does not list (read as pending).
            "unknown_statuses": dict(data.client.unknown_statuses),
            "last": async_redact_data(last.as_dict(), TO_REDACT) if last else None,
        },
    }
    # Longest first: a number without its '+' is part of the number with it.
    sensitive = sorted(_sensitive_values(entry), key=len, reverse=True)
    result: dict[str, Any] = _scrub(diagnostics, sensitive)
    return result
