"""Repair flows: acknowledging notices about messages that may not have gone out."""

from __future__ import annotations

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow
from homeassistant.core import HomeAssistant


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Let the user confirm they have seen a delivery notice (and dismiss it)."""
    return ConfirmRepairFlow()
