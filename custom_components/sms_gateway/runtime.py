"""What a loaded account holds at runtime (a leaf module: the others import it).

The classes are imported for type checking only, so that the coordinator,
the outbox and the platforms all import this module and not each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry

if TYPE_CHECKING:
    from homeassistant.components.notify.legacy import BaseNotificationService

    from .coordinator import SmsGatewayCoordinator
    from .inbound import InboundDispatcher
    from .outbox import Outbox
    from .providers import ProviderClient
    from .reports import DeliveryTracker
    from .usage import AccountUsage


@dataclass
class SmsGatewayData:
    """What a loaded config entry holds at runtime."""

    client: ProviderClient
    coordinator: SmsGatewayCoordinator | None
    tracker: DeliveryTracker
    outbox: Outbox
    inbound: InboundDispatcher
    usage: AccountUsage
    device_id: str  # the account's device; recipients' devices are reached through it
    legacy_services: list[BaseNotificationService] = field(default_factory=list)


type SmsGatewayConfigEntry = ConfigEntry[SmsGatewayData]
