"""Notify entities (one per saved recipient) and legacy notify services (one per channel)."""

from __future__ import annotations

from typing import Any

from homeassistant.components.notify import NotifyEntity, NotifyEntityFeature
from homeassistant.components.notify.const import ATTR_DATA, ATTR_TARGET, ATTR_TITLE
from homeassistant.components.notify.legacy import BaseNotificationService
from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType

from .const import CONF_NUMBER, DOMAIN, SUBENTRY_RECIPIENT
from .coordinator import SmsGatewayConfigEntry
from .entity import SmsGatewayEntity, recipient_device_info
from .outbox import SendRequest, raise_for_failures
from .providers import Channel
from .services import request_from_data, validate_notify_data

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsGatewayConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add one notify entity per saved recipient."""
    for subentry in entry.subentries.values():
        if subentry.subentry_type != SUBENTRY_RECIPIENT:
            continue
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


async def async_get_service(
    hass: HomeAssistant,
    config: ConfigType,
    discovery_info: DiscoveryInfoType | None = None,
) -> BaseNotificationService | None:
    """Create a legacy notify service for an account and a channel."""
    if discovery_info is None:
        return None
    entry: SmsGatewayConfigEntry | None = hass.config_entries.async_get_entry(
        discovery_info["entry_id"]
    )
    if entry is None or entry.domain != DOMAIN or not hasattr(entry, "runtime_data"):
        return None
    service = SmsGatewayNotificationService(entry, Channel(discovery_info["channel"]))
    entry.runtime_data.legacy_services.append(service)
    return service


class SmsGatewayNotificationService(BaseNotificationService):
    """``notify.<account>``, ``notify.<account>_flash``, ``notify.<account>_viber``.

    ``target`` takes numbers or saved recipient names; without a target the
    message goes to every saved recipient. ``data`` takes ``sender``,
    ``send_at`` and, for Viber, ``image_url``, ``button_text``,
    ``button_url``, ``validity`` and ``sms_fallback``.
    """

    def __init__(self, entry: SmsGatewayConfigEntry, channel: Channel) -> None:
        """Create the service."""
        self._entry = entry
        self._channel = channel

    async def async_send_message(self, message: str = "", **kwargs: Any) -> None:
        """Send a message through the account's pipeline."""
        outbox = self._entry.runtime_data.outbox
        targets: list[str] = list(kwargs.get(ATTR_TARGET) or [])
        if not targets:
            targets = list(outbox.saved_recipients().values())
        data = validate_notify_data(kwargs.get(ATTR_DATA))
        data.update(message=message, title=kwargs.get(ATTR_TITLE), channel=self._channel.value)
        request = request_from_data(data, targets)
        results = await outbox.async_send(request)
        raise_for_failures(results, partial_ok=False, account=self._entry.title)
