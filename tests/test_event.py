"""The event entity "SMS received" of accounts that can receive SMS.

What it fires is tested with the inbound paths (tests/test_inbound.py).
"""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest

from tests.conftest import MakeEntry, RunningSimulator, SnapshotEntities


@pytest.mark.parametrize("provider", ["infobip", "voip_communications"])
async def test_entities_snapshot(
    simulator: RunningSimulator, snapshot_entities: SnapshotEntities, provider: str
) -> None:
    """The account's event entity: registry entry and state."""
    await snapshot_entities(provider, Platform.EVENT)


async def test_no_event_entity_without_inbound(
    hass: HomeAssistant, simulator: RunningSimulator, make_entry: MakeEntry
) -> None:
    """sms365 cannot receive SMS: no event entity."""
    entry = await make_entry("sms365")
    entries = er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    assert [e.entity_id for e in entries if e.domain == "event"] == []
