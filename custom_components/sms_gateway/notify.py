"""Notify entities, one per saved recipient; the legacy services live in legacy_notify.

Home Assistant looks the legacy services up as this platform's
``async_get_service``, hence the import.
"""

from __future__ import annotations

from homeassistant.components.notify import NotifyEntity, NotifyEntityFeature
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .account import recipient_subentries
from .const import CONF_NUMBER
from .coordinator import SmsGatewayConfigEntry
from .entity import SmsGatewayEntity, recipient_device_info
from .legacy_notify import async_get_service
from .outbox import SendRequest, raise_for_failures

PARALLEL_UPDATES = 0

__all__ = ["RecipientNotifyEntity", "async_get_service", "async_setup_entry"]


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsGatewayConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one notify entity per saved recipient."""
    for subentry in recipient_subentries(entry):
        async_add_entities(
            [RecipientNotifyEntity(entry, subentry)],
            config_subentry_id=subentry.subentry_id,
        )


class RecipientNotifyEntity(SmsGatewayEntity, NotifyEntity):
    """Sends a text SMS to one saved recipient."""

    _attr_supported_features = NotifyEntityFeature.TITLE
    _attr_translation_key = "recipient"

    def __init__(self, entry: SmsGatewayConfigEntry, subentry: ConfigSubentry) -> None:
        """Create the entity of a recipient subentry."""
        super().__init__(entry, f"recipient_{subentry.subentry_id}")
        self._attr_device_info = recipient_device_info(
            entry, subentry, entry.runtime_data.device_id
        )
        self._number: str = subentry.data[CONF_NUMBER]

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        """Send the message as a text SMS."""
        results = await self._entry.runtime_data.outbox.async_send(
            SendRequest(targets=(self._number,), message=message, title=title)
        )
        raise_for_failures(results, partial_ok=False, account=self._entry.title)
