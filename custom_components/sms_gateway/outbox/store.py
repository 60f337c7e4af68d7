"""The outbox's storage: versioned, atomic, coalesced, and tolerant of what it cannot read.

* Writes go through Home Assistant's delayed save: many changes within
  ``SAVE_DELAY`` seconds become one write, and a pending write is flushed when
  Home Assistant stops. Only state changes schedule a write.
* The file is replaced atomically, so a power cut never leaves half a queue.
* Version 1 stored ``in_flight: bool``; version 2 stores the message ``state``
  and its ``age``. A stored message this version cannot read is set aside
  (kept in the file under ``unreadable``, with a repair issue), never a failed
  setup.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from ..const import DOMAIN, LOGGER
from .message import MessageState, QueuedMessage

STORAGE_VERSION = 2
SAVE_DELAY = 1.0  # seconds: changes within it are written once


class _VersionedStore(Store[dict[str, Any]]):
    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        """Version 1 -> 2: ``in_flight`` becomes ``state``; ages start at 0."""
        messages = []
        for old in old_data.get("messages", []):
            item = old
            if isinstance(old, dict):
                item = dict(old)
                item["state"] = (
                    MessageState.IN_FLIGHT.value
                    if item.pop("in_flight", False)
                    else MessageState.QUEUED.value
                )
            messages.append(item)
        return {**old_data, "messages": messages}


class OutboxStore:
    """Loads and saves one account's queue."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Create the store of an account."""
        self._store = _VersionedStore(
            hass, STORAGE_VERSION, f"{DOMAIN}.{entry_id}.outbox", atomic_writes=True
        )
        self.unreadable: list[Any] = []

    async def async_load(self) -> tuple[list[QueuedMessage], float | None]:
        """Return the stored messages and the wall time they were saved at.

        Unreadable data is set aside in ``unreadable``; nothing here raises for
        bad content.
        """
        data: Any
        try:
            data = await self._store.async_load() or {}
        except Exception:  # noqa: BLE001 - unreadable file: keep going, say so
            LOGGER.exception("The outbox store of %s cannot be read", self._store.key)
            data = {}
        if not isinstance(data, dict):
            self.unreadable.append(data)
            data = {}
        self.unreadable.extend(data.get("unreadable", []) or [])
        messages: list[QueuedMessage] = []
        raw = data.get("messages", [])
        for item in raw if isinstance(raw, list) else [raw]:
            try:
                messages.append(QueuedMessage.from_stored(item))
            except (AttributeError, KeyError, TypeError, ValueError) as err:
                LOGGER.warning("A stored outbox message cannot be read and is set aside: %s", err)
                self.unreadable.append(item)
        saved_at = data.get("saved_at")
        return messages, float(saved_at) if isinstance(saved_at, int | float) else None

    def schedule_save(self, data: Callable[[], dict[str, Any]]) -> None:
        """Write soon (coalesced with other changes)."""
        self._store.async_delay_save(data, SAVE_DELAY)

    async def async_save_now(self, data: dict[str, Any]) -> None:
        """Write at once (replaces a pending delayed write)."""
        await self._store.async_save(data)

    async def async_remove(self) -> None:
        """Delete the file (the account is being removed)."""
        await self._store.async_remove()


def stored_form(
    messages: Iterable[QueuedMessage], unreadable: list[Any], now_mono: float, now_wall: float
) -> dict[str, Any]:
    """Return what is written: the messages, what was set aside, and when."""
    return {
        "messages": [m.as_stored(now_mono) for m in messages],
        "unreadable": unreadable,
        "saved_at": now_wall,
    }
