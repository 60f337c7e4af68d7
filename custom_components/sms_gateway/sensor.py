"""Sensors: balance, Viber sender balances, last delivery status, usage and cost."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import StateType

from .coordinator import SmsGatewayConfigEntry, SmsGatewayCoordinator
from .entity import SmsGatewayCoordinatorEntity, SmsGatewayEntity
from .providers import DeliveryStatus, ViberSenderBalance
from .usage import Period

PARALLEL_UPDATES = 0

UNIT_CREDITS = "credits"
STATUS_OPTIONS = tuple(status.value for status in DeliveryStatus)
LAST_DELIVERY_ATTRIBUTES = (
    "message_id",
    "recipient",
    "sent_at",
    "done_at",
    "error",
    "permanent",
    "price",
    "currency",
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsGatewayConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's sensors."""
    entities: list[SensorEntity] = [LastDeliveryStatusSensor(entry)]
    entities.extend(UsageSensor(entry, description) for description in USAGE_SENSORS)
    entities.append(CostSensor(entry))
    coordinator = entry.runtime_data.coordinator
    if coordinator is not None:
        entities.append(BalanceSensor(coordinator))
        known: set[str] = set()

        @callback
        def add_viber_senders() -> None:
            if coordinator.data is None:  # the provider has not answered yet
                return
            new = [s for s in coordinator.data.viber_senders if s not in known]
            known.update(new)
            if new:
                async_add_entities(ViberSenderBalanceSensor(coordinator, s) for s in new)

        add_viber_senders()
        entry.async_on_unload(coordinator.async_add_listener(add_viber_senders))
    async_add_entities(entities)


class BalanceSensor(SmsGatewayCoordinatorEntity, SensorEntity):
    """The account balance: money in the provider's currency, or message credits.

    Unavailable until the provider first answers (it may not be reachable when
    the account is set up).
    """

    _attr_translation_key = "balance"

    def __init__(self, coordinator: SmsGatewayCoordinator) -> None:
        """Create the sensor; its unit comes from the first poll."""
        super().__init__(coordinator, "balance")
        self._set_unit()

    @callback
    def _set_unit(self) -> None:
        if self.coordinator.data is None:
            return
        balance = self.coordinator.data.balance
        if balance.unit == "credits" or not balance.currency:
            self._attr_device_class = None
            self._attr_native_unit_of_measurement = UNIT_CREDITS
            self._attr_state_class = SensorStateClass.MEASUREMENT
        else:
            self._attr_device_class = SensorDeviceClass.MONETARY
            self._attr_native_unit_of_measurement = balance.currency
            self._attr_state_class = None

    @callback
    def _handle_coordinator_update(self) -> None:
        self._set_unit()
        super()._handle_coordinator_update()

    @property
    def available(self) -> bool:
        """Return whether the provider has answered (and still does)."""
        return super().available and self.coordinator.data is not None

    @property
    def native_value(self) -> StateType:
        """Return the balance."""
        data = self.coordinator.data
        return data.balance.amount if data is not None else None


class ViberSenderBalanceSensor(SmsGatewayCoordinatorEntity, SensorEntity):
    """The balance of one approved Viber sender id (sms365)."""

    _attr_translation_key = "viber_balance"
    _attr_native_unit_of_measurement = UNIT_CREDITS
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, coordinator: SmsGatewayCoordinator, sender: str) -> None:
        """Create the sensor of a sender id."""
        super().__init__(coordinator, f"viber_balance_{sender}")
        self._sender = sender
        self._attr_translation_placeholders = {"sender": sender}

    def _sender_balance(self) -> ViberSenderBalance | None:
        data = self.coordinator.data
        return data.viber_senders.get(self._sender) if data is not None else None

    @property
    def available(self) -> bool:
        """Return whether the sender is still approved and its balance known."""
        data = self.coordinator.data
        return (
            super().available
            and data is not None
            and data.viber_balance_ok
            and self._sender_balance() is not None
        )

    @property
    def native_value(self) -> StateType:
        """Return the sender's balance."""
        sender = self._sender_balance()
        return sender.balance if sender else None

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return whether the sender is paused."""
        sender = self._sender_balance()
        return {"paused": sender.paused if sender else None}


class LastDeliveryStatusSensor(SmsGatewayEntity, RestoreSensor):
    """The delivery status of the account's latest message."""

    _attr_translation_key = "last_delivery_status"
    _attr_device_class = SensorDeviceClass.ENUM

    def __init__(self, entry: SmsGatewayConfigEntry) -> None:
        """Create the sensor."""
        super().__init__(entry, "last_delivery_status")
        self._attr_options = list(STATUS_OPTIONS)
        self._restored_attributes: dict[str, Any] = {}

    async def async_added_to_hass(self) -> None:
        """Restore the last state and follow the tracker."""
        await super().async_added_to_hass()
        tracker = self._entry.runtime_data.tracker
        if (
            tracker.last is None
            and (state := await self.async_get_last_state()) is not None
            and state.state in STATUS_OPTIONS
        ):
            self._attr_native_value = state.state
            # Only our own attributes: the stored state also holds
            # friendly_name, options, icon... which are not ours to restore.
            self._restored_attributes = {
                key: state.attributes.get(key) for key in LAST_DELIVERY_ATTRIBUTES
            }
        self.async_on_remove(tracker.async_add_listener(self._tracker_updated))
        self._tracker_updated(write=False)

    @callback
    def _tracker_updated(self, write: bool = True) -> None:
        last = self._entry.runtime_data.tracker.last
        if last is not None:
            self._attr_native_value = last.status.value
            self._restored_attributes = {}
        if write:
            self.async_write_ha_state()

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """Return what is known about the latest message."""
        last = self._entry.runtime_data.tracker.last
        if last is None:
            return self._restored_attributes
        return {
            "message_id": last.message_id,
            "recipient": last.recipient,
            "sent_at": _iso(last.sent_at),
            "done_at": _iso(last.done_at),
            "error": last.error,
            "permanent": last.permanent,
            "price": last.price,
            "currency": last.currency,
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# -- usage (usage.py) ----------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class UsageSensorDescription(SensorEntityDescription):
    """A usage counter: which period, and what of it."""

    period: str  # "day" | "month"
    value: Callable[[Period], int]


USAGE_SENSORS = tuple(
    UsageSensorDescription(
        key=f"{what}_{when}",
        translation_key=f"{what}_{when}",
        state_class=SensorStateClass.TOTAL_INCREASING,
        period=period,
        value=value,
    )
    for what, value in (
        ("messages", lambda p: p.messages),
        ("segments", lambda p: p.segments),
    )
    for when, period in (("today", "day"), ("this_month", "month"))
)


class _UsageEntity(SmsGatewayEntity, SensorEntity):
    """Follows the account's usage counters (stored; never restored from states)."""

    async def async_added_to_hass(self) -> None:
        """Follow the counters."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self._entry.runtime_data.usage.async_add_listener(self.async_write_ha_state)
        )


class UsageSensor(_UsageEntity):
    """Messages or segments the provider accepted today or this month.

    ``total_increasing``: they start again from 0 at local midnight and on the
    first of the month, which the statistics read as a new cycle.
    """

    entity_description: UsageSensorDescription

    def __init__(self, entry: SmsGatewayConfigEntry, description: UsageSensorDescription) -> None:
        """Create the sensor."""
        super().__init__(entry, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType:
        """Return the count."""
        usage = self._entry.runtime_data.usage
        period = usage.today if self.entity_description.period == "day" else usage.month
        return self.entity_description.value(period)


class CostSensor(_UsageEntity):
    """What the messages of this month cost, as the provider priced them.

    ``total`` with ``last_reset`` at the start of the month (a monetary sensor
    cannot be ``total_increasing``). The unit: the balance's currency, SMS
    credits on sms365, or the currency the provider's prices name; none when
    the provider names none (voip-communications).
    """

    _attr_translation_key = "cost_this_month"
    _attr_state_class = SensorStateClass.TOTAL
    _attr_suggested_display_precision = 2

    def __init__(self, entry: SmsGatewayConfigEntry) -> None:
        """Create the sensor; its unit is decided once, when it is added."""
        super().__init__(entry, "cost_this_month")
        data = entry.runtime_data
        currency = data.usage.currency
        if data.coordinator is not None and data.coordinator.data is not None:
            currency = data.coordinator.data.balance.currency or currency
        if data.client.capabilities.balance_unit == UNIT_CREDITS:
            self._attr_native_unit_of_measurement = UNIT_CREDITS
        elif currency:
            self._attr_device_class = SensorDeviceClass.MONETARY
            self._attr_native_unit_of_measurement = currency

    @property
    def last_reset(self) -> datetime | None:
        """Return the start of this month (local)."""
        return self._entry.runtime_data.usage.period_start("month")

    @property
    def native_value(self) -> StateType:
        """Return this month's cost, rounded to what providers bill."""
        return round(self._entry.runtime_data.usage.month.cost, 6)
