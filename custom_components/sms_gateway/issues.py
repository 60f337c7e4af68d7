"""The account's repair issues that come and go with their cause."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir

from .const import DOMAIN


def async_show_issue(
    hass: HomeAssistant,
    issue_id: str,
    *,
    show: bool,
    severity: ir.IssueSeverity,
    translation_key: str,
    placeholders: dict[str, str],
) -> None:
    """Show an issue the user cannot fix here (it goes with its cause), or clear it."""
    if show:
        ir.async_create_issue(
            hass,
            DOMAIN,
            issue_id,
            is_fixable=False,
            severity=severity,
            translation_key=translation_key,
            translation_placeholders=placeholders,
        )
    else:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
