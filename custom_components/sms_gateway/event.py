"""The inbound SMS event entity of an account."""

from __future__ import annotations

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SmsGatewayConfigEntry
from .entity import SmsGatewayEntity
from .inbound import ReceivedSms, signal_inbound

PARALLEL_UPDATES = 0

EVENT_RECEIVED = "received"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsGatewayConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the event entity of accounts that can receive SMS."""
    caps = entry.runtime_data.client.capabilities
    if caps.inbound:
        async_add_entities([SmsReceivedEvent(entry)])


class SmsReceivedEvent(SmsGatewayEntity, EventEntity):
    """Fires ``received`` for every inbound SMS, trusted or not."""

    _attr_translation_key = "sms_received"

    def __init__(self, entry: SmsGatewayConfigEntry) -> None:
        """Create the entity."""
        super().__init__(entry, "sms_received")
        self._attr_event_types = [EVENT_RECEIVED]

    async def async_added_to_hass(self) -> None:
        """Follow the account's inbound messages (the signal device triggers use too)."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal_inbound(self._entry.entry_id), self._received
            )
        )

    @callback
    def _received(self, sms: ReceivedSms) -> None:
        data = sms.event_data()
        del data["config_entry_id"]  # the entity belongs to the account already
        self._trigger_event(EVENT_RECEIVED, data)
        self.async_write_ha_state()
